"""Two `netdesk serve` processes on one PostgreSQL database: a change to
customer services made through one is in the impact the other computes for
an incident opened right after, with no waiting (`netdesk.core.memo`)."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from netdesk.accounts.models import Role, TierKind, User
from netdesk.customers.models import Service
from tests import factories as f

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("NETDESK_DATABASE_URL", "").startswith("postgres"),
        reason="needs PostgreSQL (make test-postgres runs it): two server processes on one "
        "database; SQLite's test database lives in the test process",
    ),
]
PASSWORD = "correct-horse-battery-9"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """One `netdesk serve` (one web worker, no background worker) on the
    test database, in its own process group."""

    def __init__(self, data_dir: Path, name: str) -> None:
        settings = connection.settings_dict
        env = dict(os.environ)
        env["NETDESK_DATABASE_URL"] = (
            f"postgresql://{settings['USER']}@{settings['HOST']}:{settings['PORT']}"
            f"/{settings['NAME']}"
        )
        env["NETDESK_DATA_DIR"] = str(data_dir)
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = data_dir / f"{name}.log"
        command = [sys.executable, "-m", "netdesk", "serve", "--port", str(self.port)]
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [*command, "--workers", "1", "--threads", "2", "--no-worker"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                urllib.request.urlopen(f"{self.base}/login/", timeout=2)  # noqa: S310
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.3)
        raise AssertionError(f"{self.base} did not answer:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _open_incident(server: Server, token: str, element: str) -> dict[str, Any]:
    body = json.dumps({"title": f"Down: {element}", "root_element": element}).encode()
    request = urllib.request.Request(  # noqa: S310
        f"{server.base}/api/v1/noc/incidents",
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        assert answer.status == 201
        return dict(json.load(answer))


class AdminSession:
    """A staff member signed in to one server's admin, as a browser would."""

    def __init__(self, server: Server, username: str) -> None:
        self.base = server.base
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        self.post("/admin/login/", {"username": username, "password": PASSWORD, "next": "/admin/"})

    def post(self, path: str, fields: dict[str, str]) -> str:
        page = self.opener.open(f"{self.base}{path}", timeout=30).read().decode()
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert match is not None, page[:500]
        form = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": match.group(1)}).encode()
        with self.opener.open(f"{self.base}{path}", data=form, timeout=30) as answer:
            return str(answer.read().decode())


def test_a_service_removed_through_one_server_is_out_of_the_impact_the_other_computes():
    # Given an OLT with three subscribers and another with two.
    core = f.element("TWO-CORE")
    olt_a = f.element("TWO-OLT-A", upstream=core)
    olt_b = f.element("TWO-OLT-B", upstream=core)
    services = [f.service(f.customer(), access_element=olt_a) for _ in range(3)]
    for _ in range(2):
        f.service(f.customer(), access_element=olt_b)
    noc = f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)])
    token = f.token_for(noc)
    User.objects.create_superuser(username="two-admin", password=PASSWORD)
    with tempfile.TemporaryDirectory(prefix="netdesk-two-") as scratch:
        one, other = Server(Path(scratch), "one"), Server(Path(scratch), "other")
        try:
            one.wait_ready()
            other.wait_ready()
            # The other server has its impact index (an outage elsewhere).
            assert _open_incident(other, token, "TWO-OLT-B")["affected_services"] == 2
            # When a service of OLT-A is removed through the first server...
            admin = AdminSession(one, "two-admin")
            admin.post(f"/admin/customers/service/{services[0].pk}/delete/", {"post": "yes"})
            assert not Service.objects.filter(pk=services[0].pk).exists()
            # ...then an outage of OLT-A, opened through the other at once,
            # counts the two services left.
            opened = _open_incident(other, token, "TWO-OLT-A")
            assert (opened["affected_services"], opened["affected_customers"]) == (2, 2)
            # And the whole network, through the first server, the four.
            assert _open_incident(one, token, "TWO-CORE")["affected_services"] == 4
        finally:
            one.stop()
            other.stop()
