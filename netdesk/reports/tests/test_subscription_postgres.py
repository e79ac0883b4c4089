"""Several workers sending scheduled reports at once (PostgreSQL): each due
subscription is claimed by one of them and mailed once."""

from __future__ import annotations

import os
import threading
from collections import Counter
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from netdesk.channels.models import OutboundKind, OutboundMessage
from netdesk.reports.sending import subscriptions_send_due
from netdesk.reports.subscriptions import SubscriptionFields, subscription_create
from tests import factories as f

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("NETDESK_DATABASE_URL", "").startswith("postgres"),
        reason="needs PostgreSQL (scripts/with-postgres.sh): concurrent workers; "
        "SQLite runs one writer at a time",
    ),
]
SUBSCRIPTIONS = 24
WORKERS = 4


def send_until_none(now: datetime, start: threading.Barrier, errors: list[BaseException]) -> None:
    try:
        start.wait()
        while subscriptions_send_due(now=now, limit=2):
            pass
    except BaseException as error:
        errors.append(error)
    finally:
        connection.close()


def test_workers_at_once_send_each_report_once():
    for number in range(SUBSCRIPTIONS):
        agent = f.user(email=f"agent{number}@example.net")
        subscription_create(
            actor=agent, fields=SubscriptionFields(report="kpis", frequency="daily", params={})
        )
    day = timezone.localdate() + timedelta(days=1)
    now = timezone.make_aware(datetime(day.year, day.month, day.day, 7, 1))
    start = threading.Barrier(WORKERS)
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=send_until_none, args=(now, start, errors)) for _ in range(WORKERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    sent = Counter(
        OutboundMessage.objects.filter(kind=OutboundKind.REPORT).values_list(
            "to_addresses", flat=True
        )
    )
    assert len(sent) == SUBSCRIPTIONS
    assert set(sent.values()) == {1}
