"""KPIs and reports in the API: KPIs for one scope (desk, group or agent) and
period per request; SLA/OLA compliance; the monthly network failure report;
the customers a network incident affects, as CSV; satisfaction (CSAT, NPS)
beside the held resolution. Each CSV file holds one
table; a report of several tables names the one it wants with `table`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Field, Query, Router, Schema

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.core.csvexport import csv_response
from netdesk.core.errors import NotFound
from netdesk.core.schemas import IsoDateTime, OutputSchema, answers
from netdesk.noc.selectors import incident_detail
from netdesk.reports.csat import CsatQuery, csat_query, csat_report, csv_table
from netdesk.reports.failures import (
    FAILURE_CSV_TABLES,
    failure_incident,
    failure_report,
    parse_month,
)
from netdesk.reports.incidents import affected_customer_table
from netdesk.reports.kpis import kpi_report
from netdesk.reports.selectors import kpi_scope_for, report_period
from netdesk.reports.sla import CSV_TABLES, ComplianceQuery, breached_timers, compliance_rows

router = Router(tags=["kpis"])


PERIOD_START = "period start (default: 30 whole days before end)"
PERIOD_END = "period end, exclusive (default: midnight after today, in the desk's time zone)"
CSV_ANSWER = {"responses": {200: {"description": "CSV", "content": {"text/csv": {}}}}}


class KpiQuery(Schema):
    start: IsoDateTime | None = Field(None, description=PERIOD_START)
    end: IsoDateTime | None = Field(None, description=PERIOD_END)
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
    held_resolution: dict[str, Any] = Field(
        description="resolutions that held: no repeat contact about the same service and no"
        " reopen within window_days; rate = held / settled (pending ones left out)"
    )
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
    start: IsoDateTime | None = Field(None, description=PERIOD_START)
    end: IsoDateTime | None = Field(None, description=PERIOD_END)
    kind: Literal["sla", "ola"] = "sla"
    metric: Literal["first_response", "resolution"] | None = None
    by: Literal["policy", "priority", "group", "tier", "segment", "key_account", "metric"] = (
        "policy"
    )


class SlaCsvQuery(SlaReportQuery):
    table: Literal["compliance", "breached"] = Field(
        "compliance", description="compliance: the rows per dimension; breached: the tickets"
    )


class ComplianceRow(OutputSchema):
    dimension: str | int | None
    label: str = Field(description="the dimension as people read it")
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
    start, end = report_period(query.start, query.end)
    return ComplianceQuery(
        start=start,
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
    summary="SLA/OLA compliance as CSV, one table per file",
    openapi_extra=CSV_ANSWER,
)
def sla_report_csv(request: HttpRequest, query: Query[SlaCsvQuery]) -> StreamingHttpResponse:
    report = _compliance_query(request, query)
    heading, rows = CSV_TABLES[query.table](report)
    name = f"{report.kind}-{query.table}-{report.start:%Y%m%d}-{report.end:%Y%m%d}.csv"
    return csv_response(name, heading, rows)


class FailureQuery(Schema):
    month: str | None = Field(
        None,
        max_length=40,
        description="YYYY-MM, in the desk's time zone (default: the current month)",
    )


class FailureCsvQuery(FailureQuery):
    table: Literal["incidents", "totals"] = Field(
        "incidents", description="incidents: one row per incident; totals: the month's figures"
    )


class FailureRow(OutputSchema):
    reference: str
    title: str
    state: str
    started_at: datetime
    detected_at: datetime
    detected_by: str = Field(description="alarm, complaints or manual")
    detected_by_label: str
    state_label: str
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
    root_cause_label: str
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
    summary="Network failure report for one month as CSV, one table per file",
    openapi_extra=CSV_ANSWER,
)
def failures_report_csv(
    request: HttpRequest, query: Query[FailureCsvQuery]
) -> StreamingHttpResponse:
    user = _failure_reader(request)
    report = failure_report(parse_month(query.month), user=user)
    heading, rows = FAILURE_CSV_TABLES[query.table](report)
    suffix = "" if query.table == "incidents" else f"-{query.table}"
    return csv_response(f"failures-{report['month']}{suffix}.csv", heading, rows)


@report_router.get(
    "/failures/{reference}",
    response=answers(FailureIncidentOut),
    summary="One network incident in the failure report, with its tickets and timeline",
)
def failure_report_incident(request: HttpRequest, reference: str) -> dict[str, Any]:
    return failure_incident(reference, user=_failure_reader(request))


@report_router.get(
    "/incidents/{reference}/customers.csv",
    response=answers(None),
    summary="Every customer a network incident affects, as CSV",
    openapi_extra=CSV_ANSWER,
)
def incident_customers_csv(request: HttpRequest, reference: str) -> StreamingHttpResponse:
    user = request.user
    assert isinstance(user, User)
    require(user, Action.INCIDENT_VIEW)
    incident = incident_detail(reference, user=user)
    if incident is None:
        raise NotFound(
            f"No network incident {reference[:40]!r}.",
            field="reference",
            value=reference[:40],
            accepted="the reference of an existing incident, e.g. NI-12",
        )
    heading, rows = affected_customer_table(incident, user=user)
    return csv_response(f"{incident.reference}-customers.csv", heading, rows)


class CsatReportQuery(Schema):
    start: IsoDateTime | None = Field(None, description=PERIOD_START)
    end: IsoDateTime | None = Field(None, description=PERIOD_END)
    by: str | None = Field(
        None, max_length=40, description="group, agent, category or segment (none: overall only)"
    )


class CsatFigures(OutputSchema):
    key: int | str | None = Field(description="the group, agent or category id, or the segment")
    label: str
    sent: int = Field(description="surveys sent, answered or expired")
    responses: int
    response_rate: float | None = Field(description="responses / sent")
    mean_rating: float | None = Field(description="mean of the 1–5 ratings")
    satisfied: int = Field(description="responses rating 4 or 5")
    csat: float | None = Field(description="satisfied / responses (0–1)")
    nps_answers: int
    nps: float | None = Field(description="promoters (9–10) minus detractors (0–6), in points")
    held_settled: int = Field(description="tickets resolved in the period whose window has passed")
    held: int
    held_pending: int
    held_rate: float | None = Field(description="held / held_settled")


class CsatComment(OutputSchema):
    ticket: str
    customer: str
    agent: str | None
    rating: int | None
    nps: int | None
    comment: str
    answered_at: datetime | None


class CsatReportOut(OutputSchema):
    start: datetime
    end: datetime
    by: str | None
    held_window_days: int
    overall: CsatFigures
    rows: list[CsatFigures]
    comments: list[CsatComment] = Field(description="the latest answers with a comment")


def _csat_query(request: HttpRequest, query: CsatReportQuery) -> CsatQuery:
    user = request.user
    assert isinstance(user, User)
    return csat_query(user=user, start=query.start, end=query.end, by=query.by)


@report_router.get(
    "/csat",
    response=answers(CsatReportOut),
    summary="Customer satisfaction (CSAT, NPS) and held resolution over a period",
)
def csat_report_api(request: HttpRequest, query: Query[CsatReportQuery]) -> dict[str, Any]:
    return csat_report(_csat_query(request, query))


@report_router.get(
    "/csat.csv",
    response=answers(None),
    summary="Customer satisfaction per group, agent, category or segment as CSV",
    openapi_extra=CSV_ANSWER,
)
def csat_report_csv(request: HttpRequest, query: Query[CsatReportQuery]) -> StreamingHttpResponse:
    report = csat_report(_csat_query(request, query))
    heading, rows = csv_table(report)
    name = f"csat-{report['by'] or 'overall'}-{report['start']:%Y%m%d}-{report['end']:%Y%m%d}.csv"
    return csv_response(name, heading, rows)
