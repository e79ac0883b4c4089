"""The incident page's notice panel (NETDESK_HOOKS["incident_page_panels"])
and its "Notify affected customers" action, with a second step asking to
confirm above the cap."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from netdesk.accounts.permissions import Action, can, require, user_of
from netdesk.channels.models import NotifyOrder
from netdesk.channels.selectors_notices import (
    incident_notice_figures,
    last_notify_order,
    latest_update,
)
from netdesk.channels.tasks import incident_notify_start
from netdesk.core.errors import ConfirmationNeeded, PermissionDenied, ServiceError
from netdesk.customers.views import desk_view
from netdesk.noc.models import IncidentUpdate, NetworkIncident
from netdesk.noc.selectors import incident_detail


class NotifyForm(forms.Form):
    """Which update to tell (the one the page showed) and, above the cap,
    the confirmation."""

    update = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)


def incident_page_panel(*, incident: NetworkIncident, request: HttpRequest) -> SafeString:
    """How many customers the incident affects, how many a notice reaches,
    who has the latest update's notice, the delivery states, and the form
    to notify them (for those who may)."""
    user = user_of(request)
    update = latest_update(incident)
    may_notify = (
        can(user, Action.CUSTOMERS_NOTIFY)
        and incident.is_active
        and incident.merged_into_id is None
        and update is not None
    )
    return render_to_string(
        "channels/_incident_notices.html",
        {
            "incident": incident,
            "figures": incident_notice_figures(incident),
            "update": update,
            "may_notify": may_notify,
            # The accounts not reachable are named to those who may notify.
            "order": last_notify_order(incident),
            "may_see_accounts": can(user, Action.CUSTOMERS_NOTIFY),
            "cap": settings.NETDESK_NOTICE_CAP,
        },
        request=request,
    )


def _summary(order: NotifyOrder) -> str:
    if order.is_open and order.customers_done:
        return (
            f"{order.incident.reference}: notifying the affected customers is already under "
            f"way ({order.queued} notice(s) queued so far); the panel shows its progress."
        )
    return (
        f"{order.incident.reference}: notifying {order.to_notify} customer(s) without this "
        "update's notice in the background; the panel shows the progress."
    )


@desk_view
@require_POST
def incident_notify_view(request: HttpRequest, ref: str) -> HttpResponse:
    """Order the notice of the update the page showed to the incident's
    affected customers (a task queues them; the panel shows its progress);
    above the cap, a page naming the count asks to confirm."""
    user = user_of(request)
    require(user, Action.CUSTOMERS_NOTIFY)
    incident = incident_detail(ref, user=user)
    if incident is None:
        raise Http404(f"No incident {ref}.")
    form = NotifyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The notice form was incomplete; notify again from the page.")
        return redirect("noc_incident", ref=incident.reference)
    update = IncidentUpdate.objects.filter(
        pk=form.cleaned_data["update"], incident=incident
    ).first()
    if update is None:
        raise Http404(f"No update {form.cleaned_data['update']} of {incident.reference}.")
    try:
        order = incident_notify_start(
            actor=user, incident=incident, update=update, confirm=form.cleaned_data["confirm"]
        )
    except PermissionDenied:
        raise
    except ConfirmationNeeded as asked:
        return render(
            request,
            "channels/incident_notify_confirm.html",
            {"incident": incident, "update": update, "question": asked.message},
            status=409,
        )
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _summary(order))
    return redirect("noc_incident", ref=incident.reference)
