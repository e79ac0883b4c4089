"""The local day and hour the database works out equal Python's conversion,
in zones with summer time, half-hour offsets and half-hour changes, for
instants on both sides of each change and outside the span asked for."""

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from netdesk.accounts.models import Role
from netdesk.reports.localtime import LocalDay, LocalHour, offsets
from netdesk.tickets.models import Ticket
from tests import factories as f

pytestmark = pytest.mark.django_db

# Zones and a span of days around their changes in 2026: summer time
# beginning and ending, India's fixed +05:30, Lord Howe's half-hour change,
# Chatham's +12:45/+13:45, and UTC itself.
CASES = [
    ("Europe/Berlin", datetime(2026, 3, 25, tzinfo=UTC), 10),
    ("Europe/Berlin", datetime(2026, 10, 20, tzinfo=UTC), 10),
    ("America/New_York", datetime(2026, 3, 5, tzinfo=UTC), 10),
    ("America/New_York", datetime(2026, 10, 28, tzinfo=UTC), 10),
    ("Asia/Kolkata", datetime(2026, 6, 1, tzinfo=UTC), 3),
    ("Australia/Lord_Howe", datetime(2026, 4, 1, tzinfo=UTC), 10),
    ("Pacific/Chatham", datetime(2026, 9, 24, tzinfo=UTC), 5),
    ("UTC", datetime(2026, 6, 1, tzinfo=UTC), 2),
]


def test_offsets_are_found_to_the_second():
    berlin = ZoneInfo("Europe/Berlin")
    found = offsets(datetime(2026, 3, 20, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC), berlin)
    assert found == [
        (None, 3600),
        (datetime(2026, 3, 29, 1, tzinfo=UTC), 7200),
        (datetime(2026, 10, 25, 1, tzinfo=UTC), 3600),
    ]


@pytest.mark.parametrize(("zone_name", "start", "days"), CASES)
def test_local_day_and_hour_equal_pythons(zone_name, start, days):
    zone = ZoneInfo(zone_name)
    end = start + timedelta(days=days)
    rng = random.Random(zone_name)
    # Instants every few minutes over the span, at the exact changes and a
    # second either side, and a day before and after the span.
    instants = [start + timedelta(minutes=rng.randint(1, 97) * n) for n in range(60)]
    for changed_at, _ in offsets(start, end, zone)[1:]:
        assert changed_at is not None
        instants += [
            changed_at,
            changed_at - timedelta(seconds=1),
            changed_at + timedelta(seconds=1),
        ]
    instants += [start - timedelta(hours=20), end + timedelta(hours=20)]
    instants = [i.replace(microsecond=rng.choice([0, 250_000])) for i in instants]
    operator = f.user(Role.HOTLINE_OPERATOR)
    customer = f.customer()
    for instant in instants:
        ticket = f.ticket(operator, customer)
        Ticket.objects.filter(pk=ticket.pk).update(created_at=instant)

    with timezone.override(zone):
        got = set(
            Ticket.objects.annotate(
                day=LocalDay("created_at", start=start, end=end),
                hour=LocalHour("created_at", start=start, end=end),
            ).values_list("created_at", "day", "hour")
        )
    expected = {(i, i.astimezone(zone).date(), i.astimezone(zone).hour) for i in instants}
    assert got == expected
