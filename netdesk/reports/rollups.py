"""The dashboards' precomputed figures: per day, support group and customer
segment, what the KPI definitions of `netdesk.tickets.kpis` (held
resolution included) and the SLA report count, so a chart over six months reads a few thousand rows instead
of a million tickets.

`day_rows` computes the figures of a run of days with one grouped query per
measure (any ticket subset: a key account's plan reads it live);
`rollup_days` stores them for the whole desk, replacing the days it covers,
so running it twice changes nothing. The worker's rollup tick recomputes
the last NETDESK_ROLLUP_DAYS days (at least the held-resolution window and
two days, so every hold is decided in a stored day) every
NETDESK_ROLLUP_MINUTES minutes; a change to an older day (a ticket reopened weeks later) reaches the figures
with `netdesk reports rollup --since DAY`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import (
    Case,
    Count,
    DateField,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from netdesk.reports.localtime import LocalDay, LocalHour, SecondsBetween
from netdesk.reports.models import BreakdownKind, DayBreakdown, DayFigures
from netdesk.reports.selectors import day_start
from netdesk.reports.sla import ComplianceQuery, timers_due_in
from netdesk.sla.models import Metric
from netdesk.tickets import kpis
from netdesk.tickets.choices import OPEN_STATUSES
from netdesk.tickets.models import Ticket

FigureKey = tuple[date, int, str]
BreakdownKey = tuple[date, int, str, str]
# Later than any instant the desk stores: the upper bound of an open range.
END_OF_TIME = datetime(9999, 1, 1, tzinfo=UTC)
MEASURES = (
    "created",
    "responded",
    "resolved",
    "resolved_first_contact",
    "resolved_without_escalation",
    "reopened",
    "resolve_seconds",
    "held_decided",
    "held",
    "backlog",
    "sla_due",
    "sla_breached",
    "response_due",
    "response_breached",
)


@dataclass
class DayRows:
    """Figures of a run of days: measures per (day, group, segment) and
    breakdown counts per (day, group, kind, key)."""

    figures: dict[FigureKey, dict[str, float]] = field(
        default_factory=lambda: defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    )
    breakdowns: dict[BreakdownKey, int] = field(default_factory=lambda: defaultdict(int))


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    return day_start(first), day_start(last + timedelta(days=1))


def _tickets(tickets: QuerySet[Ticket], scope: Q | None) -> QuerySet[Ticket]:
    return (tickets if scope is None else tickets.filter(scope)).order_by()


def _add_created(rows: DayRows, start: datetime, end: datetime, scope: Q | None) -> None:
    created = (
        _tickets(kpis.created_in(start, end), scope)
        .annotate(day=LocalDay("created_at", start=start, end=end), segment=F("customer__segment"))
        .values("day", "group_id", "segment")
        .annotate(**kpis.response_counts())
    )
    for row in created:
        figures = rows.figures[(row["day"], row["group_id"], row["segment"] or "")]
        figures["created"] += row["created"]
        figures["responded"] += row["responded"]


def _add_resolved(
    rows: DayRows, start: datetime, end: datetime, scope: Q | None, now: datetime
) -> None:
    resolved = (
        _tickets(kpis.resolved_in(start, end), scope)
        .annotate(day=LocalDay("resolved_at", start=start, end=end), segment=F("customer__segment"))
        .values("day", "group_id", "segment")
        .annotate(
            **kpis.resolution_counts(),
            **kpis.held_counts(now=now, window=kpis.held_window()),
            took=Sum(SecondsBetween("resolved_at", "created_at")),
        )
    )
    for row in resolved:
        figures = rows.figures[(row["day"], row["group_id"], row["segment"] or "")]
        figures["resolved"] += row["requests_solved"]
        figures["resolved_first_contact"] += row["solved_first_contact"]
        figures["resolved_without_escalation"] += row["solved_without_escalation"]
        figures["reopened"] += row["reopened"]
        figures["held_decided"] += row["held_settled"]
        figures["held"] += row["held"]
        figures["resolve_seconds"] += row["took"] or 0


def _add_backlog(rows: DayRows, first: date, last: date, end: datetime, scope: Q | None) -> None:
    """Tickets open at the end of each day, as `kpis.open_at` counts them:
    created before the day ended and not resolved by then. Grouped queries
    by day created and day resolved; each group adds one at the day it
    arrived (or the first day) and drops one the day it was resolved."""
    start = day_start(first + timedelta(days=1))
    # A ticket that came before the first day counts from the first day: no
    # need for its own day, and grouping by it would return a row for every
    # day of the years the open tickets span.
    came = Case(
        When(created_at__lt=day_start(first), then=Value(first)),
        default=LocalDay("created_at", start=day_start(first), end=end),
        output_field=DateField(),
    )
    tickets = _tickets(Ticket.objects.filter(created_at__lt=end), scope)
    no_day = Value(None, output_field=DateField())
    # Three queries rather than one with an OR: each reads the few tickets
    # it needs through the index on resolved_at. SQLite planned the OR as a
    # pass over every ticket of the desk, 2 s at a million.
    parts = [
        (tickets.filter(resolved_at__isnull=True, status__in=OPEN_STATUSES), no_day),
        (
            tickets.filter(resolved_at__gte=start, resolved_at__lt=end),
            LocalDay("resolved_at", start=start, end=end),
        ),
        # Resolved after the last day (a backfill of past days): open at
        # the end of every one of them. The upper bound is always true; it
        # is there because SQLite guesses that an open-ended range holds a
        # quarter of the table and planned a pass over every ticket.
        (tickets.filter(resolved_at__gte=end, resolved_at__lt=END_OF_TIME), no_day),
    ]
    changes: dict[tuple[int, str], dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for part, went in parts:
        counted = (
            part.annotate(came=came, went=went, segment=F("customer__segment"))
            .values("came", "went", "group_id", "segment")
            .annotate(count=Count("id"))
        )
        for row in counted:
            change = changes[(row["group_id"], row["segment"] or "")]
            change[max(row["came"], first)] += row["count"]
            if row["went"] is not None and row["went"] <= last:
                # Resolved that day: no longer open at its end.
                change[max(row["went"], first)] -= row["count"]
    for (group_id, segment), change in changes.items():
        running = 0
        day = first
        while day <= last:
            running += change.get(day, 0)
            if running:
                rows.figures[(day, group_id, segment)]["backlog"] = running
            day += timedelta(days=1)


def _add_service_levels(rows: DayRows, start: datetime, end: datetime, scope: Q | None) -> None:
    """SLA targets decided each day, as the SLA report counts them (its
    group: the timer's, else the ticket's)."""
    timers = timers_due_in(ComplianceQuery(start=start, end=end))
    if scope is not None:
        timers = timers.filter(ticket__in=Ticket.objects.filter(scope))
    first_response = Q(metric=Metric.FIRST_RESPONSE)
    breached = Q(breached_at__isnull=False)
    decided = (
        timers.order_by()
        .annotate(
            day=LocalDay(Coalesce("stopped_at", "breached_at"), start=start, end=end),
            team=Coalesce("group_id", "ticket__group_id"),
            segment=F("ticket__customer__segment"),
        )
        .values("day", "team", "segment")
        .annotate(
            due=Count("id"),
            breached=Count("id", filter=breached),
            response_due=Count("id", filter=first_response),
            response_breached=Count("id", filter=first_response & breached),
        )
    )
    for row in decided:
        figures = rows.figures[(row["day"], row["team"], row["segment"] or "")]
        figures["sla_due"] += row["due"]
        figures["sla_breached"] += row["breached"]
        figures["response_due"] += row["response_due"]
        figures["response_breached"] += row["response_breached"]


def _add_breakdowns(rows: DayRows, start: datetime, end: datetime, scope: Q | None) -> None:
    created = _tickets(kpis.created_in(start, end), scope).annotate(
        day=LocalDay("created_at", start=start, end=end)
    )
    per_kind: list[tuple[str, QuerySet[Ticket], Any]] = [
        (BreakdownKind.CHANNEL, created, F("channel")),
        (BreakdownKind.CATEGORY, created, F("category_id")),
        (BreakdownKind.HOUR, created, LocalHour("created_at", start=start, end=end)),
        (
            BreakdownKind.ROOT_CAUSE,
            _tickets(kpis.resolved_in(start, end), scope).annotate(
                day=LocalDay("resolved_at", start=start, end=end)
            ),
            F("root_cause"),
        ),
    ]
    for kind, tickets, key in per_kind:
        counted = (
            tickets.annotate(key=key).values("day", "group_id", "key").annotate(count=Count("id"))
        )
        for row in counted:
            value = "" if row["key"] is None else str(row["key"])
            rows.breakdowns[(row["day"], row["group_id"], kind, value)] += row["count"]


def day_rows(
    *, first: date, last: date, scope: Q | None = None, now: datetime | None = None
) -> DayRows:
    """The figures of the days first..last (inclusive) of the tickets that
    `scope` (a filter on Ticket) keeps, the whole desk when None. Held
    resolutions are judged at `now`: a resolution's hold is decided once
    the window after it has passed."""
    start, end = _bounds(first, last)
    rows = DayRows()
    _add_created(rows, start, end, scope)
    _add_resolved(rows, start, end, scope, now or timezone.now())
    _add_backlog(rows, first, last, end, scope)
    _add_service_levels(rows, start, end, scope)
    _add_breakdowns(rows, start, end, scope)
    return rows


def rollup_days(*, first: date, last: date, now: datetime | None = None) -> int:
    """Compute and store the desk's figures of the days first..last,
    replacing what was stored for them; the number of figure rows they
    have."""
    now = now or timezone.now()
    # Read before the transaction: on SQLite a transaction holds the write
    # lock from its first statement, and reading a million tickets' recent
    # days takes seconds, which every create, update and alarm of the desk
    # would wait out every few minutes. Only the replacing is atomic.
    rows = day_rows(first=first, last=last, now=now)
    figures = {key: measures for key, measures in rows.figures.items() if key[1] is not None}
    breakdowns = {key: count for key, count in rows.breakdowns.items() if key[1] is not None}
    with transaction.atomic():
        # Only the rows that changed are written. Most of the recent days'
        # few thousand rows are the same as five minutes ago, and deleting
        # and inserting them all held SQLite's one writer turn for
        # 100-180 ms at a million tickets, a stall for every create queued
        # behind it. The stored rows are read inside the transaction, so
        # what is compared is what is replaced.
        _store_figures(figures, first=first, last=last, now=now)
        _store_breakdowns(breakdowns, first=first, last=last)
    return len(rows.figures)


def _store_figures(
    figures: dict[FigureKey, dict[str, float]], *, first: date, last: date, now: datetime
) -> None:
    stored = DayFigures.objects.filter(day__gte=first, day__lte=last).values_list(
        "pk", "day", "group_id", "segment", *MEASURES
    )
    _write_changed(
        DayFigures,
        stored={(day, group, segment): (pk, tuple(v)) for pk, day, group, segment, *v in stored},
        computed={key: tuple(m[name] for name in MEASURES) for key, m in figures.items()},
        build=lambda key, values: DayFigures(
            day=key[0],
            group_id=key[1],
            segment=key[2],
            computed_at=now,
            **dict(zip(MEASURES, values, strict=True)),
        ),
        fields=[*MEASURES, "computed_at"],
    )


def _store_breakdowns(breakdowns: dict[BreakdownKey, int], *, first: date, last: date) -> None:
    stored = DayBreakdown.objects.filter(day__gte=first, day__lte=last).values_list(
        "pk", "day", "group_id", "kind", "key", "count"
    )
    _write_changed(
        DayBreakdown,
        stored={(day, group, kind, key): (pk, (n,)) for pk, day, group, kind, key, n in stored},
        computed={key: (count,) for key, count in breakdowns.items()},
        build=lambda key, values: DayBreakdown(
            day=key[0], group_id=key[1], kind=key[2], key=key[3], count=values[0]
        ),
        fields=["count"],
    )


def _write_changed(
    model: type[DayFigures] | type[DayBreakdown],
    *,
    stored: dict[Any, tuple[int, tuple[Any, ...]]],
    computed: dict[Any, tuple[Any, ...]],
    build: Callable[[Any, tuple[Any, ...]], Any],
    fields: list[str],
) -> None:
    """Write the computed rows whose values differ from the stored ones,
    add the new and delete the stored rows no longer computed (a day and
    group with no tickets left: moved to another group, say). Stored rows
    come as (pk, values) tuples, not model instances: they are read while
    the writer turn is held, and building an instance per row cost most of
    that read."""
    added, changed = [], []
    for key, values in computed.items():
        found = stored.pop(key, None)
        if found is None or found[1] != values:
            row = build(key, values)
            if found is None:
                added.append(row)
            else:
                row.pk = found[0]
                changed.append(row)
    if stored:
        model.objects.filter(pk__in=[pk for pk, _ in stored.values()]).delete()
    model.objects.bulk_update(changed, fields, batch_size=500)
    model.objects.bulk_create(added, batch_size=2000)


def rollup_since(*, since: date, chunk_days: int = 31, now: datetime | None = None) -> int:
    """Backfill: every day from `since` to today, a month at a time so no
    transaction grows large. The number of figure rows the days have."""
    today = timezone.localdate(now) if now else timezone.localdate()
    written = 0
    first = since
    while first <= today:
        last = min(first + timedelta(days=chunk_days - 1), today)
        written += rollup_days(first=first, last=last, now=now)
        first = last + timedelta(days=1)
    return written
