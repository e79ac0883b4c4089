"""The open-window tables give exactly the figures the per-day running
totals gave (tests/reference_businesstime.py, the arithmetic as it was):
business time between two instants, adding business time, next opening,
and whole timers (pauses, warnings, marks, stops) computed from random
status histories, across weekends, holidays, DST changes (Lord Howe's
half hour included), 24x7 and office-hour calendars; and a ticket's
summary as its one-pass form gives it."""

from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netdesk.sla.businesstime import CalendarNeverOpens, WorkingCalendar
from netdesk.sla.engine import Span, compute_timer, status_spans
from netdesk.sla.tests.reference_businesstime import ReferenceCalendar
from netdesk.sla.timers import TicketSummary, TimerRow, clock_running, ticket_summary

ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"]
OFFICE = {d: ((time(8), time(18)),) for d in range(5)}
SPLIT = {d: ((time(8), time(12)), (time(13), time(17, 30))) for d in range(6)}
NIGHT = {d: ((time(0), time(3)), (time(22), time(0))) for d in range(7)}
ROUND_THE_CLOCK = {d: ((time(0), time(0)),) for d in range(7)}
# Instants of DST changes in the zones above (UTC), where mistakes would show.
CHANGES = [
    datetime(2026, 3, 29, 1, tzinfo=UTC),  # Berlin forward
    datetime(2026, 10, 25, 1, tzinfo=UTC),  # Berlin back
    datetime(2026, 3, 8, 7, tzinfo=UTC),  # New York forward
    datetime(2026, 11, 1, 6, tzinfo=UTC),  # New York back
    datetime(2026, 4, 4, 15, tzinfo=UTC),  # Lord Howe back half an hour
    datetime(2026, 10, 3, 15, 30, tzinfo=UTC),  # Lord Howe forward
]

Pair = tuple[WorkingCalendar, ReferenceCalendar]


@st.composite
def calendar_pairs(draw: st.DrawFn) -> Pair:
    """The same calendar as a table-driven WorkingCalendar and as the
    reference."""
    args: dict[str, Any] = {
        "zone": ZoneInfo(draw(st.sampled_from(ZONES))),
        "always_open": draw(st.booleans()) and draw(st.booleans()),
        "hours": draw(st.sampled_from([OFFICE, SPLIT, NIGHT, ROUND_THE_CLOCK])),
        "holidays": frozenset(
            draw(st.sets(st.dates(date(2025, 12, 1), date(2027, 3, 31)), max_size=40))
        ),
        "yearly_holidays": draw(
            st.sampled_from([frozenset(), frozenset({(12, 25), (12, 26), (1, 1), (5, 1)})])
        ),
    }
    return WorkingCalendar(**args), ReferenceCalendar(**args)


anywhere = st.datetimes(
    min_value=datetime(2025, 6, 1), max_value=datetime(2027, 6, 30), timezones=st.just(UTC)
)
near_changes = st.builds(
    lambda change, shift: change + shift,
    st.sampled_from(CHANGES),
    st.timedeltas(timedelta(hours=-60), timedelta(hours=60)),
)
instants = st.one_of(anywhere, near_changes)
lengths = st.one_of(
    st.timedeltas(timedelta(0), timedelta(hours=30)),
    st.timedeltas(timedelta(0), timedelta(days=120)),
    st.sampled_from([timedelta(hours=h) for h in (1, 4, 8, 9, 10, 24, 40, 50)]),
)


@settings(max_examples=400, deadline=None)
@given(calendar_pairs(), st.lists(st.tuples(instants, lengths), min_size=1, max_size=25))
def test_measuring_and_adding_agree_with_the_reference(pair: Pair, questions) -> None:
    """One calendar asked many questions in random order, as a batch asks
    them (the table is anchored on the first and grows with later ones;
    earlier moments fall back to walking the windows)."""
    calendar, reference = pair
    for start, length in questions:
        end = start + length
        assert calendar.business_time_between(start, end) == reference.business_time_between(
            start, end
        )
        assert calendar.add_business_time(start, length) == reference.add_business_time(
            start, length
        )
        assert calendar.next_open(start) == reference.next_open(start)


@settings(max_examples=200, deadline=None)
@given(calendar_pairs(), instants, st.timedeltas(timedelta(0), timedelta(days=400)))
def test_long_spans_and_far_due_times_agree_with_the_reference(
    pair: Pair, start: datetime, length: timedelta
) -> None:
    calendar, reference = pair
    assert calendar.business_time_between(start, start + length) == (
        reference.business_time_between(start, start + length)
    )
    assert calendar.add_business_time(start, length / 3) == reference.add_business_time(
        start, length / 3
    )


def test_moments_in_other_zones_are_the_same_instants() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    args: dict[str, Any] = {"zone": berlin, "hours": OFFICE}
    calendar, reference = WorkingCalendar(**args), ReferenceCalendar(**args)
    start = datetime(2026, 10, 23, 17, tzinfo=berlin)  # Friday, the weekend DST ends
    # 09:30 in New York (still on summer time) is 14:30 in Berlin (not).
    end = datetime(2026, 10, 26, 9, 30, tzinfo=ZoneInfo("America/New_York"))
    assert calendar.business_time_between(start, end) == timedelta(hours=7, minutes=30)
    assert calendar.business_time_between(start, end) == reference.business_time_between(start, end)
    due = calendar.add_business_time(start, timedelta(hours=3))
    assert due == datetime(2026, 10, 26, 10, tzinfo=berlin)
    assert due == reference.add_business_time(start, timedelta(hours=3))


def test_a_calendar_that_never_opens_is_reported_by_both() -> None:
    args: dict[str, Any] = {"zone": ZoneInfo("UTC"), "hours": {}}
    start = datetime(2026, 1, 5, tzinfo=UTC)
    for calendar in (WorkingCalendar(**args), ReferenceCalendar(**args)):
        with pytest.raises(CalendarNeverOpens):
            calendar.add_business_time(start, timedelta(hours=1))
    # Open one hour in three years (Monday 1 June 2026): half an hour is
    # found, two hours are not.
    rare: dict[str, Any] = {"zone": ZoneInfo("UTC"), "hours": {0: ((time(9), time(10)),)}}
    only_june_first = frozenset(
        (m, d) for m in range(1, 13) for d in range(1, 32) if (m, d) != (6, 1)
    )
    rare["yearly_holidays"] = only_june_first
    calendar, reference = WorkingCalendar(**rare), ReferenceCalendar(**rare)
    half = timedelta(minutes=30)
    assert calendar.add_business_time(start, half) == datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
    assert reference.add_business_time(start, half) == datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
    for one in (calendar, reference):
        with pytest.raises(CalendarNeverOpens):
            one.add_business_time(start, timedelta(hours=2))


STATUSES = ["new", "in_progress", "pending_customer", "pending_vendor", "resolved", "in_progress"]


@st.composite
def histories(draw: st.DrawFn) -> tuple[datetime, list[Span]]:
    created = draw(instants)
    changes, at = [], created
    for _ in range(draw(st.integers(0, 7))):
        at += draw(st.timedeltas(timedelta(0), timedelta(days=4)))
        changes.append((at, draw(st.sampled_from(STATUSES))))
    return created, status_spans(created_at=created, initial_status="new", changes=changes)


@settings(max_examples=500, deadline=None)
@given(
    calendar_pairs(),
    histories(),
    st.sampled_from([15, 60, 240, 480, 1440, 2400, 7200]),
    st.sampled_from([0.5, 0.75, 0.8, 1.0]),
    st.sampled_from(
        [
            frozenset(),
            frozenset({"pending_customer"}),
            frozenset({"pending_customer", "pending_vendor"}),
        ]
    ),
    st.booleans(),
    st.one_of(st.none(), st.timedeltas(timedelta(0), timedelta(days=20))),
    st.timedeltas(timedelta(0), timedelta(days=30)),
)
def test_timers_agree_with_the_reference(
    pair: Pair,
    history: tuple[datetime, list[Span]],
    minutes: int,
    warn: float,
    pauses: frozenset[str],
    business_time: bool,
    stop_after: timedelta | None,
    now_after: timedelta,
) -> None:
    """Whole timers (elapsed, due, warning, breach, marks) from random
    status histories with pauses and stops, on both arithmetics."""
    calendar, reference = pair
    created, spans = history
    figures = [
        asdict(
            compute_timer(
                calendar=cast("WorkingCalendar", one),
                business_time=business_time,
                target=timedelta(minutes=minutes),
                warn_fraction=warn,
                spans=spans,
                pause_statuses=pauses,
                window_start=created,
                stop_at=None if stop_after is None else created + stop_after,
                now=created + now_after,
                marks=(0.5, 1.0, 1.5),
            )
        )
        for one in (calendar, reference)
    ]
    assert figures[0] == figures[1]


def reference_summary(ticket_id: int, timers: list[TimerRow]) -> TicketSummary:
    """ticket_summary as it was written before its one-pass form."""
    live = [t for t in timers if t.state != "cancelled"]
    running = [t for t in live if clock_running(t)]
    return TicketSummary(
        pk=ticket_id,
        sla_next_due_at=min((t.due_at for t in running if t.due_at is not None), default=None),
        sla_warn_at=min((t.warn_at for t in running if t.warn_at is not None), default=None),
        sla_paused=not running and any(t.stopped_at is None for t in live),
        sla_breached=any(t.breached_at is not None for t in live),
    )


maybe_instants = st.one_of(st.none(), anywhere)


@st.composite
def timer_rows(draw: st.DrawFn) -> TimerRow:
    return TimerRow(
        pk=None,
        ticket_id=1,
        kind="sla",
        metric="resolution",
        group_id=None,
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        state=draw(st.sampled_from(["running", "paused", "met", "breached", "cancelled"])),
        due_at=draw(maybe_instants),
        warn_at=draw(maybe_instants),
        breached_at=draw(maybe_instants),
        stopped_at=draw(maybe_instants),
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(timer_rows(), max_size=6))
def test_ticket_summary_agrees_with_its_reference(timers: list[TimerRow]) -> None:
    assert ticket_summary(1, timers) == reference_summary(1, timers)
