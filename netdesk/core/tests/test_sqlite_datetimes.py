"""The SQLite backend's shorter reading of datetimes gives what Django's own
conversion gives: aware instants in UTC, microseconds kept, text values
(expressions without a declared type) parsed as before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from django.db import connection

# The backend's base module first: importing its operations module first is
# a circular import in Django.
from django.db.backends.sqlite3 import base  # noqa: F401
from django.db.backends.sqlite3.operations import DatabaseOperations as DjangoOperations
from django.db.models import DateTimeField, Max

from netdesk.tickets.models import Ticket
from tests import factories as f

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's backend only"),
]


def _ops() -> DjangoOperations:
    return cast("DjangoOperations", connection.ops)


def _django(value: object) -> object:
    field: Any = DateTimeField()
    return DjangoOperations.convert_datetimefield_value(_ops(), value, field, connection)


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 3, 29, 1, 0, 0, 123456),
        datetime(2026, 10, 25, 0, 59, 59),
        "2026-12-05 23:59:59.999999",
        "2026-12-05 08:00:00",
        None,
    ],
)
def test_the_conversion_equals_djangos(value: object) -> None:
    ours = _ops().convert_datetimefield_value(value, DateTimeField(), connection)
    assert ours == _django(value)
    if ours is not None:
        assert ours.tzinfo is not None
        assert ours.utcoffset() == timedelta(0)


def test_a_ticket_reads_back_the_instant_it_was_given() -> None:
    at = datetime(2026, 7, 1, 9, 30, 15, 250000, tzinfo=UTC)
    ticket = f.ticket(f.user())
    Ticket.objects.filter(pk=ticket.pk).update(created_at=at)
    assert Ticket.objects.get(pk=ticket.pk).created_at == at
    assert Ticket.objects.filter(pk=ticket.pk).values_list("created_at", flat=True)[0] == at
    # An aggregate has no declared type: SQLite hands back text.
    newest = Ticket.objects.filter(pk=ticket.pk).aggregate(newest=Max("created_at"))["newest"]
    assert newest == at
