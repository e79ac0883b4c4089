"""Agent UI for the role dashboards and the service plans (list, new, edit,
detail with progress, the end-of-period report as CSV)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from netdesk.accounts.models import SupportGroup
from netdesk.accounts.permissions import Action, can, require, user_of
from netdesk.core.csvexport import csv_response
from netdesk.core.dates import DeskDateField
from netdesk.core.errors import ValidationFailed
from netdesk.customers.models import Customer, Segment
from netdesk.customers.views import desk_view
from netdesk.reports.charts import chart_svg, progress_svg
from netdesk.reports.dashboards import (
    PERIODS,
    ROLE_LABELS,
    dashboard_data,
    dashboard_group,
    dashboard_role_for,
    dashboard_window,
    dashboards_for,
)
from netdesk.reports.models import PlanScope, ServicePlan
from netdesk.reports.plans import (
    PLAN_KPIS,
    PlanInput,
    plan_delete,
    plan_get,
    plan_progress,
    plan_report_table,
    plan_save,
    plans_list,
    scope_label,
)
from netdesk.tickets.forms import attach_service_error


class DashboardForm(forms.Form):
    days = forms.TypedChoiceField(
        label="Period",
        coerce=int,
        choices=[(days, f"last {days} days") for days in PERIODS],
        required=False,
    )
    group = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [  # type: ignore[attr-defined]
            ("", "default"),
            *SupportGroup.objects.filter(is_active=True).values_list("pk", "name"),
        ]


def _drawn(progress: dict[str, Any]) -> dict[str, Any]:
    for row in progress["targets"]:
        row["svg"] = progress_svg(
            actual=row["actual"],
            target=row["target"],
            highest=row["highest"],
            good=row["status"] in ("met", "on_track"),
            label=f"{row['label']}: {row['actual']} against a target of {row['target']:g}",
        )
    return progress


def _table(chart: dict[str, Any]) -> dict[str, Any]:
    """The chart's figures as a table, each figure linking where its mark does."""
    series = chart["series"]
    if chart["kind"] == "heatmap":
        return {
            "heading": [chart["heading"][0], *chart["x"]],
            "rows": [(s["name"], list(zip(s["values"], s["links"], strict=True))) for s in series],
        }
    return {
        "heading": [chart["heading"][0], *(s["name"] for s in series)],
        "rows": [
            (label, [(s["values"][i], s["links"][i]) for s in series])
            for i, label in enumerate(chart["x"])
        ],
    }


@desk_view
def dashboard(request: HttpRequest, role: str | None = None) -> HttpResponse:
    user = user_of(request)
    chosen = dashboard_role_for(user, role)
    form = DashboardForm(request.GET or None)
    data: dict[str, Any] = form.cleaned_data if form.is_bound and form.is_valid() else {}
    context: dict[str, Any] = {
        "form": form,
        "role": chosen,
        "roles": [(name, ROLE_LABELS[name]) for name in dashboards_for(user)],
    }
    if form.is_bound and form.errors:
        return render(request, "reports/dashboard.html", context, status=422)
    try:
        first, after = dashboard_window(days=data.get("days") or PERIODS[0])
        group = dashboard_group(user, chosen, data.get("group"))
        board = dashboard_data(user=user, role=chosen, start=first, end=after, group=group)
    except ValidationFailed as error:
        attach_service_error(form, error)
        return render(request, "reports/dashboard.html", context, status=422)
    for chart in board["charts"]:
        chart["svg"] = chart_svg(chart)
        chart["table"] = _table(chart)
    board["plans"] = [_drawn(progress) for progress in board["plans"]]
    context.update(board=board, query=request.GET.urlencode())
    return render(request, "reports/dashboard.html", context)


# ---- service plans ------------------------------------------------------------------


class PlanForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    scope = forms.ChoiceField(choices=PlanScope.choices)
    group = forms.ModelChoiceField(
        queryset=SupportGroup.objects.filter(is_active=True), required=False
    )
    segment = forms.ChoiceField(choices=[("", "—"), *Segment.choices], required=False)
    customer = forms.ModelChoiceField(
        label="Key account",
        queryset=Customer.objects.filter(segment=Segment.KEY_ACCOUNT).order_by("name"),
        required=False,
    )
    period_start = DeskDateField()
    period_end = DeskDateField(label="Period end (inclusive)")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, kpi in PLAN_KPIS.items():
            comparison = "at least" if kpi.comparison == "at_least" else "at most"
            self.fields[f"target_{name}"] = forms.FloatField(
                label=f"{kpi.label} ({comparison}{', ' + kpi.unit if kpi.unit else ''})",
                required=False,
            )

    def plan_input(self) -> PlanInput:
        data = self.cleaned_data
        return PlanInput(
            name=data["name"],
            description=data.get("description") or "",
            scope=data["scope"],
            group=data.get("group"),
            segment=data.get("segment") or "",
            customer=data.get("customer"),
            period_start=data["period_start"],
            period_end=data["period_end"],
            targets={
                name: data[f"target_{name}"]
                for name in PLAN_KPIS
                if data.get(f"target_{name}") is not None
            },
        )


def _initial(plan: ServicePlan) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "name": plan.name,
        "description": plan.description,
        "scope": plan.scope,
        "group": plan.group_id,
        "segment": plan.segment,
        "customer": plan.customer_id,
        "period_start": plan.period_start,
        "period_end": plan.period_end,
    }
    for target in plan.targets.all():
        initial[f"target_{target.kpi}"] = target.target
    return initial


@desk_view
def plan_list_page(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    require(user, Action.KPI_VIEW_ALL)
    plans = [(plan, scope_label(plan)) for plan in plans_list()]
    return render(
        request,
        "reports/plans.html",
        {"plans": plans, "can_manage": can(user, Action.PLAN_MANAGE)},
    )


def _plan_form_page(request: HttpRequest, plan: ServicePlan | None) -> HttpResponse:
    user = user_of(request)
    require(user, Action.PLAN_MANAGE)
    if request.method == "POST":
        form = PlanForm(request.POST)
        if form.is_valid():
            try:
                saved = plan_save(
                    actor=user, data=form.plan_input(), plan_id=plan.pk if plan else None
                )
            except ValidationFailed as error:
                attach_service_error(form, error)
            else:
                return HttpResponseRedirect(reverse("plan_detail", args=[saved.pk]))
        status = 422
    else:
        form = PlanForm(initial=_initial(plan) if plan else {"scope": PlanScope.DESK})
        status = 200
    return render(request, "reports/plan_form.html", {"form": form, "plan": plan}, status=status)


@desk_view
def plan_new(request: HttpRequest) -> HttpResponse:
    return _plan_form_page(request, None)


@desk_view
def plan_edit(request: HttpRequest, plan_id: int) -> HttpResponse:
    return _plan_form_page(request, plan_get(user=user_of(request), plan_id=plan_id))


@desk_view
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = user_of(request)
    plan = plan_get(user=user, plan_id=plan_id)
    progress = _drawn(plan_progress(plan, now=timezone.now()))
    return render(
        request,
        "reports/plan_detail.html",
        {"plan": plan, "progress": progress, "can_manage": can(user, Action.PLAN_MANAGE)},
    )


@desk_view
def plan_report_csv(request: HttpRequest, plan_id: int) -> HttpResponseBase:
    plan = plan_get(user=user_of(request), plan_id=plan_id)
    heading, rows = plan_report_table(plan_progress(plan, now=timezone.now()))
    return csv_response(f"service-plan-{plan.pk}.csv", heading, rows)


@require_POST
@desk_view
def plan_remove(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan_delete(actor=user_of(request), plan_id=plan_id)
    return HttpResponseRedirect(reverse("plan_list"))
