"""The survey pages of the desk: managers' settings (with each group's
sample) and the team leads' follow-ups of low ratings."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from netdesk.accounts.models import SupportGroup
from netdesk.accounts.permissions import Action, can, require, user_of
from netdesk.core.errors import ServiceError
from netdesk.customers.views import desk_view
from netdesk.surveys.models import FollowUpState, IncidentMode
from netdesk.surveys.selectors import follow_up_get, follow_ups_list, sampling_rows, survey_settings
from netdesk.surveys.services import follow_up_done, group_sampling_set, settings_update
from netdesk.tickets.forms import attach_service_error, error_text


class SettingsForm(forms.Form):
    enabled = forms.BooleanField(label="Send surveys", required=False)
    delay_minutes = forms.IntegerField(
        label="Minutes after the resolution", min_value=0, max_value=43200
    )
    ask_nps = forms.BooleanField(
        label="Also ask how likely they are to recommend us (0–10)", required=False
    )
    customer_cap_days = forms.IntegerField(
        label="At most one survey per customer within (days)",
        min_value=0,
        max_value=365,
        help_text="0: no limit.",
    )
    expiry_days = forms.IntegerField(
        label="A survey expires after (days)", min_value=1, max_value=90
    )
    incident_mode = forms.ChoiceField(
        label="Tickets resolved by a network incident", choices=IncidentMode.choices
    )
    low_rating_max = forms.IntegerField(
        label="Ratings up to this open a follow-up for the team lead",
        min_value=0,
        max_value=4,
        help_text="0: never.",
    )


@desk_view
def settings_page(request: HttpRequest) -> HttpResponse:
    """Managers set when and how often customers are asked, and each
    group's sample (every ticket unless set lower)."""
    user = user_of(request)
    require(user, Action.CONFIGURE)
    desk = survey_settings()
    if request.method == "POST" and "group" in request.POST:
        return _sampling_post(request)
    if request.method == "POST":
        form = SettingsForm(request.POST)
        if form.is_valid():
            try:
                settings_update(actor=user, changes=dict(form.cleaned_data))
            except ServiceError as error:
                attach_service_error(form, error)
            else:
                messages.success(request, "Survey settings saved.")
                return redirect("survey_settings")
    else:
        form = SettingsForm(
            initial={name: getattr(desk, name) for name in SettingsForm.base_fields}
        )
    samples = sampling_rows()
    groups = [
        (group, samples.get(group.pk, 100))
        for group in SupportGroup.objects.filter(is_active=True).order_by("name")
    ]
    return render(request, "surveys/settings.html", {"form": form, "desk": desk, "groups": groups})


def _sampling_post(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    raw_group, raw_percent = request.POST.get("group", ""), request.POST.get("percent", "")
    group = SupportGroup.objects.filter(pk=int(raw_group)).first() if raw_group.isdigit() else None
    if group is None:
        messages.error(request, f"There is no group {raw_group!r}.")
        return redirect("survey_settings")
    percent: object = int(raw_percent) if raw_percent.strip().isdigit() else raw_percent
    try:
        group_sampling_set(actor=user, group=group, percent=percent)  # type: ignore[arg-type]  # the service refuses a non-number, naming it
    except ServiceError as error:
        messages.error(request, f"{group.name}: {error_text(error)}")
    else:
        messages.success(request, f"{group.name}: {percent} % of resolved tickets are surveyed.")
    return redirect("survey_settings")


@desk_view
def follow_ups_page(request: HttpRequest) -> HttpResponse:
    """A team lead's follow-ups of low ratings (managers see every one)."""
    user = user_of(request)
    require(user, Action.KPI_VIEW_ALL)
    state = request.GET.get("state", FollowUpState.OPEN)
    if state not in (*FollowUpState.values, "all"):
        state = FollowUpState.OPEN
    rows = follow_ups_list(user=user, state="" if state == "all" else state)
    return render(
        request,
        "surveys/follow_ups.html",
        {"follow_ups": rows, "state": state, "can_configure": can(user, Action.CONFIGURE)},
    )


@desk_view
def follow_up_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One follow-up: the ticket, what the customer said, and "Done" with a note."""
    user = user_of(request)
    require(user, Action.KPI_VIEW_ALL)
    follow_up = follow_up_get(user=user, pk=pk)
    error = ""
    if request.method == "POST":
        try:
            follow_up_done(actor=user, follow_up=follow_up, note=request.POST.get("note", ""))
        except ServiceError as refused:
            error = error_text(refused)
        else:
            messages.success(request, "Follow-up done.")
            return redirect("survey_follow_ups")
    return render(
        request,
        "surveys/follow_up.html",
        {"follow_up": follow_up, "survey": follow_up.survey, "error": error},
        status=422 if error else 200,
    )
