"""Service plans and the role dashboards in the API: the plans with their
progress (actual against target per KPI), and a dashboard's charts as
series with the link behind each figure."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from netdesk.accounts.permissions import Action, require, user_of
from netdesk.core.schemas import OutputSchema, answers
from netdesk.reports.dashboards import (
    PERIODS,
    dashboard_data,
    dashboard_group,
    dashboard_role_for,
    dashboard_window,
)
from netdesk.reports.plans import plan_get, plan_progress, plans_list

router = Router(tags=["service plans"])


class TargetOut(OutputSchema):
    kpi: str
    label: str
    unit: str
    comparison: str = Field(description="at_least or at_most")
    target: float
    actual: float | None = Field(description="over the period so far; null without data")
    status: str = Field(description="met, missed (period ended), on_track, at_risk or no_data")


class PlanOut(OutputSchema):
    id: int
    name: str
    scope: str
    scope_label: str
    period_start: date
    period_end: date
    figures_until: date | None
    days_done: int
    days_total: int
    ended: bool
    targets: list[TargetOut]


class PlanListOut(OutputSchema):
    items: list[PlanOut]


@router.get("/plans", response=answers(PlanListOut), summary="Service plans with their progress")
def plan_list(request: HttpRequest) -> dict[str, Any]:
    require(user_of(request), Action.KPI_VIEW_ALL)
    now = timezone.now()
    return {"items": [plan_progress(plan, now=now) for plan in plans_list()]}


@router.get(
    "/plans/{plan_id}", response=answers(PlanOut), summary="One service plan with its progress"
)
def plan_detail(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    plan = plan_get(user=user_of(request), plan_id=plan_id)
    return plan_progress(plan, now=timezone.now())


class DashboardQuery(Schema):
    role: str | None = Field(None, description="hotline, noc, teamlead or manager (default: yours)")
    days: int = Field(PERIODS[0], description=f"one of {', '.join(map(str, PERIODS))}")
    group: int | None = Field(None, ge=1, le=2**62, description="a support group's id")


class SeriesOut(OutputSchema):
    name: str
    values: list[float | None]
    links: list[str]


class ChartOut(OutputSchema):
    key: str
    title: str
    kind: str
    unit: str
    x: list[str]
    series: list[SeriesOut]


class DashboardOut(OutputSchema):
    role: str
    first: date
    last: date
    group: str | None
    charts: list[ChartOut]
    figures: list[dict[str, Any]]
    plans: list[PlanOut]


@router.get("/dashboard", response=answers(DashboardOut), summary="A role's dashboard")
def dashboard(request: HttpRequest, query: Query[DashboardQuery]) -> dict[str, Any]:
    user = user_of(request)
    role = dashboard_role_for(user, query.role)
    first, after = dashboard_window(days=query.days)
    group = dashboard_group(user, role, query.group)
    board = dashboard_data(user=user, role=role, start=first, end=after, group=group)
    return {**board, "group": board["group"].name if board["group"] else None}
