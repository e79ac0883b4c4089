"""Processes and load of the scale-out test (bench/scale_test.py): the web
processes, workers and HAProxy it starts, kills and starts again, and the
clients that open tickets, post alarms and deliver mail meanwhile."""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import scale_checks

ROOT = Path(__file__).resolve().parent.parent
CLIENT_TIMEOUT = 10.0
# A create not acknowledged after this long is given up (and counted).
GIVE_UP_SECONDS = 120.0
RETRY_STATUSES = {429, 502, 503, 504}
# Share of keyed requests whose client hangs up before the answer, as a
# client whose timeout ran out would: its retry must get the first answer.
DROP_ANSWER = 0.05


class AnswerLost(Exception):
    """The client hung up before reading the answer."""


HAPROXY_CONFIG = """\
global
    maxconn 2000

defaults
    mode http
    timeout connect 1s
    timeout client 60s
    timeout server 30s
    timeout http-request 10s
    # A connection refused by a dead process is tried again on the other
    # one (redispatch); a request already sent is not: the client retries
    # it with its Idempotency-Key.
    retries 3
    option redispatch 1
    option httpchk
    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host 127.0.0.1
    http-check expect status 200
    # Checked every second; out after two failures, back after one success.
    default-server inter 1s fastinter 500ms downinter 1s fall 2 rise 1

frontend desk
    bind 127.0.0.1:{port}
    option forwardfor
    default_backend web

backend web
    balance leastconn
{servers}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_status(url: str, timeout: float = 2.0) -> int:
    """The status of a GET, 0 when nothing answered."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    try:
        connection.request("GET", parts.path)
        return connection.getresponse().status
    except (OSError, http.client.HTTPException):
        return 0
    finally:
        connection.close()


class Process:
    """One process in a session of its own, so SIGKILL reaches all of it."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.command, self.env, self.log = name, command, env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, signum: int) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait()

    def kill_main(self) -> None:
        """SIGKILL to the main process only: its children must stop by
        themselves (`netdesk serve`'s web workers do, netdesk.core.serving)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if not self.alive or self.process is None:
            return
        self.signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()


class Processes:
    """Two web processes behind HAProxy and two workers."""

    def __init__(self, env: dict[str, str], work: Path, draw: random.Random) -> None:
        self.env, self.work, self.draw = env, work, draw
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        netdesk = [sys.executable, "-m", "netdesk"]
        self.web_ports = [free_port(), free_port()]
        self.webs = [
            Process(
                f"web{n}",
                [
                    *netdesk,
                    "serve",
                    "--no-worker",
                    "--port",
                    str(port),
                    "--workers",
                    "1",
                    "--threads",
                    "8",
                ],
                env,
                work / f"web{n}.log",
            )
            for n, port in enumerate(self.web_ports, 1)
        ]
        self.workers = [
            Process(
                f"worker{n}", [*netdesk, "worker", "--interval", "0.5"], env, work / f"w{n}.log"
            )
            for n in (1, 2)
        ]
        servers = "\n".join(
            f"    server web{n} 127.0.0.1:{port} check" for n, port in enumerate(self.web_ports, 1)
        )
        config = work / "haproxy.cfg"
        config.write_text(
            HAPROXY_CONFIG.replace("{port}", str(self.port)).replace("{servers}", servers)
        )
        self.haproxy = Process(
            "haproxy", ["haproxy", "-db", "-f", str(config)], env, work / "haproxy.log"
        )
        self.kills: Counter[str] = Counter()
        self.restarts: Counter[str] = Counter()
        self.died: Counter[str] = Counter()

    def start_all(self) -> None:
        self.haproxy.start()
        for process in [*self.webs, *self.workers]:
            process.start()
        for port in self.web_ports:
            self._wait_ready(f"http://127.0.0.1:{port}/healthz")
        self._wait_ready(self.base + "/healthz")

    def _wait_ready(self, url: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while http_status(url) != 200:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{url} did not answer 200 in {timeout:.0f} s; logs in {self.work}"
                )
            time.sleep(0.3)

    def kill_and_restart(self, kind: str, down_for: float) -> None:
        process = self.draw.choice(self.webs if kind == "web" else self.workers)
        if kind == "web" and self.kills["web"] % 2:
            # `netdesk serve` alone: its web worker must stop by itself,
            # finishing the requests it holds.
            process.kill_main()
            self.kills["web_server_only"] += 1
        else:
            # The whole of it, as a lost machine: requests in flight get a 502.
            process.kill()
        self.kills[kind] += 1
        time.sleep(down_for)
        process.start()
        self.restarts[kind] += 1

    def ensure_all_running(self) -> None:
        """Start what died by itself (counted apart from the kills), and
        wait until both web processes answer again."""
        for process in [self.haproxy, *self.webs, *self.workers]:
            if not process.alive:
                self.died[process.name] += 1
                process.start()
        for port in self.web_ports:
            self._wait_ready(f"http://127.0.0.1:{port}/healthz")

    def orphans(self) -> list[int]:
        """Web workers still running whose `netdesk serve` was killed."""
        mains = {w.process.pid for w in self.webs if w.process is not None and w.alive}
        found = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                command = (proc / "cmdline").read_bytes().split(b"\0")
                parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            ours = any(str(port).encode() in command for port in self.web_ports)
            if ours and b"serve" in command and int(proc.name) not in mains and parent not in mains:
                found.append(int(proc.name))
        return found

    def stop_all(self) -> None:
        for process in [*self.webs, *self.workers, self.haproxy]:
            process.stop()

    def summary(self) -> str:
        died = f", died by themselves {dict(self.died)}" if self.died else ""
        return f"kills {dict(self.kills)}, restarts {dict(self.restarts)}{died}"


class Load:
    """The clients: ticket creates with retries, alarm batches, mail."""

    def __init__(
        self,
        base: str,
        setup: scale_checks.Setup,
        args: argparse.Namespace,
        dovecot: Any,
        draw: random.Random,
    ) -> None:
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname or "", parts.port or 80
        self.setup, self.args, self.dovecot, self.draw = setup, args, dovecot, draw
        self.stop = threading.Event()
        self.acknowledged: dict[str, str] = {}
        self.attempts: dict[str, int] = {}
        self.alarm_batches: list[list[str]] = []
        self.alarm_batches_sent = 0
        self.mails: list[str] = []
        self.client: Counter[str] = Counter()
        self.errors: list[str] = []

    def run(self, seconds: float, processes: Processes, kill_every: float) -> None:
        threads = [
            threading.Thread(target=self._creator, args=(n,), daemon=True)
            for n in range(self.args.creators)
        ]
        threads.append(threading.Thread(target=self._alarms, daemon=True))
        if self.dovecot is not None:
            threads.append(threading.Thread(target=self._mail, daemon=True))
        for thread in threads:
            thread.start()
        self._chaos(time.monotonic() + seconds, processes, kill_every)
        self.stop.set()
        for thread in threads:
            thread.join(timeout=GIVE_UP_SECONDS + 30)

    def _chaos(self, until: float, processes: Processes, kill_every: float) -> None:
        """Kill a web process and a worker by turns, at random moments (at
        most twice the mean apart, so a run of six means has both kinds)."""
        kind = self.draw.choice(["web", "worker"])
        while True:
            wait = min(max(self.draw.expovariate(1 / kill_every), 3.0), 2 * kill_every)
            if time.monotonic() + wait >= until:
                break
            time.sleep(wait)
            processes.kill_and_restart(kind, down_for=self.draw.uniform(0.2, 3.0))
            kind = "worker" if kind == "web" else "web"
        time.sleep(max(until - time.monotonic(), 0))

    def _post(
        self, path: str, body: dict[str, Any], key: str | None = None, *, hang_up: bool = False
    ) -> tuple[int, Any]:
        headers = {
            "Authorization": f"Bearer {self.setup.token}",
            "Content-Type": "application/json",
        }
        if key:
            headers["Idempotency-Key"] = key
        connection = http.client.HTTPConnection(self.host, self.port, timeout=CLIENT_TIMEOUT)
        try:
            connection.request("POST", path, body=json.dumps(body), headers=headers)
            if hang_up:
                self.client["requests"] += 1
                raise AnswerLost
            answer = connection.getresponse()
            raw = answer.read()
        finally:
            connection.close()
        self.client["requests"] += 1
        try:
            return answer.status, json.loads(raw)
        except ValueError:
            return answer.status, None

    def _send(self, path: str, body: dict[str, Any], key: str | None, ok: set[int]) -> Any:
        """POST until an answer in `ok` (returned), retrying what a client
        should retry; None when refused or given up."""
        started = time.monotonic()
        attempt = 0
        while time.monotonic() - started < GIVE_UP_SECONDS:
            attempt += 1
            if key:
                self.attempts[key] = attempt
            try:
                hang_up = bool(key) and self.draw.random() < DROP_ANSWER
                status, answer = self._post(path, body, key, hang_up=hang_up)
            except AnswerLost:
                self.client["answers_dropped"] += 1
            except TimeoutError:
                self.client["timeouts"] += 1
            except (OSError, http.client.HTTPException):
                self.client["connection_errors"] += 1
            else:
                if status in ok:
                    return answer
                if status not in RETRY_STATUSES:
                    self.client[f"refused_{status}"] += 1
                    self.errors.append(f"{path} {status}: {str(answer)[:300]}")
                    return None
                self.client[f"status_{status}"] += 1
            time.sleep(min(0.1 * 2**attempt, 2.0) * self.draw.uniform(0.5, 1.5))
        self.client["gave_up"] += 1
        return None

    def _creator(self, n: int) -> None:
        count = 0
        while not self.stop.is_set():
            count += 1
            key = f"c{n}-{count}-{os.urandom(4).hex()}"
            body = {
                "customer_id": self.setup.customer_id,
                "ticket_type": "fault",
                "channel": "api",
                "title": f"scale create {key}",
                "description": "Opened by the scale-out test.",
            }
            answer = self._send("/api/v1/tickets", body, key, {200, 201})
            if answer is not None:
                self.acknowledged[key] = answer["ref"]
            time.sleep(0.05)

    def _alarms(self) -> None:
        batch = 0
        while not self.stop.is_set():
            batch += 1
            alarms = []
            for i in range(20):
                major = i < 2
                alarms.append(
                    {
                        "name": "PonLos" if major else "HighTemp",
                        "element": self.draw.choice(self.setup.olts),
                        "severity": "major" if major else "minor",
                        "fingerprint": f"scale-{batch}-{i}",
                        "summary": f"scale batch {batch}",
                    }
                )
            self.alarm_batches_sent += 1
            if self._send("/api/v1/noc/alarms", {"alarms": alarms}, None, {202}) is not None:
                self.alarm_batches.append([a["fingerprint"] for a in alarms])
            time.sleep(1.0)

    def _mail(self) -> None:
        count = 0
        while not self.stop.is_set():
            count += 1
            message = EmailMessage()
            message["From"] = f"caller{count}@customers.example"
            message["To"] = scale_checks.MAILBOX_ADDRESS
            message["Subject"] = f"scale mail m{count}"
            message["Message-ID"] = f"<scale-m{count}@customers.example>"
            message.set_content(f"My line is down ({count}).\n")
            try:
                self.dovecot.deliver(scale_checks.MAILBOX_ADDRESS, message.as_bytes())
            except (OSError, RuntimeError) as error:
                self.errors.append(f"mail m{count} not delivered: {error}")
            else:
                self.mails.append(message["Message-ID"].strip("<>"))
            time.sleep(0.5)

    def summary(self) -> str:
        return (
            f"{len(self.acknowledged)} creates acknowledged, "
            f"{len(self.alarm_batches)} alarm batches, {len(self.mails)} mails"
        )

    def client_counts(self) -> dict[str, Any]:
        return {**dict(self.client), "errors": self.errors[:10]}
