"""Nothing lost, nothing twice, against a real Dovecot: the worker running
`netdesk mail fetch` is killed with SIGKILL at random points while it takes
a hundred messages, and started again until it finishes; two fetchers
started at the same moment leave the mailbox to one of them. Each runs on
a migrated SQLite file of its own, or on a database of its own on the
PostgreSQL server in NETDESK_DATABASE_URL. bench/mail_crash.py runs the
same crash driver with thousands of messages."""

import os
import re
from email.message import EmailMessage

from netdesk.channels.tests.fetch_crashes import run
from tests.mailservers import MAILBOX_PASSWORD, MAILBOX_USER

MESSAGES = 100
KILLS = 6


def mail(n: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"customer{n}@example.net"
    message["To"] = MAILBOX_USER
    message["Subject"] = f"Line {n} is down"
    message["Message-ID"] = f"<crash{n}@example.net>"
    message.set_content(f"Line {n} has been dead since the storm.\n")
    return message.as_bytes()


def _message_id(raw: bytes) -> str:
    found = re.search(rb"^Message-ID: (<[^>]+>)", raw, re.MULTILINE | re.IGNORECASE)
    return found.group(1).decode() if found else ""


def driver(dovecot, *args: str) -> list[str]:
    return [
        *("--port", str(dovecot.port), "--user", MAILBOX_USER, "--password", MAILBOX_PASSWORD),
        *args,
    ]


def assert_each_message_once(answer, dovecot, messages: int) -> None:
    """Stored once, one ticket each, nothing left unprocessed, all moved
    to the done folder."""
    counts = {key: answer[key] for key in ("stored", "message_ids", "uids", "tickets")}
    assert counts == dict.fromkeys(counts, messages), answer
    assert (answer["unprocessed"], answer["without_ticket"], answer["tickets_without_mail"]) == (
        0,
        0,
        0,
    )
    assert dovecot.messages(MAILBOX_USER) == []
    # Every message reached the done folder. A kill while Dovecot carries
    # out a MOVE can leave the copy made and the original still in the inbox
    # (the server's copy and expunge are two steps): the next run takes the
    # original again (stored once, by its Message-ID) and moves it a second
    # time, so the done folder may hold a message twice, never miss one.
    done_ids = {_message_id(stored.raw) for stored in dovecot.messages(MAILBOX_USER, "Done")}
    assert done_ids == {f"<crash{n}@example.net>" for n in range(messages)}


def test_fetch_killed_at_random_points_takes_every_message_once(dovecot, database_copy):
    # Given a mailbox with a few hundred messages, each from its own sender:
    dovecot.deliver_many(MAILBOX_USER, [mail(n) for n in range(MESSAGES)])
    # When the fetching worker is killed at random points, then left to finish:
    seed = os.environ.get("NETDESK_CRASH_SEED", "12")
    answer = run(
        database_copy,
        *driver(dovecot, "--messages", str(MESSAGES), "--kills", str(KILLS), "--seed", seed),
        timeout=300,
    )
    # Then it was killed while taking mail, and every message was stored
    # once, opened one ticket, and left the inbox.
    kills = answer["kills"]
    assert sum(kill["killed"] for kill in kills) >= KILLS // 2, kills
    assert any(0 < kill["stored_after"] < MESSAGES for kill in kills), kills
    assert answer["last_run_status"] == 0
    assert_each_message_once(answer, dovecot, MESSAGES)


def test_two_fetches_at_once_take_each_message_once_and_exit_cleanly(dovecot, database_copy):
    # Given a mailbox with forty messages:
    messages = 40
    dovecot.deliver_many(MAILBOX_USER, [mail(n) for n in range(messages)])
    # When two `netdesk mail fetch` start at the same moment:
    answer = run(database_copy, *driver(dovecot, "--messages", str(messages), "--together", "2"))
    # Then both exit 0: one takes every message, the other says the mailbox
    # is being fetched and takes nothing.
    runs = answer["runs"]
    assert [run["status"] for run in runs] == [0, 0], runs
    outputs = sorted(run["output"].strip() for run in runs)
    assert outputs == [
        "support: being fetched by another process; left to it.",
        f"support: took {messages} messages ({messages} ticket_created).",
    ], runs
    assert not any(re.search("Error|Traceback", run["output"]) for run in runs)
    assert_each_message_once(answer, dovecot, messages)
