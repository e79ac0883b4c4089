"""Agent UI for the KPI dashboard (one period and one scope at a time), the
SLA/OLA compliance report, the monthly network failure report and the
satisfaction report."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from netdesk.accounts.models import SupportGroup, User
from netdesk.accounts.permissions import Action, can, require, user_of
from netdesk.core.dates import DeskDateField
from netdesk.core.errors import ValidationFailed
from netdesk.customers.views import desk_view
from netdesk.reports.csat import BY_LABELS, csat_query, csat_report
from netdesk.reports.failures import failure_report, parse_month
from netdesk.reports.kpis import BACKLOG_BUCKETS, kpi_report
from netdesk.reports.selectors import day_start, kpi_scope_for, report_period
from netdesk.reports.sla import (
    DIMENSION_LABELS,
    ComplianceQuery,
    breached_timers,
    compliance_rows,
)
from netdesk.sla.models import Metric, PolicyKind
from netdesk.tickets.forms import attach_service_error

BUCKET_LABELS = {
    "under_1_day": "< 1 day",
    "1_to_3_days": "1–3 days",
    "3_to_7_days": "3–7 days",
    "7_to_30_days": "7–30 days",
    "over_30_days": "> 30 days",
}


class PeriodForm(forms.Form):
    """Whole days in the reader's zone, picked with the browser's date picker."""

    start = DeskDateField(required=False)
    end = DeskDateField(label="End (inclusive)", required=False)

    def period(self) -> tuple[datetime, datetime] | None:
        """[start, end) of the days asked for, defaults filled in; None while
        the form has errors."""
        if self.is_bound and not self.is_valid():
            return None
        data: dict[str, Any] = self.cleaned_data if self.is_bound else {}
        start = day_start(data["start"]) if data.get("start") else None
        end = day_start(data["end"] + timedelta(days=1)) if data.get("end") else None
        return report_period(start, end)

    def show_period(self, start: datetime, end: datetime) -> None:
        """Fill the pickers left empty with the days the report covers."""
        days = {
            "start": timezone.localtime(start).date(),
            "end": timezone.localtime(end - timedelta(microseconds=1)).date(),
        }
        if not self.is_bound:
            self.initial.update(days)
            return
        data = dict(self.data.items())
        for name, day in days.items():
            if not data.get(self.add_prefix(name)):
                data[self.add_prefix(name)] = day.isoformat()
        self.data = data


class KpiFilterForm(PeriodForm):
    scope = forms.ChoiceField(
        choices=[("desk", "Whole desk"), ("group", "Group"), ("agent", "Agent")],
        required=False,
    )
    group = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    agent = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"placeholder": "user name"})
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *SupportGroup.objects.filter(is_active=True).values_list("pk", "name"),
        ]
        if not can(user, Action.KPI_VIEW_ALL):
            # Agents see their own figures only: no scope to pick.
            for name in ("scope", "group", "agent"):
                del self.fields[name]


@desk_view
def kpi_dashboard(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    form = KpiFilterForm(request.GET or None, user=user)
    period = form.period()
    data: dict[str, Any] = form.cleaned_data if form.is_bound and period else {}
    scope_name = data.get("scope") or "desk"
    if not can(user, Action.KPI_VIEW_ALL):
        scope_name = "agent"
    report = None
    scope = agent = group = None
    if period is not None:
        try:
            scope, agent, group = kpi_scope_for(
                user=user,
                start=period[0],
                end=period[1],
                agent=(data.get("agent") or None) if scope_name == "agent" else None,
                group_id=data.get("group") if scope_name == "group" else None,
            )
        except ValidationFailed as error:
            attach_service_error(form, error)
    if scope is not None:
        report = kpi_report(scope)
        form.show_period(scope.start, scope.end)
    backlog = []
    if report is not None:
        counts = report["backlog_by_age"]
        biggest = max(counts.values(), default=0) or 1
        backlog = [
            {
                "label": BUCKET_LABELS.get(name, name),
                "count": counts.get(name, 0),
                "percent": round(100 * counts.get(name, 0) / biggest),
            }
            for name, _ in BACKLOG_BUCKETS
        ]
    return render(
        request,
        "reports/kpis.html",
        {
            "form": form,
            "report": report,
            "scope": scope,
            "scope_agent": agent,
            "scope_group": group,
            "backlog": backlog,
            "period_end_shown": scope.end - timedelta(seconds=1) if scope else None,
        },
        status=200 if report is not None else 422,
    )


class SlaReportForm(PeriodForm):
    kind = forms.ChoiceField(choices=PolicyKind.choices, required=False)
    metric = forms.ChoiceField(choices=[("", "All"), *Metric.choices], required=False)
    by = forms.ChoiceField(
        label="Per",
        choices=list(DIMENSION_LABELS.items()),
        required=False,
    )


@desk_view
def sla_report_page(request: HttpRequest) -> HttpResponse:
    """Compliance per policy, group, priority... with the breached tickets and a CSV link."""
    user = user_of(request)
    require(user, Action.KPI_VIEW_ALL)
    form = SlaReportForm(request.GET or None)
    period = form.period()
    if period is None:
        return render(request, "reports/sla.html", {"form": form}, status=422)
    data: dict[str, Any] = form.cleaned_data if form.is_bound else {}
    query = ComplianceQuery(
        start=period[0],
        end=period[1],
        kind=data.get("kind") or PolicyKind.SLA,
        metric=data.get("metric") or None,
        by=data.get("by") or "policy",
    )
    rows: list[dict[str, Any]] = []
    breached = []
    try:
        rows = compliance_rows(query)
        breached = breached_timers(query)
    except ValidationFailed as error:
        attach_service_error(form, error)
    form.show_period(query.start, query.end)
    # The CSV files cover exactly the period on the page.
    csv_query = {
        "start": query.start.isoformat(),
        "end": query.end.isoformat(),
        "kind": query.kind,
        "by": query.by,
        **({"metric": query.metric} if query.metric else {}),
    }
    return render(
        request,
        "reports/sla.html",
        {
            "form": form,
            "report": query,
            "rows": rows,
            "breached": breached,
            "key_accounts_only": query.by == "key_account",
            "dimension_heading": DIMENSION_LABELS.get(query.by, query.by),
            "csv_query": urlencode(csv_query),
            "period_end_shown": query.end - timedelta(seconds=1),
        },
        status=422 if form.errors else 200,
    )


class FailureReportForm(forms.Form):
    month = forms.CharField(
        required=False,
        help_text="YYYY-MM",
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
    )


@desk_view
def failure_report_page(request: HttpRequest) -> HttpResponse:
    """Every network incident that started in the month, with the totals and a CSV link."""
    user = user_of(request)
    require(user, Action.FAILURE_REPORT_VIEW)
    form = FailureReportForm(request.GET or None, initial={"month": parse_month(None).label})
    data: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    report = None
    try:
        month = parse_month(data.get("month") or None)
        report = failure_report(month, user=user)
    except ValidationFailed as error:
        attach_service_error(form, error)
    return render(
        request,
        "reports/failures.html",
        {
            "form": form,
            "report": report,
            "csv_query": f"month={report['month']}" if report else "",
        },
        status=200 if report is not None else 422,
    )


class CsatReportForm(PeriodForm):
    by = forms.ChoiceField(
        label="Per", choices=[("", "Whole period only"), *BY_LABELS.items()], required=False
    )


@desk_view
def csat_report_page(request: HttpRequest) -> HttpResponse:
    """CSAT, NPS and held resolution per group, agent, category or segment,
    the latest comments and a CSV link."""
    user = user_of(request)
    require(user, Action.CSAT_VIEW)
    form = CsatReportForm(request.GET or None, initial={"by": "group"})
    period = form.period()
    report = None
    if period is not None:
        data: dict[str, Any] = form.cleaned_data if form.is_bound else {"by": "group"}
        try:
            report = csat_report(
                csat_query(user=user, start=period[0], end=period[1], by=data.get("by") or None)
            )
        except ValidationFailed as error:
            attach_service_error(form, error)
    if report is None:
        return render(request, "reports/csat.html", {"form": form}, status=422)
    form.show_period(report["start"], report["end"])
    csv_query = {"start": report["start"].isoformat(), "end": report["end"].isoformat()}
    if report["by"]:
        csv_query["by"] = report["by"]
    return render(
        request,
        "reports/csat.html",
        {
            "form": form,
            "report": report,
            "dimension_heading": BY_LABELS.get(report["by"] or "", ""),
            "csv_query": urlencode(csv_query),
            "period_end_shown": report["end"] - timedelta(seconds=1),
        },
    )
