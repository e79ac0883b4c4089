"""Several workers delivering the outbound queue at once (PostgreSQL): each
message is claimed by one of them and reaches the server once."""

from __future__ import annotations

import os
import threading
from collections import Counter
from email import message_from_bytes

import pytest
from django.db import connection

from netdesk.channels.models import OutboundKind, OutboundMessage, OutboundState
from netdesk.channels.services.delivery import outbound_deliver_due
from netdesk.channels.services.outbound import outbound_queue
from tests.mailservers import SmtpSink

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("NETDESK_DATABASE_URL", "").startswith("postgres"),
        reason="needs PostgreSQL (scripts/with-postgres.sh): concurrent deliverers; "
        "SQLite runs one writer at a time",
    ),
]
MESSAGES = 300
DELIVERERS = 4


def deliver_until_empty(
    start: threading.Barrier, sent: list[int], errors: list[BaseException]
) -> None:
    try:
        start.wait()
        # Small batches, so the deliverers' claims interleave many times.
        while (count := outbound_deliver_due(limit=7)) or OutboundMessage.objects.filter(
            state=OutboundState.QUEUED
        ).exists():
            sent.append(count)
    except BaseException as error:
        errors.append(error)
    finally:
        connection.close()


def test_deliverers_at_once_never_send_a_message_twice(mail_settings: SmtpSink):
    rows = [
        outbound_queue(kind=OutboundKind.TEST, to=[f"c{i}@example.net"], subject="s", body="b")
        for i in range(MESSAGES)
    ]
    start = threading.Barrier(DELIVERERS)
    sent: list[int] = []
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=deliver_until_empty, args=(start, sent, errors))
        for _ in range(DELIVERERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert sum(sent) == MESSAGES
    received = Counter(message_from_bytes(m.raw)["Message-ID"] for m in mail_settings.messages)
    assert received == Counter({f"<{row.message_id}>": 1 for row in rows})
    assert OutboundMessage.objects.filter(state=OutboundState.SENT, attempts=1).count() == MESSAGES
