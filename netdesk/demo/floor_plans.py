"""Demo service plan and dashboards: the daily figures computed for the
whole history (as `netdesk reports rollup --since` would), and the
manager's service plan for the current half-year with five targets."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from netdesk.accounts.models import Role, User
from netdesk.reports.models import ServicePlan
from netdesk.reports.plans import PlanInput, plan_save
from netdesk.reports.rollups import rollup_since
from netdesk.tickets.models import Ticket

PLAN_TARGETS = {
    "first_response_sla": 90.0,
    "sla_compliance": 85.0,
    "fcr_rate": 55.0,
    "held_resolution": 80.0,
    "csat_percent": 80.0,
}


def _half_year(today: date) -> tuple[date, date, str]:
    if today.month <= 6:
        return date(today.year, 1, 1), date(today.year, 6, 30), f"H1 {today.year}"
    return date(today.year, 7, 1), date(today.year, 12, 31), f"H2 {today.year}"


def build_floor_plans(created: dict[str, Any]) -> dict[str, int]:
    """The daily figures from the first ticket on, then the plan (once: a
    plan of the same name is kept). Returns the figure rows and plans made."""
    first = Ticket.objects.order_by("created_at").values_list("created_at", flat=True).first()
    rows = rollup_since(since=timezone.localdate(first)) if first else 0
    manager = User.objects.filter(role=Role.SERVICE_DESK_MANAGER).order_by("pk").first()
    start, end, label = _half_year(timezone.localdate())
    name = f"Service plan {label}"
    if manager is None or ServicePlan.objects.filter(name=name).exists():
        return {"rows": rows, "plans": 0}
    plan = plan_save(
        actor=manager,
        data=PlanInput(
            name=name,
            description="Service levels, first-contact resolution and satisfaction "
            "for the whole desk this half-year.",
            period_start=start,
            period_end=end,
            targets=PLAN_TARGETS,
        ),
    )
    created.setdefault("reports.ServicePlan", []).append(plan.pk)
    return {"rows": rows, "plans": 1}
