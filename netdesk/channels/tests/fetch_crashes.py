"""Kill the mail fetcher with SIGKILL at random points and start it again,
then count what the desk holds: shared by the crash test and
bench/mail_crash.py.

    python -m netdesk.channels.tests.fetch_crashes --port P --messages N --kills K

runs in an environment naming an empty database (`fresh_database`); it
migrates it, sets up the mailbox, then forks a worker that runs
`netdesk mail fetch` and kills it with SIGKILL after a random delay, K
times, spreading the kills over the messages still waiting; a last worker
runs to its end. It prints one JSON line: what was stored and how the
kills fell."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg

REPOSITORY = Path(__file__).resolve().parents[3]
# Django and the desk are imported inside the functions: the test and the
# benchmark import this module for fresh_database/run without Django set up
# for the database the driver uses, which is chosen at run time.
# A first guess of messages per second, until the first kill measures it.
RATE_GUESS = 20.0


@contextlib.contextmanager
def fresh_database(data_dir: Path) -> Iterator[dict[str, str]]:
    """The environment of a netdesk with an empty database of its own: a
    SQLite file in `data_dir`, or, when NETDESK_DATABASE_URL names a
    PostgreSQL server, a new database there (dropped afterwards)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETDESK_")}
    env["NETDESK_DATA_DIR"] = str(data_dir)
    server_url = os.environ.get("NETDESK_DATABASE_URL", "")
    if not server_url:
        yield env
        return
    name = f"crash_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    env["NETDESK_DATABASE_URL"] = server_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield env
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def run(env: dict[str, str], *args: str, timeout: float = 3600) -> dict[str, Any]:
    """Run this module in `env` with `args`; its JSON answer."""
    done = subprocess.run(
        [sys.executable, "-m", "netdesk.channels.tests.fetch_crashes", *args],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"fetch_crashes failed ({done.returncode}):\n{done.stderr}")
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", default="support@isp.example")
    parser.add_argument("--password", default="mailbox-secret")
    parser.add_argument("--messages", type=int, required=True, help="messages in the inbox")
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netdesk.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from netdesk.channels.models import Mailbox

    call_command("migrate", verbosity=0, interactive=False)
    Mailbox.objects.create(
        name="support",
        address=args.user,
        imap_host=args.host,
        imap_port=args.port,
        imap_security="none",
        imap_user=args.user,
        imap_password=args.password,
        done_folder="Done",
    )
    connections.close_all()
    started = time.monotonic()
    kills = _kill_repeatedly(args.messages, args.kills, random.Random(args.seed))
    last = _fetch_until_done()
    print(
        json.dumps(
            {
                **_counts(),
                "kills": kills,
                "last_run_status": last,
                "seconds": round(time.monotonic() - started, 1),
            }
        )
    )


def _kill_repeatedly(messages: int, kills: int, draw: random.Random) -> list[dict[str, Any]]:
    rate = RATE_GUESS
    done: list[dict[str, Any]] = []
    while len(done) < kills:
        before = _stored()
        waiting = messages - before
        if waiting <= 0:
            break
        # Spread the kills left over the messages left, at random points.
        delay = draw.uniform(0.05, 2 * waiting / rate / (kills - len(done)))
        started = time.monotonic()
        worker = _fork_fetch()
        time.sleep(delay)
        os.kill(worker, signal.SIGKILL)
        _, status = os.waitpid(worker, 0)
        elapsed = time.monotonic() - started
        after = _stored()
        if after > before:
            rate = max((after - before) / elapsed, 1.0)
        killed = os.WIFSIGNALED(status)
        done.append(
            {
                "after_seconds": round(delay, 2),
                "stored_before": before,
                "stored_after": after,
                "killed": killed,
            }
        )
        if not killed:
            break
    return done


def _fetch_until_done() -> int:
    _, status = os.waitpid(_fork_fetch(), 0)
    return os.waitstatus_to_exitcode(status)


def _fork_fetch() -> int:
    """A worker process running `netdesk mail fetch`, with connections of its own."""
    pid = os.fork()
    if pid:
        return pid
    code = 0
    try:
        from django.core.management import call_command

        call_command("mail", "fetch", verbosity=0)
    except BaseException:  # the parent reads the exit code
        traceback.print_exc()
        code = 1
    finally:
        os._exit(code)


def _stored() -> int:
    from django.db import connections

    from netdesk.channels.models import InboundMessage

    try:
        return InboundMessage.objects.count()
    finally:
        connections.close_all()


def _counts() -> dict[str, int]:
    from django.db import connections

    from netdesk.channels.models import InboundMessage, InboundState
    from netdesk.tickets.models import Ticket

    rows = InboundMessage.objects
    try:
        return {
            "stored": rows.count(),
            "message_ids": rows.values("message_id").distinct().count(),
            "uids": rows.values("imap_uid").distinct().count(),
            "unprocessed": rows.filter(state=InboundState.RECEIVED).count(),
            "without_ticket": rows.filter(ticket__isnull=True).count(),
            "tickets": Ticket.objects.count(),
            "tickets_without_mail": Ticket.objects.filter(inbound_mail__isnull=True).count(),
        }
    finally:
        connections.close_all()


if __name__ == "__main__":
    main()
