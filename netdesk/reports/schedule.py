"""When a subscribed report is sent and which period it covers, by the
calendar of the desk's time zone: daily, weekly (on a weekday) or monthly
(on a day 1-28, which every month has) at a local hour. A change to or from
summer time moves neither the local hour nor the period's whole days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from netdesk.reports.models import Frequency, ReportSubscription

# Far enough for any schedule: a monthly report is due within 31 days.
SEARCH_DAYS = 40


@dataclass(frozen=True)
class Schedule:
    frequency: str
    hour: int
    weekday: int | None = None  # 0 = Monday
    day_of_month: int | None = None


def schedule_of(subscription: ReportSubscription) -> Schedule:
    return Schedule(
        subscription.frequency,
        subscription.hour,
        subscription.weekday,
        subscription.day_of_month,
    )


def desk_zone() -> ZoneInfo:
    zone = timezone.get_default_timezone()
    assert isinstance(zone, ZoneInfo)
    return zone


def local_moment(day: date, hour: int) -> datetime:
    """`hour`:00 local on `day`, as an aware time. In the hour skipped when
    clocks go forward it is the first moment after the gap (02:00 becomes
    03:00); in the hour repeated when they go back, its first occurrence."""
    naive = datetime.combine(day, time(hour))
    zone = desk_zone()
    moment = naive.replace(tzinfo=zone, fold=0)
    # A time in the gap does not survive the round trip through UTC: it
    # comes back an hour later, which is the first moment that exists.
    return moment.astimezone(ZoneInfo("UTC")).astimezone(zone)


def _runs_on(schedule: Schedule, day: date) -> bool:
    if schedule.frequency == Frequency.WEEKLY:
        return day.weekday() == schedule.weekday
    if schedule.frequency == Frequency.MONTHLY:
        return day.day == schedule.day_of_month
    return True


def next_run_after(schedule: Schedule, after: datetime) -> datetime:
    """The first send time of `schedule` strictly after `after`."""
    day = after.astimezone(desk_zone()).date()
    for offset in range(SEARCH_DAYS):
        candidate_day = day + timedelta(days=offset)
        if _runs_on(schedule, candidate_day):
            moment = local_moment(candidate_day, schedule.hour)
            if moment > after:
                return moment
    raise ValueError(f"no send time within {SEARCH_DAYS} days for {schedule}")


def _month_start(day: date) -> date:
    return day.replace(day=1)


def covered_period(frequency: str, run_at: datetime) -> tuple[datetime, datetime]:
    """The period [start, end) a report sent at `run_at` covers: the whole
    day, week (seven days) or calendar month before the day it is sent."""
    zone = desk_zone()
    today = run_at.astimezone(zone).date()
    if frequency == Frequency.MONTHLY:
        first = _month_start(_month_start(today) - timedelta(days=1))
        last = _month_start(today)
    elif frequency == Frequency.WEEKLY:
        first, last = today - timedelta(days=7), today
    else:
        first, last = today - timedelta(days=1), today
    return local_moment(first, 0), local_moment(last, 0)
