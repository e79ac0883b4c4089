"""The reports a person may subscribe to: for each, how its parameters are
checked (by the report's own parser, with the reader's permissions) and
which tables it sends for a period. The tables are the ones the report's
own CSV files hold (`reports.sla.CSV_TABLES`, `reports.failures.
FAILURE_CSV_TABLES`): one definition for the download and the mail.

Every report is computed as its `reader`: what the reader may not see
(another account's tickets, the whole desk's KPIs) is not in it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.core.csvexport import time_heading
from netdesk.core.errors import ValidationFailed
from netdesk.reports.failures import FAILURE_CSV_TABLES, failure_report, parse_month
from netdesk.reports.kpis import kpi_report
from netdesk.reports.report_tables import (
    Params,
    RenderedReport,
    ReportTable,
    SubscribableReport,
    param_choice,
    param_id,
    refuse_unknown,
    tables_choice,
    tables_picked,
)
from netdesk.reports.selectors import kpi_scope_for
from netdesk.reports.sla import CSV_TABLES, DIMENSIONS, ComplianceQuery
from netdesk.reports.subscribable_lists import (
    csat_check,
    csat_render,
    dashboard_check,
    dashboard_render,
    dashboard_to_page,
    plan_check,
    plan_render,
    plan_to_page,
    tickets_check,
    tickets_from_page,
    tickets_render,
    tickets_to_page,
)
from netdesk.sla.models import Metric, PolicyKind

# KPIs ------------------------------------------------------------------


def _kpi_check(reader: User, params: Mapping[str, Any]) -> Params:
    refuse_unknown(params, ["group", "agent"])
    group, agent = param_id(params, "group", required=False), params.get("agent")
    kept: Params = {}
    if group is not None:
        kept["group"] = group
    if agent:
        kept["agent"] = str(agent)[:150]
    # The report's own check: the reader's role, the group and agent exist.
    kpi_scope_for(
        user=reader,
        start=None,
        end=None,
        agent=kept.get("agent"),
        group_id=kept.get("group"),
    )
    return kept


def _kpi_from_page(query: Mapping[str, list[str]]) -> Params:
    """The KPI page names its scope: a group's or an agent's figures."""
    scope = (query.get("scope") or ["desk"])[0]
    value = (query.get(scope) or [""])[0] if scope in ("group", "agent") else ""
    return {scope: value} if value else {}


def _kpi_to_page(params: Params) -> str:
    scope = "group" if "group" in params else "agent" if "agent" in params else ""
    query = f"?scope={scope}&{urlencode({scope: params[scope]})}" if scope else ""
    return reverse("kpi_dashboard") + query


def _figures(report: Mapping[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for section, value in report.items():
        title = section.replace("_", " ").capitalize()
        if isinstance(value, Mapping):
            rows += [[f"{title}: {key.replace('_', ' ')}", figure] for key, figure in value.items()]
        else:
            rows.append([title, value])
    return rows


def _kpi_render(reader: User, params: Params, start: datetime, end: datetime) -> RenderedReport:
    scope, agent, group = kpi_scope_for(
        user=reader, start=start, end=end, agent=params.get("agent"), group_id=params.get("group")
    )
    report = kpi_report(scope)
    figures = _figures(report)
    counted = [v for name, v in figures if "window days" not in name and isinstance(v, int)]
    who = (agent.username if agent else "") or (group.name if group else "") or "Whole desk"
    rows: list[list[Any]] = [
        ["Scope", who],
        [time_heading("Period start"), scope.start],
        [time_heading("Period end (exclusive)"), scope.end],
        *figures,
    ]
    return RenderedReport(
        title=f"KPIs — {who}",
        tables=[ReportTable("kpis", ["Figure", "Value"], rows)],
        empty=not any(counted),
    )


# SLA/OLA compliance -----------------------------------------------------


def _sla_check(reader: User, params: Mapping[str, Any]) -> Params:
    require(reader, Action.KPI_VIEW_ALL)
    refuse_unknown(params, ["kind", "metric", "by", "table"])
    kept: Params = {
        "kind": param_choice(params, "kind", PolicyKind.values, PolicyKind.SLA),
        "by": param_choice(params, "by", sorted(DIMENSIONS), "policy"),
        "table": tables_choice(params, list(CSV_TABLES)),
    }
    metric = param_choice(params, "metric", Metric.values, "")
    if metric:
        kept["metric"] = metric
    return kept


def _sla_render(reader: User, params: Params, start: datetime, end: datetime) -> RenderedReport:
    require(reader, Action.KPI_VIEW_ALL)
    query = ComplianceQuery(
        start=start,
        end=end,
        kind=params.get("kind", PolicyKind.SLA),
        metric=params.get("metric") or None,
        by=params.get("by", "policy"),
    )
    tables = []
    for name in tables_picked(params.get("table", "compliance"), list(CSV_TABLES)):
        heading, rows = CSV_TABLES[name](query)
        tables.append(ReportTable(f"{query.kind}-{name}", heading, rows))
    return RenderedReport(
        title=f"{query.kind.upper()} compliance",
        tables=tables,
        empty=not any(table.rows for table in tables),
    )


# Network failures --------------------------------------------------------


def _failure_check(reader: User, params: Mapping[str, Any]) -> Params:
    require(reader, Action.FAILURE_REPORT_VIEW)
    refuse_unknown(params, ["month", "table"])
    kept: Params = {"table": tables_choice(params, list(FAILURE_CSV_TABLES))}
    month = params.get("month")
    if month:
        kept["month"] = parse_month(str(month)).label
    return kept


def _failure_render(
    reader: User, params: Params, _start: datetime, end: datetime
) -> RenderedReport:
    require(reader, Action.FAILURE_REPORT_VIEW)
    # Without a month of its own: the month the period ends in.
    month = parse_month(params.get("month"), now=end - timedelta(seconds=1))
    report = failure_report(month, user=reader)
    tables = []
    for name in tables_picked(params.get("table", "incidents"), list(FAILURE_CSV_TABLES)):
        heading, rows = FAILURE_CSV_TABLES[name](report)
        tables.append(ReportTable(f"failures-{month.label}-{name}", heading, rows))
    return RenderedReport(
        title=f"Network failures {month.label}", tables=tables, empty=not report["rows"]
    )


REPORTS: dict[str, SubscribableReport] = {
    report.name: report
    for report in [
        SubscribableReport(
            "kpis",
            "KPIs",
            _kpi_check,
            _kpi_render,
            "kpi_dashboard",
            ("group", "agent"),
            _kpi_from_page,
            _kpi_to_page,
        ),
        SubscribableReport(
            "sla",
            "SLA/OLA compliance",
            _sla_check,
            _sla_render,
            "sla_report",
            ("kind", "metric", "by", "table"),
        ),
        SubscribableReport(
            "failures",
            "Network failures",
            _failure_check,
            _failure_render,
            "failure_report",
            ("table",),
        ),
        SubscribableReport(
            "csat", "Customer satisfaction", csat_check, csat_render, "csat_report", ("by",)
        ),
        SubscribableReport(
            "tickets",
            "Ticket list",
            tickets_check,
            tickets_render,
            "queue",
            ("query", "period"),
            tickets_from_page,
            tickets_to_page,
        ),
        SubscribableReport(
            "dashboard",
            "Dashboard",
            dashboard_check,
            dashboard_render,
            "dashboard",
            ("role", "group"),
            to_page=dashboard_to_page,
        ),
        SubscribableReport(
            "service_plan",
            "Service plan",
            plan_check,
            plan_render,
            "plan_list",
            ("plan",),
            to_page=plan_to_page,
        ),
    ]
}


def report_named(name: str) -> SubscribableReport:
    report = REPORTS.get(name)
    if report is None:
        raise ValidationFailed(
            f"No report is called {name[:40]!r}.",
            field="report",
            value=name[:40],
            accepted=sorted(REPORTS),
        )
    return report
