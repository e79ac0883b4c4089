"""Property-based tests of business-time arithmetic, across time zones with
daylight-saving transitions (including Lord Howe's half-hour shift),
half-hour offsets (Kolkata) and holidays."""

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netdesk.sla.businesstime import WorkingCalendar

ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"]
OFFICE: dict[int, tuple[tuple[time, time], ...]] = {d: ((time(8), time(18)),) for d in range(5)}
SPLIT = {d: ((time(8), time(12)), (time(13), time(17, 30))) for d in range(6)}
NIGHT = {
    d: ((time(0), time(3)), (time(22), time(0))) for d in range(7)
}  # crosses midnight and DST hours


def calendars() -> st.SearchStrategy[WorkingCalendar]:
    return st.builds(
        WorkingCalendar,
        zone=st.sampled_from(ZONES).map(ZoneInfo),
        always_open=st.booleans(),
        hours=st.sampled_from([OFFICE, SPLIT, NIGHT]),
        holidays=st.sets(st.dates(date(2025, 1, 1), date(2027, 12, 31)), max_size=30).map(
            frozenset
        ),
        yearly_holidays=st.sampled_from([frozenset(), frozenset({(12, 25), (1, 1), (5, 1)})]),
    )


instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 6, 30), timezones=st.just(UTC)
)
amounts = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20))


@settings(max_examples=300, deadline=None)
@given(calendars(), instants, amounts)
def test_adding_then_measuring_round_trips(calendar, start, amount):
    due = calendar.add_business_time(start, amount)
    assert due >= start
    assert calendar.business_time_between(start, due) == amount


@settings(max_examples=200, deadline=None)
@given(calendars(), instants, amounts, amounts)
def test_due_time_is_monotonic_in_elapsed_time(calendar, start, a, b):
    small, large = sorted((a, b))
    assert calendar.add_business_time(start, small) <= calendar.add_business_time(start, large)


@settings(max_examples=200, deadline=None)
@given(
    calendars(),
    instants,
    st.lists(st.timedeltas(timedelta(0), timedelta(days=3)), min_size=1, max_size=6),
)
def test_measuring_is_additive_over_any_split(calendar, start, steps):
    """Business time over [a, c) = [a, b) + [b, c): pausing at b and resuming
    at b loses nothing and counts nothing twice."""
    points = [start]
    for step in steps:
        points.append(points[-1] + step)
    whole = calendar.business_time_between(points[0], points[-1])
    parts = sum(
        (calendar.business_time_between(a, b) for a, b in itertools.pairwise(points)),
        timedelta(0),
    )
    assert whole == parts


@settings(max_examples=200, deadline=None)
@given(calendars(), instants, amounts, st.timedeltas(timedelta(0), timedelta(days=10)))
def test_pauses_never_consume_business_time(calendar, start, amount, pause):
    """Run part of the target, pause for any length, resume: the remaining
    target after the pause is what was left before it."""
    half = amount / 2
    paused_at = calendar.add_business_time(start, half)
    resumed_at = paused_at + pause
    elapsed = calendar.business_time_between(start, paused_at)
    due = calendar.add_business_time(resumed_at, amount - elapsed)
    counted = calendar.business_time_between(start, paused_at) + calendar.business_time_between(
        resumed_at, due
    )
    assert counted == amount


def test_office_hours_in_berlin_skip_the_weekend_and_holidays():
    berlin = ZoneInfo("Europe/Berlin")
    calendar = WorkingCalendar(zone=berlin, hours=OFFICE, yearly_holidays=frozenset({(12, 25)}))
    friday_5pm = datetime(2026, 12, 18, 17, tzinfo=berlin)
    due = calendar.add_business_time(friday_5pm, timedelta(hours=4))
    assert due == datetime(2026, 12, 21, 11, tzinfo=berlin)  # Monday 11:00
    thursday_5pm = datetime(2026, 12, 24, 17, tzinfo=berlin)  # 25th is a holiday
    assert calendar.add_business_time(thursday_5pm, timedelta(hours=2)) == datetime(
        2026, 12, 28, 9, tzinfo=berlin
    )


def test_dst_night_is_counted_in_real_time():
    """New York, spring forward 2026-03-08 02:00 → 03:00: a 24×7 calendar
    counts 23 real hours from midnight to midnight; a 00:00–03:00 window that
    night is only two real hours long."""
    ny = ZoneInfo("America/New_York")
    always = WorkingCalendar(zone=ny, always_open=True)
    start, end = datetime(2026, 3, 8, tzinfo=ny), datetime(2026, 3, 9, tzinfo=ny)
    assert always.business_time_between(start, end) == timedelta(hours=23)
    night = WorkingCalendar(zone=ny, hours={6: ((time(0), time(3)),)})
    assert night.business_time_between(start, end) == timedelta(hours=2)


def test_lord_howe_half_hour_shift():
    lh = ZoneInfo("Australia/Lord_Howe")
    # 2026-10-04 02:00 local → 02:30 (DST starts, +30 min)
    calendar = WorkingCalendar(zone=lh, hours={6: ((time(0), time(6)),)})
    day = datetime(2026, 10, 4, tzinfo=lh)
    assert calendar.business_time_between(day, day + timedelta(days=1)) == timedelta(
        hours=5, minutes=30
    )


def test_a_calendar_that_never_opens_is_reported():
    calendar = WorkingCalendar(zone=ZoneInfo("UTC"), hours={})
    with pytest.raises(ValueError, match="working time"):
        calendar.add_business_time(datetime(2026, 1, 1, tzinfo=UTC), timedelta(minutes=1))


@given(calendars(), instants, st.timedeltas(timedelta(0), timedelta(days=90)))
def test_running_totals_agree_with_walking_the_windows(calendar, start, length):
    # Long spans are measured from per-day running totals; they must give
    # exactly what walking every window gives, across DST and holidays.
    assert calendar.business_time_between(start, start + length) == calendar.windows_total(
        start, start + length
    )


def walked_due(calendar: WorkingCalendar, start: datetime, amount: timedelta) -> datetime:
    """Adding business time by walking the open windows one by one."""
    remaining = amount
    for opens, closes in calendar.windows(start):
        if closes - opens >= remaining:
            return opens + remaining
        remaining -= closes - opens
    raise AssertionError("the calendar never opens")


@settings(max_examples=300, deadline=None)
@given(calendars(), instants, amounts.filter(lambda amount: amount > timedelta(0)))
def test_adding_through_running_totals_agrees_with_walking_the_windows(calendar, start, amount):
    # Due times are found by skipping whole days by their totals; they must
    # land exactly where walking every window lands, across DST and holidays.
    assert calendar.add_business_time(start, amount) == walked_due(calendar, start, amount)
