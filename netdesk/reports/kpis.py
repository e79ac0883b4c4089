"""The desk's KPIs, each defined once, computed from ticket records.

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

from netdesk.tickets.choices import OPEN_STATUSES
from netdesk.tickets.models import Ticket


@dataclass(frozen=True)
class KpiScope:
    start: datetime
    end: datetime
    agent_id: int | None = None
    group_id: int | None = None


def _created_in(scope: KpiScope) -> QuerySet[Ticket]:
    tickets = Ticket.objects.filter(created_at__gte=scope.start, created_at__lt=scope.end)
    if scope.agent_id is not None:
        tickets = tickets.filter(created_by_id=scope.agent_id)
    if scope.group_id is not None:
        tickets = tickets.filter(group_id=scope.group_id)
    return tickets


def _resolved_in(scope: KpiScope) -> QuerySet[Ticket]:
    tickets = Ticket.objects.filter(resolved_at__gte=scope.start, resolved_at__lt=scope.end)
    if scope.agent_id is not None:
        tickets = tickets.filter(resolved_by_id=scope.agent_id)
    if scope.group_id is not None:
        tickets = tickets.filter(group_id=scope.group_id)
    return tickets


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def response_rate(scope: KpiScope) -> dict[str, Any]:
    """Share of tickets created in the period (by the agent, or in the group)
    that have had a first response: a live conversation, an outbound contact
    or a customer-visible reply. None when no ticket was created."""
    counts = _created_in(scope).aggregate(
        created=Count("id"), responded=Count("id", filter=Q(first_response_at__isnull=False))
    )
    return {**counts, "rate": _ratio(counts["responded"], counts["created"])}


def first_response_time(scope: KpiScope) -> dict[str, Any]:
    """Seconds from creation to first response, over tickets created in the
    period that were responded to: median and mean (None without data)."""
    pairs = (
        _created_in(scope)
        .filter(first_response_at__isnull=False)
        .values_list("created_at", "first_response_at")
    )
    seconds = [(answered - created).total_seconds() for created, answered in pairs if answered]
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
    tickets = Ticket.objects.filter(closed_at__gte=scope.start, closed_at__lt=scope.end)
    if scope.agent_id is not None:
        tickets = tickets.filter(resolved_by_id=scope.agent_id)
    if scope.group_id is not None:
        tickets = tickets.filter(group_id=scope.group_id)
    return tickets.count()


def resolution_counts(scope: KpiScope) -> dict[str, Any]:
    """Over tickets resolved in the period (excluding merged duplicates):
    - requests_solved: how many were resolved;
    - solved_first_contact: resolved on the first contact without escalation
      (the ticket's first_contact_resolved flag, set when it was resolved);
    - solved_without_escalation: never went beyond first line (highest tier 1);
    - reopened: were reopened at least once (reopen rate = reopened / solved).
    """
    counts = (
        _resolved_in(scope)
        .filter(merged_into__isnull=True)
        .aggregate(
            requests_solved=Count("id"),
            solved_first_contact=Count("id", filter=Q(first_contact_resolved=True)),
            solved_without_escalation=Count("id", filter=Q(highest_tier_level__lte=1)),
            reopened=Count("id", filter=Q(reopen_count__gt=0)),
        )
    )
    solved = counts["requests_solved"]
    return {
        **counts,
        "first_contact_rate": _ratio(counts["solved_first_contact"], solved),
        "without_escalation_rate": _ratio(counts["solved_without_escalation"], solved),
        "reopen_rate": _ratio(counts["reopened"], solved),
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
    tickets = Ticket.objects.filter(created_at__lt=moment).filter(
        Q(resolved_at__isnull=True, status__in=OPEN_STATUSES) | Q(resolved_at__gte=moment)
    )
    if scope.agent_id is not None:
        tickets = tickets.filter(assignee_id=scope.agent_id)
    if scope.group_id is not None:
        tickets = tickets.filter(group_id=scope.group_id)
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
        "backlog_by_age": backlog_by_age(scope),
    }
