"""More subscribable reports: a ticket list (the queue's filters or a saved
view, the columns of `tickets.exports.ticket_export_table`), satisfaction
(`reports.csat`), a role's dashboard (its charts' tables) and a service
plan's progress. Each is computed as its reader, like its page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from itertools import islice
from numbers import Number
from typing import Any

from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.core.errors import ValidationFailed
from netdesk.reports.csat import BY_LABELS, csat_query, csat_report, csv_table
from netdesk.reports.dashboards import ROLES, dashboard_data, dashboard_group, dashboard_role_for
from netdesk.reports.plans import plan_get, plan_progress, plan_report_table
from netdesk.reports.report_tables import (
    Params,
    RenderedReport,
    ReportTable,
    param_choice,
    param_id,
    refuse_unknown,
)
from netdesk.tickets.exports import ticket_export_table
from netdesk.tickets.selectors import ticket_filter_from_query

# A mail carries at most this many tickets (about 4 MB of CSV and 2 MB of
# XLSX, under the 10 MB many mail servers take once encoded); a longer list
# says so and points to the queue's own export.
MAX_MAIL_ROWS = 20_000
PERIOD_FIELDS = {"created": "created", "resolved": "resolved"}


# A ticket list -------------------------------------------------------------


def _ticket_query(params: Params, start: datetime | None, end: datetime | None) -> QueryDict:
    query = QueryDict(params.get("query", ""), mutable=True)
    field = PERIOD_FIELDS.get(params.get("period", ""))
    if field and start is not None and end is not None:
        # The period's tickets: created (or resolved) in it.
        query.setlist(f"{field}_after", [start.isoformat()])
        query.setlist(f"{field}_before", [end.isoformat()])
    return query


def tickets_check(reader: User, params: Mapping[str, Any]) -> Params:
    require(reader, Action.TICKET_EXPORT)
    refuse_unknown(params, ["query", "period"])
    raw = params.get("query", "")
    if not isinstance(raw, str) or len(raw) > 2000:
        raise ValidationFailed(
            "query is the queue's filters as its address writes them.",
            field="params.query",
            value=str(raw)[:80],
            accepted="e.g. group=all&at_risk=60, or view=<saved view id>",
        )
    kept: Params = {"query": raw.strip().lstrip("?")}
    period = param_choice(params, "period", ["", *PERIOD_FIELDS], "")
    if period:
        kept["period"] = period
    # The queue's own parser, as the reader: a bad filter is refused now.
    ticket_filter_from_query(user=reader, params=_ticket_query(kept, None, None))
    return kept


def tickets_render(reader: User, params: Params, start: datetime, end: datetime) -> RenderedReport:
    require(reader, Action.TICKET_EXPORT)
    filters = ticket_filter_from_query(user=reader, params=_ticket_query(params, start, end))
    heading, rows = ticket_export_table(user=reader, filters=filters)
    kept = list(islice(rows, MAX_MAIL_ROWS + 1))
    notes = []
    if len(kept) > MAX_MAIL_ROWS:
        kept = kept[:MAX_MAIL_ROWS]
        notes.append(
            f"The list holds more than {MAX_MAIL_ROWS} tickets; the first {MAX_MAIL_ROWS}"
            " are attached. Export the whole list from the queue."
        )
    return RenderedReport(
        title=f"Tickets ({len(kept)})",
        tables=[ReportTable("tickets", heading, kept)],
        empty=not kept,
        notes=notes,
        as_of=None if params.get("period") else filters.now or timezone.now(),
    )


def tickets_from_page(query: Mapping[str, list[str]]) -> Params:
    """The queue page's address: its filters, as they are."""
    pairs = [(name, value) for name, values in query.items() for value in values if value]
    text = "&".join(f"{name}={value}" for name, value in pairs if name != "cursor")
    return {"query": QueryDict(text).urlencode()} if text else {}


def tickets_to_page(params: Params) -> str:
    query = params.get("query", "")
    return reverse("queue") + (f"?{query}" if query else "")


# Satisfaction ------------------------------------------------------------------


def csat_check(reader: User, params: Mapping[str, Any]) -> Params:
    refuse_unknown(params, ["by"])
    by = param_choice(params, "by", ["", *BY_LABELS], "")
    csat_query(user=reader, start=None, end=None, by=by or None)
    return {"by": by} if by else {}


def csat_render(reader: User, params: Params, start: datetime, end: datetime) -> RenderedReport:
    report = csat_report(csat_query(user=reader, start=start, end=end, by=params.get("by")))
    heading, rows = csv_table(report)
    overall = report["overall"]
    return RenderedReport(
        title="Customer satisfaction",
        tables=[ReportTable("csat", heading, list(rows))],
        empty=not overall.get("sent") and not overall.get("responses"),
    )


# A dashboard -------------------------------------------------------------------


def dashboard_check(reader: User, params: Mapping[str, Any]) -> Params:
    refuse_unknown(params, ["role", "group"])
    role = dashboard_role_for(reader, param_choice(params, "role", list(ROLES), "") or None)
    kept: Params = {"role": role}
    group = param_id(params, "group", required=False)
    if group is not None:
        dashboard_group(reader, role, group)
        kept["group"] = group
    return kept


def _all_zero(rows: Sequence[Sequence[Any]]) -> bool:
    return not any(isinstance(v, Number) and v for row in rows for v in row[1:])


def dashboard_render(
    reader: User, params: Params, start: datetime, end: datetime
) -> RenderedReport:
    role = params.get("role", "")
    group = dashboard_group(reader, role, params.get("group"))
    data = dashboard_data(user=reader, role=role, start=start, end=end, group=group)
    tables = [
        ReportTable(f"dashboard-{data['role']}-{chart['key']}", chart["heading"], chart["rows"])
        for chart in data["charts"]
    ]
    return RenderedReport(
        title=f"{data['role_label']} dashboard — {data['scope_label']}",
        tables=tables,
        empty=all(_all_zero(table.rows) for table in tables),
    )


def dashboard_to_page(params: Params) -> str:
    group = f"?group={params['group']}" if params.get("group") else ""
    return reverse("dashboard_role", args=[params.get("role", "manager")]) + group


# A service plan ----------------------------------------------------------------


def plan_check(reader: User, params: Mapping[str, Any]) -> Params:
    refuse_unknown(params, ["plan"])
    plan_id = param_id(params, "plan", required=True)
    assert plan_id is not None
    plan_get(user=reader, plan_id=plan_id)
    return {"plan": plan_id}


def plan_render(reader: User, params: Params, _start: datetime, end: datetime) -> RenderedReport:
    plan = plan_get(user=reader, plan_id=params["plan"])
    # Its progress as it stood at the end of the period.
    progress = plan_progress(plan, now=end)
    heading, rows = plan_report_table(progress)
    return RenderedReport(
        title=f"Service plan {plan.name} ({progress['scope_label']})",
        tables=[ReportTable(f"service-plan-{plan.pk}", heading, rows)],
        empty=not rows,
    )


def plan_to_page(params: Params) -> str:
    return reverse("plan_detail", args=[params["plan"]])
