"""Nothing lost, nothing twice: the worker running `netdesk mail fetch` is
killed with SIGKILL at random points while it takes a few hundred messages
from Dovecot, and started again until it finishes. Runs on its own SQLite
file, or on a fresh database of the PostgreSQL server in
NETDESK_DATABASE_URL."""

import os
from email.message import EmailMessage
from pathlib import Path

from netdesk.channels.tests.fetch_crashes import fresh_database, run
from tests.mailservers import MAILBOX_PASSWORD, MAILBOX_USER

MESSAGES = 300
KILLS = 8


def mail(n: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"customer{n}@example.net"
    message["To"] = MAILBOX_USER
    message["Subject"] = f"Line {n} is down"
    message["Message-ID"] = f"<crash{n}@example.net>"
    message.set_content(f"Line {n} has been dead since the storm.\n")
    return message.as_bytes()


def test_fetch_killed_at_random_points_takes_every_message_once(dovecot, tmp_path: Path):
    # Given a mailbox with a few hundred messages, each from its own sender:
    dovecot.deliver_many(MAILBOX_USER, [mail(n) for n in range(MESSAGES)])
    # When the fetching worker is killed at random points, then left to finish:
    seed = os.environ.get("NETDESK_CRASH_SEED", "12")
    with fresh_database(tmp_path) as env:
        answer = run(
            env,
            *("--port", str(dovecot.port), "--user", MAILBOX_USER, "--password", MAILBOX_PASSWORD),
            *("--messages", str(MESSAGES), "--kills", str(KILLS), "--seed", seed),
            timeout=300,
        )
    # Then it was killed while taking mail, and every message was stored
    # once, opened one ticket, and left the inbox.
    kills = answer["kills"]
    assert sum(kill["killed"] for kill in kills) >= KILLS // 2, kills
    assert any(0 < kill["stored_after"] < MESSAGES for kill in kills), kills
    assert answer["last_run_status"] == 0
    counts = {key: answer[key] for key in ("stored", "message_ids", "uids", "tickets")}
    assert counts == dict.fromkeys(counts, MESSAGES), answer
    assert (answer["unprocessed"], answer["without_ticket"], answer["tickets_without_mail"]) == (
        0,
        0,
        0,
    )
    assert dovecot.messages(MAILBOX_USER) == []
    assert len(dovecot.messages(MAILBOX_USER, "Done")) == MESSAGES
