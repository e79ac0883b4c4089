"""Business-time arithmetic over a working calendar, in real elapsed time.

A calendar opens at wall-clock hours in its own time zone on working days
that are not holidays. Business time between two instants is the real time
(UTC seconds) during which the calendar was open; adding business time walks
forward through those open windows. Everything is exact to the microsecond
(timedelta arithmetic), so adding then measuring gives back what was added.

Measuring and adding go through a table of the calendar's open windows in
time order with the open time before each (from a day a year before the
first moment asked about): the open time up to a moment is one bisection,
and the moment a running total is reached is another. Walking the windows
(`windows`, `windows_total`) gives the same answers and remains for moments
before the table and as the reference the tests compare against.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ZERO = timedelta(0)
ONE_DAY = timedelta(days=1)
# The table grows by at least this many days at a time.
TABLE_STEP_DAYS = 64
# How many answers of _open_until a calendar keeps.
KEPT_MOMENTS = 100_000
# A calendar that never opens would make "add" search forever; stop looking
# after this many days and say the calendar is unusable.
SEARCH_LIMIT_DAYS = 3 * 366
# Windows opening sooner than this after a start are surely within the search.
NEAR = timedelta(days=SEARCH_LIMIT_DAYS - 2)


class CalendarNeverOpens(ValueError):
    """The calendar has no working time in the searched horizon."""


@dataclass(slots=True)
class OpenTable:
    """A calendar's open windows of the local days [first_day, end_day) in
    time order: `before[i]` is the open time from the first day up to
    `starts[i]`, `through[i]` up to `ends[i]`. `covered_from`/`covered_to`
    bound the moments whose open time it gives: a day inside the first and
    the last day (a day's windows never leave it, and a local midnight is
    at most hours from its UTC reckoning)."""

    first_day: date
    end_day: date
    covered_from: datetime
    covered_to: datetime
    starts: list[datetime] = field(default_factory=list)
    ends: list[datetime] = field(default_factory=list)
    before: list[timedelta] = field(default_factory=list)
    through: list[timedelta] = field(default_factory=list)


@dataclass(frozen=True)
class WorkingCalendar:
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
    # The open windows with their running totals (see OpenTable), built on
    # the first question and extended forward as later moments are asked.
    _tables: list[OpenTable] = field(default_factory=list, compare=False, repr=False)
    # Open time up to recently asked moments: a ticket's clocks ask for the
    # same moments (its status changes) once per clock.
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

    def _midnight(self, day: date) -> datetime:
        return self._local(day, time(0)).astimezone(UTC)

    def _table(self, moment: datetime) -> OpenTable | None:
        """The table, reaching past `moment`; None when `moment` lies before
        it (a year before the first moment asked about)."""
        if not self._tables:
            first = moment.astimezone(self.zone).date() - timedelta(days=366)
            self._tables.append(
                OpenTable(first, first, self._midnight(first + ONE_DAY), self._midnight(first))
            )
        table = self._tables[0]
        if moment < table.covered_from:
            return None
        if moment >= table.covered_to:
            self._extend(table, moment.astimezone(self.zone).date() + 2 * ONE_DAY)
        return table

    def _extend(self, table: OpenTable, until: date) -> None:
        """Add the windows of the days from the table's end to `until`."""
        until = max(until, table.end_day + timedelta(days=TABLE_STEP_DAYS))
        total = table.through[-1] if table.through else ZERO
        day = table.end_day
        while day < until:
            for opens, closes in self._work_out_day(day):
                table.starts.append(opens)
                table.ends.append(closes)
                table.before.append(total)
                total += closes - opens
                table.through.append(total)
            day += ONE_DAY
        table.end_day = day
        # A day short of the end: a moment before it lies in a listed day.
        table.covered_to = self._midnight(day - ONE_DAY)

    def _open_until(self, moment: datetime) -> timedelta | None:
        """Open time from the table's first day up to `moment`: the total
        before the last window opening before it, plus that window's part up
        to it. None when `moment` lies before the table."""
        kept = self._until.get(moment)
        if kept is not None:
            return kept
        table = self._table(moment)
        if table is None:
            return None
        at = bisect_right(table.starts, moment) - 1
        if at < 0:
            found = ZERO
        else:
            opens = table.starts[at]
            found = table.before[at] + (min(table.ends[at], moment) - opens)
        if len(self._until) >= KEPT_MOMENTS:
            self._until.clear()
        self._until[moment] = found
        return found

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
        """add_business_time through the table: the first window whose
        running total reaches the open time up to `start` plus `amount`.
        None when `start` lies before the table."""
        reached = self._open_until(start)
        if reached is None:
            return None
        target = reached + amount
        table = self._tables[0]
        while True:
            at = bisect_left(table.through, target)
            if at < len(table.through):
                found = table.starts[at] + (target - table.before[at])
                if table.starts[at] - start < NEAR or self._searched(start, table.starts[at]):
                    return found
                break
            if table.end_day > self._last_searched_day(start):
                break
            self._extend(table, table.end_day + timedelta(days=TABLE_STEP_DAYS))
        raise CalendarNeverOpens(
            f"the calendar has less than {amount} of working time in the next "
            f"{SEARCH_LIMIT_DAYS} days"
        )

    def _last_searched_day(self, start: datetime) -> date:
        return start.astimezone(self.zone).date() + timedelta(days=SEARCH_LIMIT_DAYS)

    def _searched(self, start: datetime, opens: datetime) -> bool:
        """Whether a window opening at `opens` lies within the days searched
        from `start` (the day of `start` and the SEARCH_LIMIT_DAYS - 1 after)."""
        return opens < self._midnight(self._last_searched_day(start))
