"""Outbound mail: N queued notices delivered to an SMTP server on
127.0.0.1 (aiosmtpd, in a process of its own) that refuses every tenth
message once with a temporary error. Checks that every message reached the
server exactly once and prints how fast they were queued and delivered, on
a fresh SQLite file or, with NETDESK_DATABASE_URL set, a new database on
that PostgreSQL server.

    .venv/bin/python bench/mail_outbound.py
    scripts/with-postgres.sh .venv/bin/python bench/mail_outbound.py
    .venv/bin/python bench/mail_outbound.py --messages 1000 --deliverers 2
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from email import message_from_bytes
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from netdesk.channels.tests.fetch_crashes import fresh_database  # noqa: E402
from tests import mailservers  # noqa: E402

TEMPORARY = mailservers.TEMPORARY_REFUSAL
# Django and the desk are imported inside the functions: the database they
# use is chosen at run time, before django.setup().


def sink_process(ready: Connection, control: Connection) -> None:
    """Run the SMTP sink until told to stop; answer the Message-IDs it took
    and how many it refused."""
    refused: set[str] = set()

    def every_tenth_once(n: int, envelope: Any) -> str | None:
        message_id = message_from_bytes(envelope.original_content or b"")["Message-ID"]
        if n % 10 or message_id in refused:
            return None
        refused.add(message_id)
        return TEMPORARY

    with mailservers.smtp_sink(every_tenth_once) as sink:
        ready.send(sink.port)
        control.recv()
        taken = [message_from_bytes(m.raw)["Message-ID"] for m in sink.messages]
        control.send({"taken": taken, "refused": len(sink.refused)})


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "netdesk.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def queue_notices(count: int) -> float:
    """Queue `count` notices as the incident notices do; seconds taken."""
    from django.db import transaction

    from netdesk.channels.models import OutboundKind
    from netdesk.channels.services.outbound import outbound_queue

    started = time.monotonic()
    with transaction.atomic():
        for n in range(count):
            outbound_queue(
                kind=OutboundKind.INCIDENT_NOTICE,
                to=[f"customer{n}@example.net"],
                subject=f"[NI-1] Service disruption in area {n % 50}",
                body="A fibre cable was damaged. We expect the service back by 14:00 UTC.\n",
            )
    return time.monotonic() - started


def deliver_all(deliverers: int, batch: int) -> dict[str, Any]:
    """Deliver until nothing is queued: refused messages are retried once
    their backoff (a minute) has passed, which the loop skips by looking
    ahead instead of sleeping. Returns the rounds and the sending time."""
    from django.db import connection
    from django.utils import timezone

    from netdesk.channels.models import OutboundMessage, OutboundState
    from netdesk.channels.services.delivery import (
        outbound_deliver_due,
        outbound_due,
    )

    def work(now: Any) -> None:
        try:
            while outbound_due(now=now).exists():
                outbound_deliver_due(now=now, limit=batch)
        finally:
            connection.close()

    started = time.monotonic()
    rounds = 0
    while OutboundMessage.objects.filter(state=OutboundState.QUEUED).exists():
        rounds += 1
        now = timezone.now() + timedelta(minutes=2 * (rounds - 1))
        threads = [threading.Thread(target=work, args=(now,)) for _ in range(deliverers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return {"rounds": rounds, "seconds": time.monotonic() - started}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--deliverers", type=int, default=1, help="threads delivering at once")
    parser.add_argument("--batch", type=int, default=100, help="messages per SMTP connection")
    options = parser.parse_args(argv)

    ready_out, ready_in = multiprocessing.Pipe(duplex=False)
    control, control_child = multiprocessing.Pipe()
    sink = multiprocessing.Process(target=sink_process, args=(ready_in, control_child))
    sink.start()
    port = ready_out.recv()
    with (
        tempfile.TemporaryDirectory(prefix="netdesk-outbound-") as data_dir,
        fresh_database(Path(data_dir)) as env,
    ):
        env |= {"NETDESK_EMAIL_HOST": "127.0.0.1", "NETDESK_EMAIL_PORT": str(port)}
        setup_django(env)
        queue_seconds = queue_notices(options.messages)
        delivery = deliver_all(options.deliverers, options.batch)
        control.send("stop")
        received = control.recv()
        sink.join()

        from django.db import connection

        from netdesk.channels.models import OutboundMessage

        states = Counter(OutboundMessage.objects.values_list("state", flat=True))
        expected = {f"<{m}>" for m in OutboundMessage.objects.values_list("message_id", flat=True)}
        vendor = connection.vendor
        connection.close()
    taken = Counter(received["taken"])
    twice = sum(1 for n in taken.values() if n > 1)
    result = {
        "database": vendor,
        "messages": options.messages,
        "deliverers": options.deliverers,
        "queued_per_s": round(options.messages / queue_seconds),
        "delivery_seconds": round(delivery["seconds"], 1),
        "delivered_per_s": round(options.messages / delivery["seconds"]),
        "rounds": delivery["rounds"],
        "refused_once": received["refused"],
        "states": dict(states),
        "delivered_once": set(taken) == expected and twice == 0,
        "delivered_twice": twice,
        "missing": len(expected - set(taken)),
    }
    print(json.dumps(result))
    if not result["delivered_once"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
