"""Several `netdesk mail ingest` pipes at once on PostgreSQL (an MTA starts
one per delivery): files given to two pipes open each ticket once, a
stranger writing several mails gets one placeholder, and no pipe fails."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from netdesk.channels.models import InboundMessage, InboundState, Outcome
from netdesk.channels.tests import inbound_mails as m
from netdesk.customers.models import Customer
from netdesk.tickets.models import Ticket
from tests import factories as f

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("NETDESK_DATABASE_URL", "").startswith("postgres"),
        reason="needs PostgreSQL (scripts/with-postgres.sh): concurrent ingest processes; "
        "SQLite runs one writer at a time",
    ),
]
SENDERS = 8
MAILS_PER_SENDER = 3


def test_two_ingest_pipes_over_overlapping_files_open_each_ticket_once(tmp_path):
    # Given 24 mails of 8 strangers, each in a file, and two pipes that take
    # 18 files each: 12 files go to both, the second pipe taking its own in
    # reverse order, so the two meet on the same mails and senders at once.
    m.mailbox(name="support", group=f.group())
    files = []
    for n in range(SENDERS * MAILS_PER_SENDER):
        path = tmp_path / f"{n:03d}.eml"
        path.write_bytes(
            m.mail(
                sender=f"stranger{n % SENDERS}@example.net",
                subject=f"Line down ({n})",
                message_id=f"mail{n}@example.net",
            )
        )
        files.append(str(path))
    first, second = files[:18], list(reversed(files[6:]))

    # When both run at once against the test database.
    pipes = [_ingest(first), _ingest(second)]
    results = [pipe.communicate(timeout=120) for pipe in pipes]

    # Then both succeed, every file of each got its line, and each mail
    # opened one ticket: the copies are duplicates of it.
    for pipe, (_out, err) in zip(pipes, results, strict=True):
        assert pipe.returncode == 0, err.decode()[-2000:]
    said = [json.loads(line) for out, _ in results for line in out.decode().splitlines()]
    assert len(said) == len(first) + len(second)
    assert not InboundMessage.objects.exclude(state=InboundState.PROCESSED).exists()
    created = _outcomes(Outcome.TICKET_CREATED)
    assert sorted(created) == sorted(f"mail{n}@example.net" for n in range(len(files)))
    assert len(_outcomes(Outcome.DUPLICATE)) == len(first) + len(second) - len(files)
    assert Ticket.objects.count() == len(files)
    # And each stranger has one placeholder, holding their three tickets.
    for n in range(SENDERS):
        [placeholder] = Customer.objects.filter(email=f"stranger{n}@example.net")
        assert placeholder.tickets.count() == MAILS_PER_SENDER


def _outcomes(outcome: str) -> list[str]:
    return list(InboundMessage.objects.filter(outcome=outcome).values_list("message_id", flat=True))


def _ingest(files: list[str]) -> subprocess.Popen[bytes]:
    env: dict[str, Any] = {k: v for k, v in os.environ.items() if not k.startswith("NETDESK_")}
    env["NETDESK_DATABASE_URL"] = _test_database_url()
    env["NETDESK_DATA_DIR"] = str(Path(files[0]).parent / "data")
    env["DJANGO_SETTINGS_MODULE"] = "netdesk.settings"
    return subprocess.Popen(
        [sys.executable, "-m", "netdesk", "mail", "ingest", "--mailbox", "support", *files],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _test_database_url() -> str:
    """The server of NETDESK_DATABASE_URL, with the test database's name."""
    url = urlsplit(os.environ["NETDESK_DATABASE_URL"])
    return urlunsplit(url._replace(path=f"/{connection.settings_dict['NAME']}"))
