"""Triage screens: the ticket page's suggestion panel (loaded with htmx) with
its "Apply", and the managers' policy page with the model's figures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from netdesk.accounts.permissions import Action, can, require, user_of
from netdesk.core.errors import PermissionDenied, ServiceError
from netdesk.customers.views import desk_view
from netdesk.tickets.choices import TicketType
from netdesk.tickets.forms import attach_service_error, error_text
from netdesk.tickets.models import Ticket
from netdesk.tickets.selectors import ticket_get
from netdesk.triage.models import TriageModel, TriageSuggestion
from netdesk.triage.selectors import active_model, policy, suggestion_for
from netdesk.triage.services import policy_update, suggestion_apply
from netdesk.triage.tasks import triage_train_soon

TYPE_LABELS = dict(TicketType.choices)


@dataclass(frozen=True)
class Line:
    """One target of a suggestion as the panel shows it."""

    target: str
    label: str
    confidence: float
    differs: bool  # applying it would change the ticket

    @property
    def percent(self) -> int:
        return round(self.confidence * 100)


def suggestion_lines(ticket: Ticket, suggestion: TriageSuggestion) -> list[Line]:
    lines = [
        Line(
            "type",
            TYPE_LABELS.get(suggestion.ticket_type, suggestion.ticket_type),
            suggestion.type_confidence,
            suggestion.ticket_type != ticket.ticket_type,
        )
    ]
    if suggestion.category is not None:
        lines.append(
            Line(
                "category",
                suggestion.category.name,
                suggestion.category_confidence,
                suggestion.category_id != ticket.category_id,
            )
        )
    if suggestion.group is not None:
        lines.append(
            Line(
                "group",
                suggestion.group.name,
                suggestion.group_confidence,
                suggestion.group_id != ticket.group_id,
            )
        )
    return lines


@require_GET
@desk_view
def ticket_panel(request: HttpRequest, ref: str) -> HttpResponse:
    """The ticket page's triage panel: what the words say the ticket is,
    the words that weighed most, and "Apply" for those who may change it."""
    user = user_of(request)
    ticket = ticket_get(user=user, ref=ref)
    suggestion = suggestion_for(ticket.pk)
    lines = suggestion_lines(ticket, suggestion) if suggestion else []
    return render(
        request,
        "triage/_ticket_panel.html",
        {
            "ticket": ticket,
            "suggestion": suggestion,
            "lines": lines,
            "can_apply": (
                can(user, Action.TICKET_UPDATE)
                and ticket.in_open_status
                and any(line.differs for line in lines)
            ),
        },
    )


@require_POST
@desk_view
def suggestion_apply_view(request: HttpRequest, ref: str) -> HttpResponse:
    user = user_of(request)
    ticket = ticket_get(user=user, ref=ref)
    try:
        applied = suggestion_apply(
            actor=user, ticket=ticket, targets=request.POST.getlist("targets")
        )
    except PermissionDenied:
        raise  # the 403 page, not a flash on the ticket
    except ServiceError as error:
        messages.error(request, error_text(error))
    else:
        if applied:
            messages.success(request, f"Applied the triage suggestion: {', '.join(applied)}.")
        else:
            messages.info(request, "The ticket already is as triage suggested.")
    return redirect("ticket_detail", ref=ticket.reference)


class PolicyForm(forms.Form):
    auto_apply = forms.BooleanField(
        label="Apply suggestions to mail and portal tickets by themselves", required=False
    )
    threshold = forms.FloatField(
        label="Confidence threshold",
        help_text="0.5 to 1: a suggestion is applied at or above this confidence (0.85 = 85 %).",
        error_messages={"invalid": "Enter a number from 0.5 to 1, such as 0.85."},
    )
    retrain_hours = forms.IntegerField(
        label="Train again every (hours)",
        help_text="1 to 720 hours.",
        error_messages={"invalid": "Enter a whole number of hours from 1 to 720."},
    )
    min_tickets = forms.IntegerField(
        label="Resolved tickets needed to replace the keyword rules",
        help_text="20 to 1,000,000.",
        error_messages={"invalid": "Enter a whole number from 20 to 1,000,000."},
    )


def _figure_row(name: str, figures: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name.replace("_", " "),
        "scored": figures.get("scored"),
        "accuracy": figures.get("accuracy"),
        "macro_f1": figures.get("macro_f1"),
        "baseline_accuracy": figures.get("baseline_accuracy"),
        "baseline_macro_f1": figures.get("baseline_macro_f1"),
    }


def figure_rows(model: TriageModel | None) -> dict[str, list[dict[str, Any]]]:
    """The model's cross-validated figures as the policy page lists them:
    per target, and the ticket type per language, each beside the
    majority-class baseline."""
    if model is None:
        return {"targets": [], "languages": []}
    targets = model.figures.get("targets", {})
    languages = model.figures.get("languages", {})
    return {
        "targets": [_figure_row(name, row) for name, row in targets.items() if "accuracy" in row],
        "languages": [
            _figure_row(language, rows["ticket_type"])
            for language, rows in languages.items()
            if "accuracy" in rows.get("ticket_type", {})
        ],
    }


@desk_view
def policy_page(request: HttpRequest) -> HttpResponse:
    """Managers set the threshold, auto-apply and retraining, and read how
    well the model in use does against always answering the commonest."""
    user = user_of(request)
    require(user, Action.CONFIGURE)
    desk = policy()
    if request.method == "POST":
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                policy_update(actor=user, changes=dict(form.cleaned_data))
            except ServiceError as error:
                attach_service_error(form, error)
            else:
                messages.success(request, "Triage policy saved.")
                return redirect("triage_policy")
    else:
        form = PolicyForm(
            initial={
                "auto_apply": desk.auto_apply,
                "threshold": desk.threshold,
                "retrain_hours": desk.retrain_hours,
                "min_tickets": desk.min_tickets,
            }
        )
    model = active_model()
    return render(
        request,
        "triage/policy.html",
        {"form": form, "desk": desk, "model": model, "figures": figure_rows(model)},
        status=400 if form.errors else 200,
    )


@require_POST
@desk_view
def train_now(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    require(user, Action.CONFIGURE)
    triage_train_soon()
    messages.success(request, "Training queued: the worker trains on the resolved tickets.")
    return redirect("triage_policy")
