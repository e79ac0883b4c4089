"""When a subscribed report is sent and which period it covers, by the
desk's calendar (Europe/Berlin here): daily, weekly and monthly, across the
changes to and from summer time and the ends of months."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from netdesk.reports.schedule import Schedule, covered_period, local_moment, next_run_after

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(autouse=True)
def desk_in_berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def test_daily_is_the_same_day_before_its_hour_and_the_next_day_after():
    daily = Schedule("daily", hour=7)
    assert next_run_after(daily, berlin(2026, 6, 10, 6, 59)) == berlin(2026, 6, 10, 7)
    assert next_run_after(daily, berlin(2026, 6, 10, 7, 0)) == berlin(2026, 6, 11, 7)
    assert next_run_after(daily, berlin(2026, 6, 10, 23, 30)) == berlin(2026, 6, 11, 7)


def test_the_local_hour_holds_across_summer_time():
    daily = Schedule("daily", hour=7)
    # The night clocks go forward (29 March 2026) and back (25 October).
    spring = next_run_after(daily, berlin(2026, 3, 28, 8))
    assert spring == berlin(2026, 3, 29, 7)
    assert spring.astimezone(UTC).hour == 5
    autumn = next_run_after(daily, berlin(2026, 10, 24, 8))
    assert autumn == berlin(2026, 10, 25, 7)
    assert autumn.astimezone(UTC).hour == 6


def test_an_hour_the_clocks_skip_sends_at_the_first_moment_after_it():
    two = Schedule("daily", hour=2)
    moment = next_run_after(two, berlin(2026, 3, 28, 12))
    assert moment.astimezone(UTC) == datetime(2026, 3, 29, 1, tzinfo=UTC)
    assert moment.astimezone(BERLIN).hour == 3
    # The hour repeated in autumn is sent once, at its first occurrence.
    autumn = next_run_after(two, berlin(2026, 10, 24, 12))
    assert autumn.astimezone(UTC) == datetime(2026, 10, 25, 0, tzinfo=UTC)
    assert next_run_after(two, autumn) == berlin(2026, 10, 26, 2)


def test_weekly_goes_to_its_weekday():
    monday = Schedule("weekly", hour=8, weekday=0)
    # 10 June 2026 is a Wednesday.
    assert next_run_after(monday, berlin(2026, 6, 10, 12)) == berlin(2026, 6, 15, 8)
    assert next_run_after(monday, berlin(2026, 6, 15, 7)) == berlin(2026, 6, 15, 8)
    assert next_run_after(monday, berlin(2026, 6, 15, 8)) == berlin(2026, 6, 22, 8)


def test_monthly_on_its_day_over_month_and_year_ends():
    on_28 = Schedule("monthly", hour=6, day_of_month=28)
    assert next_run_after(on_28, berlin(2026, 1, 29)) == berlin(2026, 2, 28, 6)
    assert next_run_after(on_28, berlin(2026, 12, 28, 7)) == berlin(2027, 1, 28, 6)
    first = Schedule("monthly", hour=0, day_of_month=1)
    assert next_run_after(first, berlin(2026, 12, 31, 23, 59)) == berlin(2027, 1, 1, 0)


def test_the_period_is_the_whole_day_week_or_month_before():
    run = berlin(2026, 3, 2, 7)
    assert covered_period("daily", run) == (berlin(2026, 3, 1), berlin(2026, 3, 2))
    assert covered_period("weekly", run) == (berlin(2026, 2, 23), berlin(2026, 3, 2))
    assert covered_period("monthly", run) == (berlin(2026, 2, 1), berlin(2026, 3, 1))
    assert covered_period("monthly", berlin(2026, 1, 1, 6)) == (
        berlin(2025, 12, 1),
        berlin(2026, 1, 1),
    )


def test_a_week_over_the_spring_change_is_seven_local_days():
    start, end = covered_period("weekly", berlin(2026, 3, 30, 7))
    assert (start, end) == (berlin(2026, 3, 23), berlin(2026, 3, 30))
    assert (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() == 7 * 24 * 3600 - 3600


def test_local_midnight_is_local():
    assert local_moment(datetime(2026, 6, 1).date(), 0) == berlin(2026, 6, 1)
