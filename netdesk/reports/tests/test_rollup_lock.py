"""The rollup reads the days before it opens its transaction: on SQLite a
transaction holds the write lock from its first statement, and every
create, update and alarm of the desk would wait while a million tickets'
recent days are read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from netdesk.reports import rollups
from netdesk.reports.models import DayFigures
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
