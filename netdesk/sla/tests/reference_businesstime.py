"""The business-time arithmetic as it was before the open-window tables
(running totals per day, windows walked within a day), kept unchanged as
the reference the tests compare the tables against: the figures of every
timer must stay exactly what they were.

Business-time arithmetic over a working calendar, in real elapsed time.

A calendar opens at wall-clock hours in its own time zone on working days
that are not holidays. Business time between two instants is the real time
(UTC seconds) during which the calendar was open; adding business time walks
forward through those open windows. Everything is exact to the microsecond
(timedelta arithmetic), so adding then measuring gives back what was added.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from netdesk.sla.businesstime import CalendarNeverOpens

ZERO = timedelta(0)
ONE_DAY = timedelta(days=1)
KEPT_MOMENTS = 100_000
# A calendar that never opens would make "add" search forever; stop looking
# after this many days and say the calendar is unusable.
SEARCH_LIMIT_DAYS = 3 * 366


@dataclass(frozen=True)
class ReferenceCalendar:
    """Working hours per weekday (0 = Monday) as local (start, end) pairs;
    an end of 00:00 means midnight at the end of that day."""

    zone: ZoneInfo
    always_open: bool = False
    hours: dict[int, tuple[tuple[time, time], ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    yearly_holidays: frozenset[tuple[int, int]] = frozenset()
    # Each day's windows, worked out once: bulk recomputation asks for the
    # same days hundreds of thousands of times.
    _days: dict[date, tuple[tuple[datetime, datetime], ...]] = field(
        default_factory=dict, compare=False, repr=False
    )
    # Open time from an anchor day to the start of each later day: measuring
    # a ticket open for weeks is then two lookups, not a walk over its days.
    _before_day: dict[date, timedelta] = field(default_factory=dict, compare=False, repr=False)
    # Open time up to recently asked moments (see _open_until).
    _until: dict[datetime, timedelta] = field(default_factory=dict, compare=False, repr=False)

    def is_holiday(self, day: date) -> bool:
        return day in self.holidays or (day.month, day.day) in self.yearly_holidays

    def _local(self, day: date, moment: time) -> datetime:
        return datetime.combine(day, moment, tzinfo=self.zone)

    def _day_windows(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The open windows of one local day, as UTC instants."""
        found = self._days.get(day)
        if found is None:
            found = self._days[day] = tuple(self._work_out_day(day))
        return found

    def _work_out_day(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        """The day's windows in time order, overlapping ones merged (each
        stays within the local day, which the running totals rely on)."""
        if self.is_holiday(day):
            return
        found = []
        for start, end in self.hours.get(day.weekday(), ()):
            opens = self._local(day, start).astimezone(UTC)
            closes = (
                self._local(day + timedelta(days=1), time(0))
                if end == time(0)
                else self._local(day, end)
            ).astimezone(UTC)
            if closes > opens:
                found.append((opens, closes))
        pending: tuple[datetime, datetime] | None = None
        for opens, closes in sorted(found):
            if pending is not None and opens <= pending[1]:
                pending = (pending[0], max(pending[1], closes))
                continue
            if pending is not None:
                yield pending
            pending = (opens, closes)
        if pending is not None:
            yield pending

    def _open_before(self, day: date) -> timedelta | None:
        """Open time from the anchor day up to the start of `day`; None for a
        day before the anchor (the first day asked for, less a year)."""
        totals = self._before_day
        if not totals:
            totals[day - timedelta(days=366)] = ZERO
        found = totals.get(day)
        if found is not None:
            return found
        last = max(totals)
        if day < last:
            return None  # before the anchor: there are no gaps after it
        total = totals[last]
        while last < day:
            total += sum((closes - opens for opens, closes in self._day_windows(last)), ZERO)
            last += timedelta(days=1)
            totals[last] = total
        return total

    def _open_until(self, moment: datetime) -> timedelta | None:
        """Open time from the anchor up to `moment`. A ticket's clocks ask
        for the same moments (its status changes) once per clock: the
        answers are kept, a bounded number of them."""
        kept = self._until.get(moment)
        if kept is not None:
            return kept
        moment = moment.astimezone(UTC)
        day = moment.astimezone(self.zone).date()
        before = self._open_before(day)
        if before is None:
            return None
        for opens, closes in self._day_windows(day):
            if opens < moment:
                before += min(closes, moment) - opens
        if len(self._until) >= KEPT_MOMENTS:
            self._until.clear()
        self._until[moment] = before
        return before

    def windows(
        self, start: datetime, end: datetime | None = None
    ) -> Iterator[tuple[datetime, datetime]]:
        """Open windows clipped to [start, end) in time order, merged where
        they touch (so a 24-hour day is one window even across DST)."""
        start = start.astimezone(UTC)
        if self.always_open:
            yield (
                start,
                (end.astimezone(UTC) if end is not None else datetime.max.replace(tzinfo=UTC)),
            )
            return
        day = start.astimezone(self.zone).date() - timedelta(days=1)
        last_day = day + timedelta(days=SEARCH_LIMIT_DAYS)
        if end is not None:
            last_day = min(last_day, end.astimezone(self.zone).date() + timedelta(days=1))
        end_utc = end.astimezone(UTC) if end is not None else None
        pending: tuple[datetime, datetime] | None = None
        while day <= last_day:
            for opens, closes in self._day_windows(day):
                opens = max(opens, start)
                if end_utc is not None:
                    closes = min(closes, end_utc)
                if closes <= opens:
                    continue
                if pending is not None and opens <= pending[1]:
                    pending = (pending[0], max(pending[1], closes))
                    continue
                if pending is not None:
                    yield pending
                pending = (opens, closes)
            day += timedelta(days=1)
        if pending is not None:
            yield pending

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Open time in [start, end); zero when end is not after start."""
        if end <= start:
            return ZERO
        if self.always_open:
            return end.astimezone(UTC) - start.astimezone(UTC)  # real time across DST
        # Two lookups in the running totals, however short or long the span:
        # cheaper than walking its windows, and the same sum.
        until_start, until_end = self._open_until(start), self._open_until(end)
        if until_start is not None and until_end is not None:
            return until_end - until_start
        return self.windows_total(start, end)

    def windows_total(self, start: datetime, end: datetime) -> timedelta:
        """Open time in [start, end), walking the windows one by one."""
        return sum((closes - opens for opens, closes in self.windows(start, end)), ZERO)

    def next_open(self, start: datetime) -> datetime:
        """`start` if the calendar is open then, else the moment it next opens."""
        for opens, _ in self.windows(start):
            return opens
        raise CalendarNeverOpens(f"the calendar does not open in the next {SEARCH_LIMIT_DAYS} days")

    def add_business_time(self, start: datetime, amount: timedelta) -> datetime:
        """The instant at which `amount` of open time has passed since `start`."""
        if amount < ZERO:
            raise ValueError(f"cannot add negative business time {amount}")
        if amount == ZERO or self.always_open:
            return start.astimezone(UTC) + amount
        found = self._add_by_totals(start, amount)
        if found is not None:
            return found
        remaining = amount
        for opens, closes in self.windows(start):
            length = closes - opens
            if length >= remaining:
                return opens + remaining
            remaining -= length
        raise CalendarNeverOpens(
            f"the calendar has less than {amount} of working time in the next "
            f"{SEARCH_LIMIT_DAYS} days"
        )

    def _add_by_totals(self, start: datetime, amount: timedelta) -> datetime | None:
        """add_business_time through the running day totals: skip whole days
        by their totals, then walk the windows of the day it ends in. None
        when `start` lies before the totals' anchor."""
        reached = self._open_until(start)
        if reached is None:
            return None
        target = reached + amount
        day = start.astimezone(self.zone).date()
        for _ in range(SEARCH_LIMIT_DAYS):
            following = day + ONE_DAY
            if cast("timedelta", self._open_before(following)) >= target:
                before = cast("timedelta", self._open_before(day))
                for opens, closes in self._day_windows(day):
                    if before + (closes - opens) >= target:
                        return opens + (target - before)
                    before += closes - opens
            day = following
        raise CalendarNeverOpens(
            f"the calendar has less than {amount} of working time in the next "
            f"{SEARCH_LIMIT_DAYS} days"
        )
