"""Computing a timer from a ticket's status history: pure functions, no
database. Time paused (pending states) and time after the stop never
counts; the figures are the same however often they are recomputed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from netdesk.sla.businesstime import ZERO, WorkingCalendar

ALWAYS = WorkingCalendar(zone=ZoneInfo("UTC"), always_open=True)
# Statuses in which no target runs: the work is done.
DONE_STATUSES = frozenset({"resolved", "closed"})


@dataclass(frozen=True)
class Span:
    """The ticket was in `status` from `start` until `end` (None: still is)."""

    start: datetime
    end: datetime | None
    status: str


def status_spans(
    *, created_at: datetime, initial_status: str, changes: Iterable[tuple[datetime, str]]
) -> list[Span]:
    spans: list[Span] = []
    start, status = created_at, initial_status
    for at, new_status in sorted(changes, key=lambda change: change[0]):
        if new_status == status:
            continue
        at = max(at, start)
        spans.append(Span(start, at, status))
        start, status = at, new_status
    spans.append(Span(start, None, status))
    return spans


@dataclass(frozen=True)
class TimerFigures:
    elapsed: timedelta
    state: str  # running, paused, met, breached
    due_at: datetime | None
    warn_at: datetime | None
    breached_at: datetime | None
    stopped_at: datetime | None
    # When each requested share of the target was (or, while running, will
    # be) used up; None when not reached and the clock is not running.
    marks: dict[float, datetime | None] = field(default_factory=dict)


# Kept whole (a little over 80 lines): one walk whose running state
# (elapsed, crossings, the span counting now) the ending reads; split, the
# halves would pass nine values between them. Property-tested as one.
def compute_timer(
    *,
    calendar: WorkingCalendar,
    business_time: bool,
    target: timedelta,
    warn_fraction: float,
    spans: Sequence[Span],
    pause_statuses: frozenset[str],
    window_start: datetime,
    stop_at: datetime | None,
    now: datetime,
    marks: Sequence[float] = (),
) -> TimerFigures:
    """Walk the spans inside [window_start, stop_at or now): count the time
    of spans whose status is neither paused nor done, note when the warning
    point and the target were crossed, and where the clock stands now."""
    clock = calendar if business_time else ALWAYS
    horizon = min(stop_at, now) if stop_at is not None else now
    warn_point = target * warn_fraction
    elapsed = ZERO
    warn_at: datetime | None = None
    breached_at: datetime | None = None
    running_from: datetime | None = None  # start of the span counting now
    before = ZERO  # time counted before that span
    mark_points = {mark: target * mark for mark in marks}
    mark_times: dict[float, datetime | None] = dict.fromkeys(marks)
    for span in spans:
        counts = span.status not in pause_statuses and span.status not in DONE_STATUSES
        start = max(span.start, window_start)
        end = horizon if span.end is None else min(span.end, horizon)
        is_current = span.end is None or span.end > horizon
        if not counts or end < start:
            continue
        if is_current and stop_at is None:
            running_from = start
            before = elapsed
        part = clock.business_time_between(start, end) if end > start else ZERO
        if warn_at is None and elapsed + part >= warn_point:
            warn_at = clock.add_business_time(start, max(warn_point - elapsed, ZERO))
        if breached_at is None and elapsed + part > target:
            breached_at = clock.add_business_time(start, target - elapsed)
        for mark, point in mark_points.items():
            if mark_times[mark] is None and elapsed + part >= point:
                mark_times[mark] = clock.add_business_time(start, max(point - elapsed, ZERO))
        elapsed += part
    stopped = stop_at is not None and stop_at <= now
    if stopped:
        return TimerFigures(
            elapsed,
            "breached" if breached_at else "met",
            breached_at,
            None,
            breached_at,
            stop_at,
            mark_times,
        )
    if running_from is not None:
        # Due and warning times project from where the running span began.
        due_at = breached_at or clock.add_business_time(running_from, target - before)
        if warn_at is None:
            warn_at = clock.add_business_time(running_from, max(warn_point - before, ZERO))
        for mark, point in mark_points.items():
            if mark_times[mark] is None:
                mark_times[mark] = clock.add_business_time(running_from, max(point - before, ZERO))
        return TimerFigures(
            elapsed,
            "breached" if breached_at else "running",
            due_at,
            warn_at,
            breached_at,
            None,
            mark_times,
        )
    return TimerFigures(
        elapsed,
        "breached" if breached_at else "paused",
        breached_at,
        None,
        breached_at,
        None,
        mark_times,
    )
