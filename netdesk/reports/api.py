"""KPIs and reports in the API: KPIs for one scope (desk, group or agent) and
period per request; SLA/OLA compliance; the monthly network failure report."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.core.schemas import IsoDateTime, OutputSchema, answers
from netdesk.reports.failures import (
    failure_csv,
    failure_incident,
    failure_report,
    parse_month,
)
from netdesk.reports.kpis import kpi_report
from netdesk.reports.selectors import DEFAULT_PERIOD, kpi_scope_for
from netdesk.reports.sla import ComplianceQuery, breached_timers, compliance_csv, compliance_rows

router = Router(tags=["kpis"])


class KpiQuery(Schema):
    start: IsoDateTime | None = Field(None, description="period start (default: 30 days ago)")
    end: IsoDateTime | None = Field(None, description="period end, exclusive (default: now)")
    agent: str | None = Field(None, max_length=150, description="user name")
    group: int | None = Field(None, ge=1, le=2**62)


class KpiOut(OutputSchema):
    start: datetime
    end: datetime
    agent: str | None
    group: str | None
    response: dict[str, Any]
    first_response_time: dict[str, Any]
    tickets_closed: int
    resolution: dict[str, Any]
    backlog_by_age: dict[str, int]


@router.get(
    "", response=answers(KpiOut), summary="KPIs for the desk, a group or an agent over a period"
)
def kpis(request: HttpRequest, query: Query[KpiQuery]) -> dict[str, Any]:
    user = request.user
    assert isinstance(user, User)
    scope, agent, group = kpi_scope_for(
        user=user, start=query.start, end=query.end, agent=query.agent, group_id=query.group
    )
    return {
        "start": scope.start,
        "end": scope.end,
        "agent": agent.username if agent else None,
        "group": group.name if group else None,
        **kpi_report(scope),
    }


report_router = Router(tags=["reports"])


class SlaReportQuery(Schema):
    start: IsoDateTime | None = Field(None, description="period start (default: 30 days ago)")
    end: IsoDateTime | None = Field(None, description="period end, exclusive (default: now)")
    kind: Literal["sla", "ola"] = "sla"
    metric: Literal["first_response", "resolution"] | None = None
    by: Literal["policy", "priority", "group", "tier", "segment", "key_account", "metric"] = (
        "policy"
    )


class ComplianceRow(OutputSchema):
    dimension: str | int | None
    due: int
    met: int
    breached: int
    compliance: float | None


class BreachedTicket(OutputSchema):
    ref: str
    customer: str
    policy: str
    metric: str
    group: str
    breached_at: datetime | None
    stopped_at: datetime | None


class SlaReportOut(OutputSchema):
    start: datetime
    end: datetime
    kind: str
    by: str
    rows: list[ComplianceRow]
    breached: list[BreachedTicket]


def _compliance_query(request: HttpRequest, query: SlaReportQuery) -> ComplianceQuery:
    user = request.user
    assert isinstance(user, User)
    require(user, Action.KPI_VIEW_ALL)
    end = query.end or timezone.now()
    return ComplianceQuery(
        start=query.start or end - DEFAULT_PERIOD,
        end=end,
        kind=query.kind,
        metric=query.metric,
        by=query.by,
    )


@report_router.get("/sla", response=answers(SlaReportOut), summary="SLA/OLA compliance")
def sla_report(request: HttpRequest, query: Query[SlaReportQuery]) -> dict[str, Any]:
    report = _compliance_query(request, query)
    return {
        "start": report.start,
        "end": report.end,
        "kind": report.kind,
        "by": report.by,
        "rows": compliance_rows(report),
        "breached": [
            {
                "ref": t.ticket.reference,
                "customer": t.ticket.customer.name,
                "policy": t.policy.name,
                "metric": t.metric,
                "group": (t.group or t.ticket.group).name,
                "breached_at": t.breached_at,
                "stopped_at": t.stopped_at,
            }
            for t in breached_timers(report)
        ],
    }


@report_router.get(
    "/sla.csv",
    response=answers(None),
    summary="SLA/OLA compliance as CSV",
    openapi_extra={"responses": {200: {"description": "CSV", "content": {"text/csv": {}}}}},
)
def sla_report_csv(request: HttpRequest, query: Query[SlaReportQuery]) -> HttpResponse:
    report = _compliance_query(request, query)
    response = HttpResponse(compliance_csv(report), content_type="text/csv; charset=utf-8")
    name = f"{report.kind}-compliance-{report.start:%Y%m%d}-{report.end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class FailureQuery(Schema):
    month: str | None = Field(
        None,
        max_length=40,
        description="YYYY-MM, in the desk's time zone (default: the current month)",
    )


class FailureRow(OutputSchema):
    reference: str
    title: str
    state: str
    started_at: datetime
    detected_at: datetime
    detected_by: str = Field(description="alarm, complaints or manual")
    detected_by_label: str
    detected_by_user: str | None
    time_to_detect_minutes: float
    resolved_at: datetime | None
    duration_minutes: float = Field(description="to resolution, or to now while ongoing")
    ongoing: bool
    affected_services: int
    affected_customers: int
    key_accounts: list[str]
    tickets: list[str] = Field(description="tickets linked to the incident (live links)")
    root_cause: str
    sla_breaches: int = Field(description="breached SLA targets of the linked tickets")
    sla_breached_tickets: list[str]


class FailureTotals(OutputSchema):
    incidents: int
    resolved: int
    ongoing: int
    outage_minutes: float
    mean_time_to_detect_minutes: float | None
    mean_time_to_restore_minutes: float | None
    services_affected: int
    customers_affected: int
    key_accounts_affected: int
    tickets_linked: int
    sla_breaches: int
    by_detection: dict[str, int]


class FailureReportOut(OutputSchema):
    month: str
    start: datetime
    end: datetime
    rows: list[FailureRow]
    totals: FailureTotals


class FailureTicket(OutputSchema):
    reference: str
    title: str
    status: str
    customer: str
    created_at: datetime
    resolved_at: datetime | None
    sla_breaches: int


class FailureUpdate(OutputSchema):
    at: datetime
    state: str
    author: str | None
    technical_note: str
    customer_message: str


class FailureIncidentOut(FailureRow):
    linked_tickets: list[FailureTicket]
    updates: list[FailureUpdate]


def _failure_reader(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    require(user, Action.FAILURE_REPORT_VIEW)
    return user


@report_router.get(
    "/failures",
    response=answers(FailureReportOut),
    summary="Network failure report for one month",
)
def failures_report(request: HttpRequest, query: Query[FailureQuery]) -> dict[str, Any]:
    user = _failure_reader(request)
    return failure_report(parse_month(query.month), user=user)


@report_router.get(
    "/failures.csv",
    response=answers(None),
    summary="Network failure report for one month as CSV",
    openapi_extra={"responses": {200: {"description": "CSV", "content": {"text/csv": {}}}}},
)
def failures_report_csv(request: HttpRequest, query: Query[FailureQuery]) -> HttpResponse:
    user = _failure_reader(request)
    report = failure_report(parse_month(query.month), user=user)
    response = HttpResponse(failure_csv(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="failures-{report["month"]}.csv"'
    return response


@report_router.get(
    "/failures/{reference}",
    response=answers(FailureIncidentOut),
    summary="One network incident in the failure report, with its tickets and timeline",
)
def failure_report_incident(request: HttpRequest, reference: str) -> dict[str, Any]:
    return failure_incident(reference, user=_failure_reader(request))
