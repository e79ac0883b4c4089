"""Competency screens: routing. The rules and each group's policy (managers
edit, everyone reads), one's own availability, and the routing panel the
ticket page loads with htmx."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from netdesk.accounts.models import SupportGroup
from netdesk.accounts.permissions import Action, can, require, user_of
from netdesk.competency.models import FrameworkState, Skill
from netdesk.core.errors import ServiceError
from netdesk.customers.models import AccessTechnology, Segment
from netdesk.customers.views import desk_view
from netdesk.routing import selectors as read
from netdesk.routing.models import RoutingDecision, RoutingPolicy, RoutingRule
from netdesk.routing.services import config
from netdesk.routing.services import tickets as services
from netdesk.tickets.choices import OPEN_STATUSES, Channel, Priority, TicketType
from netdesk.tickets.selectors import ticket_get

ANY = [("", "any")]


class RuleForm(forms.Form):
    name = forms.CharField(max_length=120)
    skill = forms.ModelChoiceField(
        queryset=Skill.objects.select_related("framework")
        .exclude(framework__state=FrameworkState.RETIRED)
        .order_by("framework__name", "-framework__version", "code")
    )
    min_level = forms.IntegerField(min_value=0, max_value=100, label="Minimum level")
    hard = forms.BooleanField(
        required=False, label="Hard", help_text="never relaxed, however long the ticket waits"
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
    match_ticket_type = forms.ChoiceField(
        choices=ANY + list(TicketType.choices), required=False, label="Ticket type"
    )
    match_category = forms.CharField(
        max_length=120, required=False, label="Category", help_text="its name or a parent's"
    )
    match_channel = forms.ChoiceField(
        choices=ANY + list(Channel.choices), required=False, label="Channel"
    )
    match_language = forms.CharField(
        max_length=10, required=False, label="Customer language", help_text="e.g. de, en, tr"
    )
    match_access_technology = forms.ChoiceField(
        choices=ANY + list(AccessTechnology.choices), required=False, label="Access technology"
    )
    match_product = forms.CharField(
        max_length=120, required=False, label="Product", help_text="the product name begins with"
    )
    match_segment = forms.ChoiceField(
        choices=ANY + list(Segment.choices), required=False, label="Customer segment"
    )
    match_key_account = forms.NullBooleanField(
        required=False,
        label="Key account",
        widget=forms.NullBooleanSelect(),
    )
    match_priority = forms.TypedChoiceField(
        choices=ANY + [(str(v), label) for v, label in Priority.choices],
        coerce=int,
        empty_value=None,
        required=False,
        label="Priority",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        widget = self.fields["match_key_account"].widget
        assert isinstance(widget, forms.NullBooleanSelect)
        widget.choices = [("unknown", "any"), ("true", "yes"), ("false", "no")]

    @classmethod
    def of(cls, rule: RoutingRule) -> RuleForm:
        initial = {name: getattr(rule, name) for name in config.RULE_FIELDS}
        return cls(initial=initial)


def _thresholds(text: str) -> list[int]:
    parts = [p.strip().rstrip("%") for p in text.replace(";", ",").split(",") if p.strip()]
    if not all(p.isascii() and p.isdigit() for p in parts):
        raise forms.ValidationError("Whole percentages separated by commas, e.g. 50, 75, 90.")
    return [int(p) for p in parts]


class GroupRoutingForm(forms.Form):
    enabled = forms.BooleanField(
        required=False, label="Route new tickets by skill", help_text="off: the queue as before"
    )
    policy = forms.ChoiceField(choices=RoutingPolicy.choices)
    workload_cap = forms.IntegerField(
        min_value=1,
        max_value=config.MAX_WORKLOAD_CAP,
        help_text="open tickets an agent may hold before routing skips them",
    )
    relax_thresholds = forms.CharField(
        max_length=60,
        required=False,
        label="Relax soft requirements at",
        help_text="percent of the SLA target used, e.g. 50, 75, 90 (empty: never)",
    )

    def clean_relax_thresholds(self) -> list[int]:
        return _thresholds(self.cleaned_data.get("relax_thresholds") or "")


@desk_view
def routing_page(request: HttpRequest) -> HttpResponse:
    """Rules, each group's routing and your own availability; team leads
    and managers also see the latest decisions."""
    user = user_of(request)
    require(user, Action.COMPETENCY_VIEW_OWN)
    sees_team = can(user, Action.COMPETENCY_VIEW_TEAM)
    recent: list[RoutingDecision] = []
    if sees_team:
        recent = list(
            RoutingDecision.objects.select_related("ticket", "chosen").order_by(
                "-decided_at", "-id"
            )[:20]
        )
    return render(
        request,
        "routing/routing.html",
        {
            "rules": read.routing_rules(),
            "groups": read.group_routings(),
            "available": read.is_available(user.pk),
            "can_configure": can(user, Action.COMPETENCY_CONFIGURE),
            "recent": recent,
            "defaults": services.Settings(),
        },
    )


@desk_view
def rule_edit(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    user = user_of(request)
    require(user, Action.COMPETENCY_CONFIGURE)
    rule = None
    if rule_id is not None:
        rule = RoutingRule.objects.select_related("skill").filter(pk=rule_id).first()
        if rule is None:
            raise Http404("No such routing rule.")
    form = RuleForm(request.POST) if request.method == "POST" else None
    if form is not None and form.is_valid():
        values: dict[str, Any] = dict(form.cleaned_data)
        try:
            if rule is None:
                rule = config.routing_rule_create(actor=user, **values)
                messages.success(request, f"Rule {rule.name!r} added.")
            else:
                config.routing_rule_update(actor=user, rule=rule, changes=values)
                messages.success(request, f"Rule {rule.name!r} saved.")
            return redirect("competency_routing")
        except ServiceError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
    if form is None:
        form = RuleForm.of(rule) if rule is not None else RuleForm(initial={"is_active": True})
    return render(request, "routing/routing_rule.html", {"form": form, "rule": rule})


@desk_view
@require_POST
def rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    user = user_of(request)
    require(user, Action.COMPETENCY_CONFIGURE)
    rule = RoutingRule.objects.filter(pk=rule_id).first()
    if rule is None:
        raise Http404("No such routing rule.")
    config.routing_rule_delete(actor=user, rule=rule)
    messages.success(request, f"Rule {rule.name!r} deleted.")
    return redirect("competency_routing")


@desk_view
def group_edit(request: HttpRequest, group_id: int) -> HttpResponse:
    user = user_of(request)
    require(user, Action.COMPETENCY_CONFIGURE)
    group = SupportGroup.objects.filter(pk=group_id, is_active=True).first()
    if group is None:
        raise Http404("No such active group.")
    row = read.group_routing(group.pk)
    if request.method == "POST":
        form = GroupRoutingForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                config.group_routing_set(
                    actor=user,
                    group=group,
                    policy=data["policy"],
                    workload_cap=data["workload_cap"],
                    enabled=data["enabled"],
                    relax_thresholds=data["relax_thresholds"],
                )
                messages.success(request, f"Routing of {group.name} saved.")
                return redirect("competency_routing")
            except ServiceError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
    else:
        defaults = services.Settings()
        thresholds = row.relax_thresholds if row else list(defaults.thresholds)
        form = GroupRoutingForm(
            initial={
                "enabled": row.enabled if row else False,
                "policy": row.policy if row else defaults.policy,
                "workload_cap": row.workload_cap if row else defaults.workload_cap,
                "relax_thresholds": ", ".join(str(t) for t in thresholds),
            }
        )
    return render(request, "routing/routing_group.html", {"form": form, "group": group})


@desk_view
@require_POST
def availability_toggle(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    require(user, Action.COMPETENCY_VIEW_OWN)
    available = request.POST.get("available") == "1"
    config.availability_set(actor=user, agent=user, available=available)
    messages.success(
        request, "You are available for routing." if available else "You are marked away."
    )
    return redirect("competency_routing")


@desk_view
def ticket_panel(request: HttpRequest, ref: str) -> HttpResponse:
    """The ticket page's routing panel: the latest decision (requirements,
    what relaxed, the candidates and the choice) and the earlier ones."""
    user = user_of(request)
    require(user, Action.TICKET_VIEW)
    ticket = ticket_get(user=user, ref=ref)
    decisions = read.ticket_decisions(ticket.pk)
    return render(
        request,
        "routing/routing_ticket.html",
        {
            "ticket": ticket,
            "latest": decisions[0] if decisions else None,
            "earlier": decisions[1:],
            "can_route": can(user, Action.TICKET_ASSIGN) and ticket.status in OPEN_STATUSES,
        },
    )


@desk_view
@require_POST
def ticket_route_now(request: HttpRequest, ref: str) -> HttpResponse:
    user = user_of(request)
    require(user, Action.TICKET_ASSIGN)
    try:
        with transaction.atomic():
            ticket = ticket_get(user=user, ref=ref, for_update=True)
            decision = services.ticket_route(ticket=ticket, actor=user)
        if decision.chosen_id is None:
            messages.warning(request, decision.reason)
        else:
            messages.success(request, decision.reason)
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect("ticket_detail", ref=ref)
