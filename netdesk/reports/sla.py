"""SLA and OLA compliance: how many targets that came due in a period were
met, per policy, priority, group, tier, customer segment or key account."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce

from netdesk.core.errors import ValidationFailed
from netdesk.sla.models import Metric, PolicyKind, SlaTimer, TimerState

# What a row can be grouped by, and the column that gives it.
DIMENSIONS: dict[str, Any] = {
    "policy": F("policy__name"),
    "priority": F("ticket__priority"),
    "group": Coalesce(F("group__name"), F("ticket__group__name")),
    "tier": Coalesce(F("group__tier__name"), F("ticket__group__tier__name")),
    "segment": F("ticket__customer__segment"),
    "key_account": Coalesce(
        F("ticket__customer__parent_account__name"), F("ticket__customer__name")
    ),
    "metric": F("metric"),
}
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
    return timers


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
                "due": row["due"],
                "met": met,
                "breached": row["breached"],
                "compliance": round(met / row["due"], 4) if row["due"] else None,
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


def compliance_csv(query: ComplianceQuery) -> str:
    """The report and its breached tickets as CSV (spreadsheet-ready)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([query.by, "due", "met", "breached", "compliance"])
    for row in compliance_rows(query):
        writer.writerow(
            [
                row["dimension"],
                row["due"],
                row["met"],
                row["breached"],
                "" if row["compliance"] is None else f"{row['compliance']:.4f}",
            ]
        )
    writer.writerow([])
    writer.writerow(
        [
            "breached ticket",
            "customer",
            "policy",
            "metric",
            "group",
            "due at (UTC)",
            "stopped at (UTC)",
        ]
    )
    for timer in breached_timers(query):
        writer.writerow(
            [
                timer.ticket.reference,
                timer.ticket.customer.name,
                timer.policy.name,
                timer.metric,
                (timer.group or timer.ticket.group).name,
                timer.breached_at.isoformat() if timer.breached_at else "",
                timer.stopped_at.isoformat() if timer.stopped_at else "",
            ]
        )
    return out.getvalue()
