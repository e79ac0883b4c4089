"""The desk's KPI report: the ticket KPIs (defined once, in
`netdesk.tickets.kpis`) for a scope and a period.

A scope picks the tickets (all, one agent's, one group's) and a period
[start, end). Each KPI function documents exactly what it counts; the
report runs a fixed number of aggregate queries whatever the data size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from netdesk.tickets import kpis
from netdesk.tickets.models import Ticket


@dataclass(frozen=True)
class KpiScope:
    start: datetime
    end: datetime
    agent_id: int | None = None
    group_id: int | None = None


def _scoped(tickets: QuerySet[Ticket], scope: KpiScope, agent_field: str) -> QuerySet[Ticket]:
    """The scope's share of a KPI's tickets: those counted for its agent,
    those in its group."""
    if scope.agent_id is not None:
        tickets = tickets.filter(**{f"{agent_field}_id": scope.agent_id})
    if scope.group_id is not None:
        tickets = tickets.filter(group_id=scope.group_id)
    return tickets


def _created_in(scope: KpiScope) -> QuerySet[Ticket]:
    return _scoped(kpis.created_in(scope.start, scope.end), scope, kpis.RESPONSE_AGENT)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def response_rate(scope: KpiScope) -> dict[str, Any]:
    """Share of tickets created in the period (by the agent, or in the group)
    that have had a first response: a live conversation, an outbound contact
    or a customer-visible reply. None when no ticket was created."""
    counts = _created_in(scope).aggregate(**kpis.response_counts())
    return {**counts, "rate": _ratio(counts["responded"], counts["created"])}


def first_response_time(scope: KpiScope) -> dict[str, Any]:
    """Seconds from creation to first response, over tickets created in the
    period that were responded to: median and mean (None without data)."""
    waits = (
        _created_in(scope)
        .filter(kpis.RESPONDED)
        .annotate(waited=kpis.response_wait())
        .values_list("waited", flat=True)
    )
    seconds = [wait.total_seconds() for wait in waits if wait is not None]
    if not seconds:
        return {"count": 0, "median_seconds": None, "mean_seconds": None}
    return {
        "count": len(seconds),
        "median_seconds": round(median(seconds), 1),
        "mean_seconds": round(sum(seconds) / len(seconds), 1),
    }


def tickets_closed(scope: KpiScope) -> int:
    """Tickets whose status became closed in the period (group: its group at
    closing; agent: tickets they resolved)."""
    return _scoped(kpis.closed_in(scope.start, scope.end), scope, kpis.CLOSED_AGENT).count()


def resolution_counts(scope: KpiScope) -> dict[str, Any]:
    """Over tickets resolved in the period (by the agent, or in the group;
    merged duplicates left out), the counts of `kpis.resolution_counts` and
    their rates: first contact, without escalation and reopened, each over
    the tickets solved."""
    resolved = _scoped(kpis.resolved_in(scope.start, scope.end), scope, kpis.RESOLUTION_AGENT)
    counts = resolved.aggregate(**kpis.resolution_counts())
    solved = counts["requests_solved"]
    return {
        **counts,
        "first_contact_rate": _ratio(counts["solved_first_contact"], solved),
        "without_escalation_rate": _ratio(counts["solved_without_escalation"], solved),
        "reopen_rate": _ratio(counts["reopened"], solved),
    }


def held_resolution(scope: KpiScope, *, now: datetime | None = None) -> dict[str, Any]:
    """Over the same tickets as `resolution_counts`, how many resolutions
    held: no new ticket of the customer about the same service and no reopen
    within the window after it (`kpis.held_counts`). Tickets resolved less
    than the window ago are pending and left out of the rate."""
    window = kpis.held_window()
    resolved = _scoped(kpis.resolved_in(scope.start, scope.end), scope, kpis.HELD_AGENT)
    counts = resolved.aggregate(**kpis.held_counts(now=now or timezone.now(), window=window))
    return {
        "window_days": window.days,
        "settled": counts["held_settled"],
        "held": counts["held"],
        "pending": counts["held_pending"],
        "rate": _ratio(counts["held"], counts["held_settled"]),
    }


BACKLOG_BUCKETS: list[tuple[str, timedelta | None]] = [
    ("under_1_day", timedelta(days=1)),
    ("1_to_3_days", timedelta(days=3)),
    ("3_to_7_days", timedelta(days=7)),
    ("7_to_30_days", timedelta(days=30)),
    ("over_30_days", None),
]


def backlog_by_age(scope: KpiScope) -> dict[str, int]:
    """Tickets open at the end of the period (created before it, not yet
    resolved then), counted by age at that moment; for a period that ends
    later today, at this moment. Agent: assigned to them."""
    moment = min(scope.end, timezone.now())
    tickets = _scoped(kpis.open_at(moment), scope, kpis.BACKLOG_AGENT)
    aggregates: dict[str, Any] = {}
    lower: timedelta = timedelta(0)
    for name, upper in BACKLOG_BUCKETS:
        condition = Q(created_at__lte=moment - lower)
        if upper is not None:
            condition &= Q(created_at__gt=moment - upper)
        aggregates[name] = Count("id", filter=condition)
        lower = upper or lower
    return dict(tickets.aggregate(**aggregates))


def kpi_report(scope: KpiScope) -> dict[str, Any]:
    """All KPIs of one scope and period."""
    return {
        "response": response_rate(scope),
        "first_response_time": first_response_time(scope),
        "tickets_closed": tickets_closed(scope),
        "resolution": resolution_counts(scope),
        "held_resolution": held_resolution(scope),
        "backlog_by_age": backlog_by_age(scope),
    }
