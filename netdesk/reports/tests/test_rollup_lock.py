"""The rollup reads the days before it opens its transaction: on SQLite a
transaction holds the write lock from its first statement, and every
create, update and alarm of the desk would wait while a million tickets'
recent days are read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from netdesk.reports import rollups
from netdesk.reports.models import BreakdownKind, DayBreakdown, DayFigures
from netdesk.tickets.models import Ticket
from tests import factories as f


@pytest.mark.django_db(transaction=True)
def test_the_days_are_read_outside_the_transaction_that_replaces_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    agent = f.user()
    f.ticket(agent)
    read_in_transaction: list[bool] = []
    original = rollups.day_rows

    def watched(**kwargs: Any) -> rollups.DayRows:
        read_in_transaction.append(connection.in_atomic_block)
        return original(**kwargs)

    monkeypatch.setattr(rollups, "day_rows", watched)
    today = timezone.localdate()
    written = rollups.rollup_days(first=today - timedelta(days=1), last=today)
    assert read_in_transaction == [False]
    assert written >= 1
    assert DayFigures.objects.filter(day=today).exists()


def _writes(queries: list[dict[str, Any]]) -> list[str]:
    return [
        q["sql"].split()[0].upper()
        for q in queries
        if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}
    ]


@pytest.mark.django_db
def test_a_rollup_writes_only_the_rows_whose_figures_changed() -> None:
    """Every five minutes the recent days are computed again, and almost
    all of their rows come out the same: rewriting them all held SQLite's
    one writer turn for 100-180 ms at a million tickets."""
    agent = f.user()
    customer = f.customer()
    f.ticket(agent, customer, channel="email")
    today = timezone.localdate()
    first = today - timedelta(days=3)
    rollups.rollup_days(first=first, last=today)
    before = sorted(DayFigures.objects.values_list("day", "group_id", "segment", "created"))
    breakdowns = sorted(DayBreakdown.objects.values_list("day", "group_id", "kind", "key", "count"))

    with CaptureQueriesContext(connection) as unchanged:
        rollups.rollup_days(first=first, last=today)
    assert _writes(unchanged.captured_queries) == []

    # One more ticket today, by phone: today's figure row and the category
    # and hour breakdowns are updated, a phone row is added, and the email
    # one is left as it was.
    f.ticket(agent, customer, channel="phone")
    with CaptureQueriesContext(connection) as one_more:
        rollups.rollup_days(first=first, last=today)
    assert _writes(one_more.captured_queries) == ["UPDATE", "UPDATE", "INSERT"]
    after = sorted(DayFigures.objects.values_list("day", "group_id", "segment", "created"))
    assert [row[:3] for row in after] == [row[:3] for row in before]
    assert sum(row[3] for row in after) == sum(row[3] for row in before) + 1
    channels = dict(
        DayBreakdown.objects.filter(day=today, kind=BreakdownKind.CHANNEL).values_list(
            "key", "count"
        )
    )
    assert channels == {"email": 1, "phone": 1}
    assert len(breakdowns) < DayBreakdown.objects.count()

    # The ticket moves to another group: its old group's rows for the day
    # go, the new group's come, and the figures still sum to two tickets.
    ticket = Ticket.objects.get(channel="phone")
    Ticket.objects.filter(pk=ticket.pk).update(group=f.group())
    rollups.rollup_days(first=first, last=today)
    assert DayFigures.objects.filter(day=today).aggregate(n=Sum("created"))["n"] == 2
    assert set(
        DayBreakdown.objects.filter(kind=BreakdownKind.CHANNEL).values_list("group_id", "key")
    ) == {
        (ticket.group_id, "email"),
        (Ticket.objects.get(pk=ticket.pk).group_id, "phone"),
    }
