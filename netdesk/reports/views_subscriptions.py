"""Agent UI for scheduled reports: the list (one's own; a manager's: all),
the form to subscribe or change one (opened pre-filled from a report page's
"Subscribe"), removing one and "Send now" to try it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, can, user_of
from netdesk.core.errors import ServiceError, ValidationFailed
from netdesk.customers.views import desk_view
from netdesk.reports.models import Frequency, ReportSubscription
from netdesk.reports.report_tables import Params
from netdesk.reports.subscribable import REPORTS, report_named
from netdesk.reports.subscriptions import (
    FORMATS,
    SubscriptionFields,
    subscription_create,
    subscription_delete,
    subscription_for,
    subscription_send_now,
    subscription_update,
    subscriptions_visible_to,
)
from netdesk.tickets.forms import attach_service_error

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def params_text(report: str, params: Params) -> str:
    """Parameters as a report page's address writes them (group=3&by=policy);
    a ticket list's are the queue's own filters (group=all&at_risk=60)."""
    if report == "tickets":
        rest = {name: value for name, value in params.items() if name != "query"}
        return "&".join(part for part in (params.get("query", ""), urlencode(rest)) if part)
    pairs: list[tuple[str, Any]] = []
    for name, value in params.items():
        pairs += [(name, item) for item in value] if isinstance(value, list) else [(name, value)]
    return urlencode(pairs)


def params_parsed(report: str, text: str) -> Params:
    query = QueryDict(text.strip().lstrip("?"), mutable=True)
    if report == "tickets":
        period = query.pop("period", [""])[-1]
        return {"query": query.urlencode(), **({"period": period} if period else {})}
    return {name: values[0] if len(values) == 1 else values for name, values in query.lists()}


def schedule_text(subscription: ReportSubscription) -> str:
    at = f"at {subscription.hour:02d}:00"
    if subscription.frequency == Frequency.WEEKLY and subscription.weekday is not None:
        return f"every {WEEKDAYS[subscription.weekday]} {at}"
    if subscription.frequency == Frequency.MONTHLY:
        return f"monthly on day {subscription.day_of_month} {at}"
    return f"daily {at}"


class SubscriptionForm(forms.Form):
    report = forms.ChoiceField(choices=[(r.name, r.label) for r in REPORTS.values()])
    params = forms.CharField(
        label="Parameters",
        required=False,
        max_length=2000,
        help_text="as on the report page's address, e.g. group=3, or the queue's filters"
        " for a ticket list (add period=created to list only the period's tickets)",
    )
    frequency = forms.ChoiceField(choices=Frequency.choices)
    hour = forms.TypedChoiceField(
        coerce=int, choices=[(h, f"{h:02d}:00") for h in range(24)], initial=7
    )
    weekday = forms.TypedChoiceField(
        label="Weekday (weekly)",
        coerce=int,
        empty_value=None,
        required=False,
        choices=[("", "—"), *enumerate(WEEKDAYS)],
    )
    day_of_month = forms.TypedChoiceField(
        label="Day of the month (monthly)",
        coerce=int,
        empty_value=None,
        required=False,
        choices=[("", "—"), *((d, str(d)) for d in range(1, 29))],
    )
    formats = forms.MultipleChoiceField(
        choices=[(name, name.upper()) for name in FORMATS],
        widget=forms.CheckboxSelectMultiple,
        initial=["csv"],
    )
    skip_when_empty = forms.BooleanField(label="Skip when empty", required=False)
    recipient = forms.CharField(
        label="Recipient (user name)",
        required=False,
        max_length=150,
        help_text="empty: yourself, or the address below",
    )
    address = forms.EmailField(label="Or an e-mail address", required=False)
    is_active = forms.BooleanField(label="Active", required=False, initial=True)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can(user, Action.REPORT_SUBSCRIBE_OTHERS):
            del self.fields["recipient"]
            del self.fields["address"]

    def subscription_fields(self, actor: User) -> SubscriptionFields:
        data = self.cleaned_data
        recipient = None
        name = (data.get("recipient") or "").strip()
        if name:
            recipient = User.objects.filter(username=name).first()
            if recipient is None:
                raise ValidationFailed(
                    f"No user is called {name!r}.",
                    field="recipient",
                    value=name,
                    accepted="an existing user name",
                )
        return SubscriptionFields(
            report=data["report"],
            frequency=data["frequency"],
            params=params_parsed(data["report"], data.get("params") or ""),
            hour=data["hour"],
            weekday=data.get("weekday"),
            day_of_month=data.get("day_of_month"),
            formats=data["formats"],
            skip_when_empty=data.get("skip_when_empty", False),
            recipient=recipient if recipient is not None and recipient != actor else None,
            address=data.get("address") or "",
            is_active=data.get("is_active", False),
        )


def _initial(subscription: ReportSubscription | None, request: HttpRequest) -> dict[str, Any]:
    if subscription is not None:
        return {
            "report": subscription.report,
            "params": params_text(subscription.report, subscription.params),
            "frequency": subscription.frequency,
            "hour": subscription.hour,
            "weekday": subscription.weekday,
            "day_of_month": subscription.day_of_month,
            "formats": subscription.formats,
            "skip_when_empty": subscription.skip_when_empty,
            "recipient": subscription.recipient.username if subscription.recipient else "",
            "address": subscription.address,
            "is_active": subscription.is_active,
        }
    # Opened from a report page: its report and the page's own parameters.
    name = request.GET.get("report", "")
    initial: dict[str, Any] = {"frequency": Frequency.WEEKLY, "weekday": 0, "is_active": True}
    if name in REPORTS:
        page = QueryDict(request.GET.get("page", ""))
        initial |= {
            "report": name,
            "params": params_text(name, report_named(name).params_from_page(dict(page.lists()))),
        }
    return initial


def _form_page(request: HttpRequest, subscription: ReportSubscription | None) -> HttpResponse:
    user = user_of(request)
    if request.method == "POST":
        form = SubscriptionForm(request.POST, user=user)
        if form.is_valid():
            try:
                fields = form.subscription_fields(user)
                if subscription is None:
                    subscription_create(actor=user, fields=fields)
                else:
                    subscription_update(actor=user, subscription_id=subscription.pk, fields=fields)
            except ServiceError as error:
                attach_service_error(form, error)
            else:
                return HttpResponseRedirect(reverse("report_subscriptions"))
        status = 422
    else:
        form = SubscriptionForm(initial=_initial(subscription, request), user=user)
        status = 200
    return render(
        request,
        "reports/subscription_form.html",
        {"form": form, "subscription": subscription},
        status=status,
    )


@desk_view
def subscription_list_page(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    rows = [
        {
            "subscription": s,
            "label": REPORTS[s.report].label if s.report in REPORTS else s.report,
            "params": params_text(s.report, s.params),
            "schedule": schedule_text(s),
            "to": s.recipient.username if s.recipient else s.address,
        }
        for s in subscriptions_visible_to(user)
    ]
    return render(
        request,
        "reports/subscriptions.html",
        {"rows": rows, "sees_all": can(user, Action.REPORT_SUBSCRIBE_OTHERS)},
    )


@desk_view
def subscription_new(request: HttpRequest) -> HttpResponse:
    return _form_page(request, None)


@desk_view
def subscription_edit(request: HttpRequest, subscription_id: int) -> HttpResponse:
    found = subscription_for(user=user_of(request), subscription_id=subscription_id)
    return _form_page(request, found)


@require_POST
@desk_view
def subscription_remove(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription_delete(actor=user_of(request), subscription_id=subscription_id)
    messages.success(request, "The subscription is removed.")
    return HttpResponseRedirect(reverse("report_subscriptions"))


@require_POST
@desk_view
def subscription_send(request: HttpRequest, subscription_id: int) -> HttpResponse:
    sent = subscription_send_now(actor=user_of(request), subscription_id=subscription_id)
    messages.info(request, f"Send now: {sent.last_outcome}")
    return HttpResponseRedirect(reverse("report_subscriptions"))
