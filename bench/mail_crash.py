"""Crash injection: the worker fetching N mixed messages from Dovecot is
killed with SIGKILL at random points K times and started again; then the
desk's messages and tickets are counted against the mailbox (0 lost, 0
duplicated). Runs on a fresh SQLite file, or with NETDESK_DATABASE_URL set
on a new database of that PostgreSQL server.

    .venv/bin/python bench/mail_crash.py                      # 5,000 messages, 10 kills
    scripts/with-postgres.sh .venv/bin/python bench/mail_crash.py

Exits 1 when a message was lost or taken twice."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from mail_ingest import MAILBOX, mixed_messages  # noqa: E402

from netdesk.channels.tests.fetch_crashes import fresh_database, run  # noqa: E402
from tests import mailservers  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    if mailservers.dovecot_binary() is None:
        raise SystemExit("dovecot is not installed (apt-get install dovecot-imapd)")
    messages = mixed_messages(args.messages, seed=args.seed)
    database = "postgresql" if os.environ.get("NETDESK_DATABASE_URL") else "sqlite"
    with (
        mailservers.dovecot_server({MAILBOX: mailservers.MAILBOX_PASSWORD}) as dovecot,
        tempfile.TemporaryDirectory(prefix="netdesk-mail-crash-") as temp,
    ):
        for first in range(0, len(messages), 1000):
            dovecot.deliver_many(MAILBOX, messages[first : first + 1000])
        started = time.monotonic()
        with fresh_database(Path(temp)) as env:
            answer = run(
                env,
                *("--port", str(dovecot.port), "--user", MAILBOX),
                *("--password", mailservers.MAILBOX_PASSWORD),
                *("--messages", str(args.messages), "--kills", str(args.kills)),
                *("--seed", str(args.seed)),
            )
        answer["inbox_left"] = len(dovecot.messages(MAILBOX))
        answer["done_folder"] = len(dovecot.messages(MAILBOX, "Done"))
    # Every message is stored once; a reply adds to its ticket instead of opening one.
    expected_tickets = sum(b"\nIn-Reply-To:" not in raw for raw in messages)
    answer.update(
        database=database,
        messages=args.messages,
        lost=args.messages - answer["message_ids"],
        duplicated=answer["stored"] - answer["message_ids"],
        expected_tickets=expected_tickets,
        wall_seconds=round(time.monotonic() - started, 1),
    )
    kills = answer.pop("kills")
    for n, kill in enumerate(kills, 1):
        print(
            f"run {n}: {'killed' if kill['killed'] else 'ended'} after {kill['after_seconds']} s,"
            f" stored {kill['stored_before']} -> {kill['stored_after']}"
        )
    print(json.dumps(answer))
    wrong = (
        answer["lost"]
        or answer["duplicated"]
        or answer["tickets"] != expected_tickets
        or answer["unprocessed"]
        or answer["inbox_left"]
        or answer["done_folder"] != args.messages
        or answer["last_run_status"] != 0
    )
    raise SystemExit(1 if wrong else 0)


if __name__ == "__main__":
    main()
