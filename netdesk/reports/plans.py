"""Service plans: KPI targets for a period and a scope (the whole desk, a
support group, a customer segment or a key account), their progress so far,
and the plan's report, mailed to its owner the day after the period ends.

Figures come from the dashboards' daily figures (`netdesk.reports.rollups`)
for the desk, a group or a segment; a key account's are computed live from
its own tickets by the same code. Satisfaction comes from the surveys of the
scope's tickets resolved in the period (`netdesk.surveys.stats`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from netdesk.accounts.models import SupportGroup, User
from netdesk.accounts.permissions import Action, require
from netdesk.channels.models import OutboundKind
from netdesk.channels.services.outbound import MailFile, outbound_queue
from netdesk.core.csvexport import csv_text
from netdesk.core.errors import NotFound, ValidationFailed
from netdesk.customers.models import Customer, Segment
from netdesk.reports.models import (
    Comparison,
    DayFigures,
    PlanScope,
    ServicePlan,
    ServicePlanTarget,
)
from netdesk.reports.rollups import MEASURES, day_rows
from netdesk.reports.selectors import day_start
from netdesk.surveys.models import Survey
from netdesk.surveys.stats import csat_figures
from netdesk.tickets.models import Ticket


@dataclass(frozen=True)
class PlanKpi:
    label: str
    unit: str
    lowest: float
    highest: float
    comparison: str


# The KPIs a plan may set a target for, with the range a target may take
# and which way is better.
PLAN_KPIS: dict[str, PlanKpi] = {
    "first_response_sla": PlanKpi("First response within SLA", "%", 0, 100, Comparison.AT_LEAST),
    "sla_compliance": PlanKpi("SLA compliance", "%", 0, 100, Comparison.AT_LEAST),
    "fcr_rate": PlanKpi("First contact resolution", "%", 0, 100, Comparison.AT_LEAST),
    "held_resolution": PlanKpi("Held resolutions", "%", 0, 100, Comparison.AT_LEAST),
    "csat_percent": PlanKpi("CSAT (rated 4–5)", "%", 0, 100, Comparison.AT_LEAST),
    "csat_mean": PlanKpi("Mean satisfaction (1–5)", "", 1, 5, Comparison.AT_LEAST),
    "nps": PlanKpi("Net promoter score", "", -100, 100, Comparison.AT_LEAST),
    "backlog_max": PlanKpi(
        "Largest backlog at a day's end", "tickets", 0, 1_000_000, Comparison.AT_MOST
    ),
    "resolve_hours": PlanKpi("Mean time to resolve", "h", 0, 100_000, Comparison.AT_MOST),
}
STATUS_LABELS = {
    "met": "met",
    "on_track": "on track",
    "at_risk": "at risk",
    "missed": "missed",
    "no_data": "no data yet",
}


# ---- validation and writes ------------------------------------------------------


def _check_period(start: date, end: date) -> None:
    if end <= start:
        raise ValidationFailed(
            "The period must end after it starts.",
            field="period_end",
            value=end.isoformat(),
            accepted=f"a day after {start.isoformat()}",
        )
    if (end - start).days > 3 * 366:
        raise ValidationFailed(
            "A plan covers at most three years.",
            field="period_end",
            value=end.isoformat(),
            accepted="at most three years after the start",
        )


def _check_scope(
    scope: str, group: SupportGroup | None, segment: str, customer: Customer | None
) -> None:
    if scope not in PlanScope.values:
        raise ValidationFailed(
            "Unknown scope.", field="scope", value=scope, accepted=list(PlanScope.values)
        )
    if scope == PlanScope.GROUP and group is None:
        raise ValidationFailed(
            "A group plan needs its group.", field="group", value="", accepted="a support group"
        )
    if scope == PlanScope.SEGMENT and segment not in Segment.values:
        raise ValidationFailed(
            "A segment plan needs its segment.",
            field="segment",
            value=segment,
            accepted=list(Segment.values),
        )
    if scope == PlanScope.KEY_ACCOUNT and (
        customer is None or customer.segment != Segment.KEY_ACCOUNT
    ):
        raise ValidationFailed(
            "A key account plan needs a key account.",
            field="customer",
            value=str(customer.pk) if customer else "",
            accepted="a customer of the key account segment",
        )


def _check_targets(targets: dict[str, float]) -> None:
    if not targets:
        raise ValidationFailed(
            "A plan needs at least one target.",
            field="targets",
            value="",
            accepted=sorted(PLAN_KPIS),
        )
    for name, value in targets.items():
        kpi = PLAN_KPIS.get(name)
        if kpi is None:
            raise ValidationFailed(
                f"Unknown KPI {name!r}.", field="targets", value=name, accepted=sorted(PLAN_KPIS)
            )
        if not kpi.lowest <= value <= kpi.highest:
            raise ValidationFailed(
                f"{kpi.label}: the target must lie between {kpi.lowest:g} and {kpi.highest:g}.",
                field=f"target_{name}",
                value=f"{value:g}",
                accepted=f"{kpi.lowest:g} to {kpi.highest:g}",
            )


@dataclass(frozen=True)
class PlanInput:
    name: str
    period_start: date
    period_end: date
    targets: dict[str, float]
    scope: str = PlanScope.DESK
    group: SupportGroup | None = None
    segment: str = ""
    customer: Customer | None = None
    description: str = ""
    owner: User | None = None


def _checked(data: PlanInput) -> None:
    if not data.name.strip():
        raise ValidationFailed("A plan needs a name.", field="name", value="", accepted="a name")
    _check_period(data.period_start, data.period_end)
    _check_scope(data.scope, data.group, data.segment, data.customer)
    _check_targets(data.targets)


def _fill(plan: ServicePlan, data: PlanInput) -> None:
    plan.name = data.name.strip()
    plan.description = data.description
    plan.scope = data.scope
    # Only the field the scope uses is kept.
    plan.group = data.group if data.scope == PlanScope.GROUP else None
    plan.segment = data.segment if data.scope == PlanScope.SEGMENT else ""
    plan.customer = data.customer if data.scope == PlanScope.KEY_ACCOUNT else None
    plan.period_start = data.period_start
    plan.period_end = data.period_end


@transaction.atomic
def plan_save(*, actor: User, data: PlanInput, plan_id: int | None = None) -> ServicePlan:
    """Create a plan (plan_id None) or change one, with its targets."""
    require(actor, Action.PLAN_MANAGE)
    _checked(data)
    if plan_id is None:
        plan = ServicePlan(created_at=timezone.now(), owner=data.owner or actor)
    else:
        plan = _locked(plan_id)
        plan.owner = data.owner or plan.owner
        # A changed period is reported again at its new end.
        plan.reported_at = None
    _fill(plan, data)
    plan.save()
    plan.targets.exclude(kpi__in=list(data.targets)).delete()
    for name, value in data.targets.items():
        ServicePlanTarget.objects.update_or_create(
            plan=plan,
            kpi=name,
            defaults={"target": value, "comparison": PLAN_KPIS[name].comparison},
        )
    return plan


def _locked(plan_id: int) -> ServicePlan:
    plan = ServicePlan.objects.select_for_update().filter(pk=plan_id).first()
    if plan is None:
        raise NotFound(f"No service plan {plan_id}.", field="plan", value=str(plan_id))
    return plan


@transaction.atomic
def plan_delete(*, actor: User, plan_id: int) -> None:
    require(actor, Action.PLAN_MANAGE)
    _locked(plan_id).delete()


# ---- reads ------------------------------------------------------------------------


def plans_list() -> QuerySet[ServicePlan]:
    return ServicePlan.objects.select_related("group", "customer", "owner").prefetch_related(
        "targets"
    )


def plan_get(*, user: User, plan_id: int) -> ServicePlan:
    require(user, Action.KPI_VIEW_ALL)
    plan = plans_list().filter(pk=plan_id).first()
    if plan is None:
        raise NotFound(f"No service plan {plan_id}.", field="plan", value=str(plan_id))
    return plan


def scope_label(plan: ServicePlan) -> str:
    if plan.scope == PlanScope.GROUP and plan.group:
        return f"Group {plan.group.name}"
    if plan.scope == PlanScope.SEGMENT:
        return f"Segment {Segment(plan.segment).label if plan.segment else '—'}"
    if plan.scope == PlanScope.KEY_ACCOUNT and plan.customer:
        return f"Key account {plan.customer.name}"
    return "Whole desk"


def _ticket_scope(plan: ServicePlan) -> Q:
    """The plan's tickets, as a filter on Ticket."""
    if plan.scope == PlanScope.GROUP:
        return Q(group_id=plan.group_id)
    if plan.scope == PlanScope.SEGMENT:
        return Q(customer__segment=plan.segment)
    if plan.scope == PlanScope.KEY_ACCOUNT:
        return Q(customer_id=plan.customer_id) | Q(customer__parent_account_id=plan.customer_id)
    return Q()


def _daily_totals(plan: ServicePlan, first: date, last: date) -> list[dict[str, float]]:
    """Per day of the period so far, the sums of the measures over the scope."""
    if plan.scope == PlanScope.KEY_ACCOUNT:
        rows = day_rows(first=first, last=last, scope=_ticket_scope(plan))
        per_day: dict[date, dict[str, float]] = {}
        for (day, _group, _segment), measures in rows.figures.items():
            totals = per_day.setdefault(day, dict.fromkeys(MEASURES, 0))
            for name in MEASURES:
                totals[name] += measures[name]
        return list(per_day.values())
    figures = DayFigures.objects.filter(day__gte=first, day__lte=last)
    if plan.scope == PlanScope.GROUP:
        figures = figures.filter(group_id=plan.group_id)
    elif plan.scope == PlanScope.SEGMENT:
        figures = figures.filter(segment=plan.segment)
    return list(
        figures.values("day").annotate(**{name: Sum(name) for name in MEASURES}).order_by("day")
    )


def _share(part: float, whole: float) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def plan_actuals(plan: ServicePlan, first: date, last: date) -> dict[str, float | None]:
    """Each plan KPI over the days first..last of the plan's scope."""
    days = _daily_totals(plan, first, last)
    total = {name: sum(day[name] or 0 for day in days) for name in MEASURES}
    surveys = Survey.objects.filter(
        resolved_at__gte=day_start(first), resolved_at__lt=day_start(last + timedelta(days=1))
    ).filter(ticket__in=_scoped_tickets(plan))
    votes = csat_figures(surveys=surveys, by=None)[0]
    return {
        "first_response_sla": _share(
            total["response_due"] - total["response_breached"], total["response_due"]
        ),
        "sla_compliance": _share(total["sla_due"] - total["sla_breached"], total["sla_due"]),
        "fcr_rate": _share(total["resolved_first_contact"], total["resolved"]),
        "held_resolution": _share(total["held"], total["held_decided"]),
        "csat_percent": None if votes["csat"] is None else round(100 * votes["csat"], 1),
        "csat_mean": votes["mean_rating"],
        "nps": votes["nps"],
        "backlog_max": max((day["backlog"] or 0 for day in days), default=None),
        "resolve_hours": round(total["resolve_seconds"] / total["resolved"] / 3600, 1)
        if total["resolved"]
        else None,
    }


def _scoped_tickets(plan: ServicePlan) -> QuerySet[Ticket]:
    return Ticket.objects.filter(_ticket_scope(plan))


def _status(target: ServicePlanTarget, actual: float | None, ended: bool) -> str:
    if actual is None:
        return "no_data"
    good = (
        actual >= target.target
        if target.comparison == Comparison.AT_LEAST
        else actual <= target.target
    )
    if ended:
        return "met" if good else "missed"
    return "on_track" if good else "at_risk"


def plan_progress(plan: ServicePlan, *, now: datetime | None = None) -> dict[str, Any]:
    """The plan's KPIs over its period so far (the whole period once it
    ended): actual against target and a status per target."""
    today = timezone.localdate(now) if now else timezone.localdate()
    ended = today > plan.period_end
    last = min(plan.period_end, today)
    started = today >= plan.period_start
    actuals = plan_actuals(plan, plan.period_start, last) if started else {}
    total_days = (plan.period_end - plan.period_start).days + 1
    done_days = max(0, (last - plan.period_start).days + 1) if started else 0
    targets = []
    for target in plan.targets.all():
        kpi = PLAN_KPIS.get(target.kpi)
        actual = actuals.get(target.kpi)
        status = _status(target, actual, ended)
        targets.append(
            {
                "kpi": target.kpi,
                "label": kpi.label if kpi else target.kpi,
                "unit": kpi.unit if kpi else "",
                "comparison": target.comparison,
                "target": target.target,
                "actual": actual,
                "status": status,
                "status_label": STATUS_LABELS[status],
                "highest": kpi.highest if kpi else max(target.target, actual or 0),
            }
        )
    return {
        "id": plan.pk,
        "name": plan.name,
        "scope": plan.scope,
        "scope_label": scope_label(plan),
        "period_start": plan.period_start,
        "period_end": plan.period_end,
        "figures_until": last if started else None,
        "days_done": done_days,
        "days_total": total_days,
        "ended": ended,
        "reported_at": plan.reported_at,
        "targets": targets,
    }


# ---- the report at the end of the period ----------------------------------------

REPORT_HEADING = ["KPI", "Comparison", "Target", "Actual", "Unit", "Status"]


def plan_report_table(progress: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    rows = [
        [
            row["label"],
            Comparison(row["comparison"]).label,
            row["target"],
            row["actual"],
            row["unit"],
            row["status_label"],
        ]
        for row in progress["targets"]
    ]
    return REPORT_HEADING, rows


def _report_csv(progress: dict[str, Any]) -> bytes:
    return csv_text(*plan_report_table(progress)).encode("utf-8")


def _report_body(progress: dict[str, Any]) -> str:
    lines = [
        f"Service plan: {progress['name']} ({progress['scope_label']})",
        f"Period: {progress['period_start']} to {progress['period_end']}",
        "",
    ]
    for row in progress["targets"]:
        actual = "—" if row["actual"] is None else f"{row['actual']:g}"
        comparison = Comparison(row["comparison"]).label
        lines.append(
            f"- {row['label']}: {actual} {row['unit']} "
            f"(target {comparison} {row['target']:g}) — {row['status_label']}"
        )
    return "\n".join(lines) + "\n"


def plan_report_send(*, plan_id: int, now: datetime) -> bool:
    """Mail the plan's final figures to its owner (a CSV attached) and mark
    it reported; False when it was already reported or has not ended.
    The plan is claimed under a lock, so two workers send it once."""
    with transaction.atomic():
        plan = ServicePlan.objects.select_for_update(skip_locked=True).filter(pk=plan_id).first()
        if plan is None or plan.reported_at is not None:
            return False
        if timezone.localdate(now) <= plan.period_end:
            return False
        progress = plan_progress(plan, now=now)
        address = plan.owner.email if plan.owner and plan.owner.email else ""
        outbound_queue(
            kind=OutboundKind.REPORT,
            to=[address] if address else [],
            subject=f"Service plan report: {plan.name}",
            body=_report_body(progress),
            language="en",
            files=[
                MailFile(
                    filename=f"service-plan-{plan.pk}.csv",
                    content_type="text/csv",
                    content=_report_csv(progress),
                )
            ],
        )
        plan.reported_at = now
        plan.save(update_fields=["reported_at"])
    return True


def plans_report_due(*, now: datetime) -> int:
    """Send the report of every plan whose period ended before today."""
    today = timezone.localdate(now)
    due = ServicePlan.objects.filter(reported_at__isnull=True, period_end__lt=today).values_list(
        "pk", flat=True
    )
    return sum(plan_report_send(plan_id=plan_id, now=now) for plan_id in list(due))
