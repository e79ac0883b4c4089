"""SLA and OLA compliance: how many targets that came due in a period were
met, per policy, priority, group, tier, customer segment or key account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Case, Count, F, Q, QuerySet, When
from django.db.models.functions import Coalesce

from netdesk.core.csvexport import time_heading
from netdesk.core.errors import ValidationFailed
from netdesk.customers.models import Segment
from netdesk.reports.formatting import NO_VALUE, choice_label
from netdesk.sla.models import Metric, PolicyKind, SlaTimer, TimerState
from netdesk.tickets.choices import Priority

# What a row can be grouped by, and the column that gives it.
DIMENSIONS: dict[str, Any] = {
    "policy": F("policy__name"),
    "priority": F("ticket__priority"),
    "group": Coalesce(F("group__name"), F("ticket__group__name")),
    "tier": Coalesce(F("group__tier__name"), F("ticket__group__tier__name")),
    "segment": F("ticket__customer__segment"),
    # A site of a group account counts towards its group account.
    "key_account": Case(
        When(
            ticket__customer__parent_account__segment=Segment.KEY_ACCOUNT,
            then=F("ticket__customer__parent_account__name"),
        ),
        default=F("ticket__customer__name"),
    ),
    "metric": F("metric"),
}
DIMENSION_LABELS = {
    "policy": "Policy",
    "priority": "Priority",
    "group": "Group",
    "tier": "Tier",
    "segment": "Customer segment",
    "key_account": "Key account",
    "metric": "Target",
}
# Dimensions whose values are codes, shown by their labels.
DIMENSION_CHOICES: dict[str, Any] = {"priority": Priority, "segment": Segment, "metric": Metric}
KEY_ACCOUNT_TICKETS = Q(ticket__customer__segment=Segment.KEY_ACCOUNT) | Q(
    ticket__customer__parent_account__segment=Segment.KEY_ACCOUNT
)
BREACHED_LIST_LIMIT = 500


@dataclass(frozen=True)
class ComplianceQuery:
    start: datetime
    end: datetime
    kind: str = PolicyKind.SLA
    metric: str | None = None
    by: str = "policy"


def _check(query: ComplianceQuery) -> None:
    if query.by not in DIMENSIONS:
        raise ValidationFailed(
            f"Cannot group by {query.by!r}.",
            field="by",
            value=query.by,
            accepted=sorted(DIMENSIONS),
        )
    if query.kind not in PolicyKind.values:
        raise ValidationFailed(
            f"Unknown kind {query.kind!r}.",
            field="kind",
            value=query.kind,
            accepted=list(PolicyKind.values),
        )
    if query.metric is not None and query.metric not in Metric.values:
        raise ValidationFailed(
            f"Unknown metric {query.metric!r}.",
            field="metric",
            value=query.metric,
            accepted=list(Metric.values),
        )
    if query.start >= query.end:
        raise ValidationFailed(
            "The period starts after it ends.",
            field="start",
            value=query.start.isoformat(),
            accepted="a time before end",
        )


def timers_due_in(query: ComplianceQuery) -> QuerySet[SlaTimer]:
    """Targets decided in the period: stopped in it (met or late), or still
    running and breached in it. Running targets not yet due are not counted."""
    _check(query)
    timers = (
        SlaTimer.objects.filter(kind=query.kind)
        .exclude(state=TimerState.CANCELLED)
        .filter(
            Q(stopped_at__gte=query.start, stopped_at__lt=query.end)
            | Q(stopped_at__isnull=True, breached_at__gte=query.start, breached_at__lt=query.end)
        )
    )
    if query.metric:
        timers = timers.filter(metric=query.metric)
    if query.by == "key_account":
        timers = timers.filter(KEY_ACCOUNT_TICKETS)
    return timers


def dimension_label(by: str, value: Any) -> str:
    choices = DIMENSION_CHOICES.get(by)
    if choices is not None:
        return choice_label(choices, value)
    return NO_VALUE if value is None or value == "" else str(value)


def compliance_rows(query: ComplianceQuery) -> list[dict[str, Any]]:
    """One aggregate query: per value of the dimension, targets due, met,
    breached and the compliance share (met / due)."""
    rows = (
        timers_due_in(query)
        .annotate(dimension=DIMENSIONS[query.by])
        .values("dimension")
        .annotate(due=Count("id"), breached=Count("id", filter=Q(breached_at__isnull=False)))
        .order_by("dimension")
    )
    result = []
    for row in rows:
        met = row["due"] - row["breached"]
        result.append(
            {
                "dimension": row["dimension"],
                "label": dimension_label(query.by, row["dimension"]),
                "due": row["due"],
                "met": met,
                "breached": row["breached"],
                "compliance": round(met / row["due"], 4) if row["due"] else None,
                "percent": round(100 * met / row["due"], 1) if row["due"] else None,
            }
        )
    return result


def breached_timers(query: ComplianceQuery) -> list[SlaTimer]:
    return list(
        timers_due_in(query)
        .filter(breached_at__isnull=False)
        .select_related("ticket", "ticket__customer", "ticket__group", "policy", "group")
        .order_by("breached_at")[:BREACHED_LIST_LIMIT]
    )


def compliance_table(query: ComplianceQuery) -> tuple[list[str], list[list[Any]]]:
    """The compliance rows as one table (heading, rows) for a CSV file."""
    heading = [DIMENSION_LABELS[query.by], "Due", "Met", "Breached", "Compliance (%)"]
    rows = [
        [row["label"], row["due"], row["met"], row["breached"], row["percent"]]
        for row in compliance_rows(query)
    ]
    return heading, rows


def breached_table(query: ComplianceQuery) -> tuple[list[str], list[list[Any]]]:
    """The breached targets as one table (heading, rows) for a CSV file."""
    heading = [
        "Ticket",
        "Customer",
        "Policy",
        "Target",
        "Group",
        time_heading("Breached at"),
        time_heading("Stopped at"),
    ]
    rows = [
        [
            timer.ticket.reference,
            timer.ticket.customer.name,
            timer.policy.name,
            choice_label(Metric, timer.metric),
            (timer.group or timer.ticket.group).name,
            timer.breached_at,
            timer.stopped_at,
        ]
        for timer in breached_timers(query)
    ]
    return heading, rows


# The tables of the report, each its own CSV file; the first is the default.
CSV_TABLES = {"compliance": compliance_table, "breached": breached_table}
