"""NOC screens: the board, an incident's page, and the network-status
fragments the customer 360 and ticket pages load (htmx), so customer
service sees what the NOC knows without the customer apps importing it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, can, require, sees_all_customers, user_of
from netdesk.core.dates import DeskDateTimeField
from netdesk.core.errors import ConfirmationNeeded, PermissionDenied, ServiceError
from netdesk.core.hooks import hooks_answers
from netdesk.customers.selectors import customers_visible_to
from netdesk.customers.views import desk_view
from netdesk.network.models import NetworkElement
from netdesk.noc.models import (
    Alarm,
    AlarmState,
    IncidentState,
    LiaisonRecord,
    NetworkIncident,
    OutageConfidence,
    SuspectedOutage,
)
from netdesk.noc.selectors import (
    AlarmFilter,
    UnassignedReason,
    affected_customers,
    alarm_page,
    incident_alarms,
    incident_board,
    incident_detail,
    incident_for_ticket,
    incident_liaison,
    network_status_for,
    open_outages,
    open_troubleshooting_requests,
    outage_level,
    unassigned_alarm_counts,
    unassigned_reason,
)
from netdesk.noc.services.incidents import (
    incident_create,
    incident_resolve,
    incident_unlink_ticket,
    incident_update,
)
from netdesk.noc.services.liaison import troubleshooting_request, troubleshooting_result
from netdesk.noc.services.outages import outage_confirm, outage_dismiss
from netdesk.tickets.choices import RootCause
from netdesk.tickets.forms import attach_service_error
from netdesk.tickets.selectors import ticket_get


class _EtaForm(forms.Form):
    """A form with an ETA. The picker sends a wall-clock time, read in the
    reader's zone (activated per request), so the hint names that zone."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone = timezone.get_current_timezone_name()
        self.fields["eta"].help_text = f"YYYY-MM-DD HH:MM, {zone} time"


class OpenIncidentForm(_EtaForm):
    title = forms.CharField(max_length=200)
    root_element = forms.CharField(max_length=120, help_text="the failed element's name")
    customer_description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    technical_description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    eta = DeskDateTimeField(required=False)

    def clean_root_element(self) -> NetworkElement:
        name = self.cleaned_data["root_element"].strip()
        found = NetworkElement.objects.filter(name=name).first()
        if found is None:
            raise forms.ValidationError(f"No network element named {name!r}.")
        return found


class UpdateForm(_EtaForm):
    state = forms.ChoiceField(
        choices=[("", "unchanged")] + [c for c in IncidentState.choices if c[0] != "resolved"],
        required=False,
    )
    customer_message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="For customers"
    )
    technical_note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="For the NOC"
    )
    eta = DeskDateTimeField(required=False, label="ETA")


class ResolveForm(forms.Form):
    root_cause = forms.ChoiceField(choices=RootCause.choices)
    customer_message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Message to customers"
    )
    technical_note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    resolve_children = forms.BooleanField(
        required=False, label="Resolve the linked tickets with this message"
    )
    # A box to tick only once the desk has named the alarms still firing.
    confirm = forms.BooleanField(
        required=False, widget=forms.HiddenInput, label="Resolve although these alarms fire"
    )
    firing_alarms: list[str] = []

    def ask_to_confirm(self, asked: ConfirmationNeeded) -> None:
        self.fields["confirm"].widget = forms.CheckboxInput()
        self.firing_alarms = asked.items
        self.add_error(
            "confirm",
            f"{len(asked.items)} alarm(s) listed above still fire; they usually mean the "
            "failure is not over. Tick the box to resolve anyway.",
        )


class UnlinkForm(forms.Form):
    ticket = forms.CharField(max_length=30)
    reason = forms.CharField(max_length=300)


class OutageDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("confirm", "Confirm"), ("dismiss", "Dismiss")])
    title = forms.CharField(max_length=200, required=False, help_text="incident title (confirm)")
    customer_description = forms.CharField(max_length=2000, required=False)
    reason = forms.CharField(max_length=300, required=False, help_text="why not (dismiss)")


class LiaisonForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


def _board_page(
    request: HttpRequest,
    *,
    open_form: OpenIncidentForm | None = None,
    decision: tuple[int, OutageDecisionForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The board as it stands, for a visit and for a form sent back with its
    errors alike: a mistyped form must not hide what is live."""
    user = user_of(request)
    now = timezone.now()
    firing = (
        Alarm.objects.filter(state=AlarmState.FIRING)
        .select_related("element", "incident")
        .order_by("severity", "-last_seen")[:50]
    )
    # The newest alarms no active incident holds: an incident of thousands
    # of alarms must not push them off the firing list.
    unassigned, _, _ = alarm_page(filters=AlarmFilter(unassigned=True), cursor=None, limit=20)
    counts = unassigned_alarm_counts()
    context = {
        "incidents": incident_board(include_resolved_since=now - timedelta(hours=24)),
        "now": now,
        "outages": [(o, outage_level(o)) for o in open_outages(confidence=OutageConfidence.OUTAGE)],
        "hints": [
            (o, outage_level(o)) for o in open_outages(confidence=OutageConfidence.HINT, limit=20)
        ],
        "requests": open_troubleshooting_requests(user=user),
        "alarms": [(alarm, unassigned_reason(alarm)) for alarm in firing],
        "unassigned": [(alarm, unassigned_reason(alarm)) for alarm in unassigned],
        "unassigned_total": sum(counts.values()),
        "unassigned_counts": [(reason, n) for reason, n in counts.items() if n],
        "can_manage": can(user, Action.INCIDENT_MANAGE),
        "can_decide": can(user, Action.OUTAGE_DECIDE),
        "form": open_form or OpenIncidentForm(),
        "decision_outage": decision[0] if decision else None,
        "decision_form": decision[1] if decision else None,
    }
    return render(request, "noc/board.html", context, status=status)


@desk_view
def board(request: HttpRequest) -> HttpResponse:
    require(user_of(request), Action.INCIDENT_VIEW)
    return _board_page(request)


@desk_view
def alarm_list(request: HttpRequest) -> HttpResponse:
    """Every alarm, newest first, a page at a time; `unassigned=1` keeps the
    firing ones no active incident holds, `reason=` those for one reason."""
    require(user_of(request), Action.INCIDENT_VIEW)
    filters = AlarmFilter(
        state=request.GET.get("state") or None,
        unassigned=request.GET.get("unassigned", "") in ("1", "true"),
        reason=request.GET.get("reason") or None,
    )
    try:
        rows, total, next_cursor = alarm_page(
            filters=filters, cursor=request.GET.get("cursor") or None, limit=100
        )
    except ServiceError as error:
        accepted = error.accepted if isinstance(error.accepted, str) else ", ".join(error.accepted)
        text = f"{error.message} Accepted: {accepted}."
        return render(request, "noc/alarms.html", {"error": text}, status=error.status)
    chosen = QueryDict(mutable=True)
    for key in ("state", "unassigned", "reason"):
        if request.GET.get(key):
            chosen[key] = request.GET[key]
    if next_cursor:
        chosen["cursor"] = next_cursor
    return render(
        request,
        "noc/alarms.html",
        {
            "alarms": [(alarm, unassigned_reason(alarm)) for alarm in rows],
            "total": total,
            "filters": filters,
            "reason": UnassignedReason(filters.reason) if filters.reason else None,
            "next_query": chosen.urlencode() if next_cursor else "",
        },
    )


@desk_view
@require_POST
def incident_open(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    require(user, Action.INCIDENT_MANAGE)
    form = OpenIncidentForm(request.POST)
    if form.is_valid():
        try:
            incident = incident_create(
                actor=user,
                title=form.cleaned_data["title"],
                detected_by="manual",
                root_element=form.cleaned_data["root_element"],
                customer_description=form.cleaned_data["customer_description"],
                technical_description=form.cleaned_data["technical_description"],
                eta=form.cleaned_data["eta"],
            )
        except PermissionDenied:
            raise
        except ServiceError as error:
            attach_service_error(form, error)
        else:
            return redirect("noc_incident", ref=incident.reference)
    return _board_page(request, open_form=form, status=422)


def _incident_or_404(ref: str, user: User) -> NetworkIncident:
    incident = incident_detail(ref, user=user)
    if incident is None:
        raise Http404(f"No incident {ref}.")
    return incident


def _incident_page(
    request: HttpRequest,
    incident: NetworkIncident,
    *,
    failed: tuple[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The incident's page, for a visit and for an action's form sent back
    as typed with its errors alike."""
    user = user_of(request)
    # Prefixed: the update and resolve forms both have a customer message.
    action_forms: dict[str, forms.Form] = {
        "update_form": UpdateForm(prefix="update"),
        "resolve_form": ResolveForm(prefix="resolve"),
        "unlink_form": UnlinkForm(),
    }
    if failed is not None:
        action_forms[f"{failed[0]}_form"] = failed[1]
    return render(
        request,
        "noc/incident.html",
        {
            "incident": incident,
            "alarms": incident_alarms(incident),
            "customers": affected_customers(incident, user=user, limit=50),
            "only_own_accounts": not sees_all_customers(user),
            "can_manage": can(user, Action.INCIDENT_MANAGE) and incident.is_active,
            "can_unlink": can(user, Action.TICKET_LINK),
            **action_forms,
            "failed_action": failed[0] if failed else "",
            "liaison": incident_liaison(incident, user=user),
            "side_panels": hooks_answers(
                "incident_page_panels", incident=incident, request=request
            ),
        },
        status=status,
    )


@desk_view
def incident_page(request: HttpRequest, ref: str) -> HttpResponse:
    user = user_of(request)
    require(user, Action.INCIDENT_VIEW)
    return _incident_page(request, _incident_or_404(ref, user))


def _form_errors(request: HttpRequest, form: forms.Form) -> None:
    for field, errors in form.errors.items():
        messages.error(request, f"{field}: {' '.join(str(e) for e in errors)}")


INCIDENT_FORMS: dict[str, Callable[[QueryDict], forms.Form]] = {
    "update": lambda data: UpdateForm(data, prefix="update"),
    "resolve": lambda data: ResolveForm(data, prefix="resolve"),
    "unlink": lambda data: UnlinkForm(data),
}


def _incident_act(
    request: HttpRequest, user: User, incident: NetworkIncident, action: str, data: dict[str, Any]
) -> None:
    if action == "update":
        incident_update(
            actor=user,
            incident=incident,
            state=data["state"] or None,
            customer_message=data["customer_message"],
            technical_note=data["technical_note"],
            eta=data["eta"],
        )
        messages.success(request, f"{incident.reference} updated; linked tickets told.")
    elif action == "resolve":
        problems = incident_resolve(
            actor=user,
            incident=incident,
            root_cause=data["root_cause"],
            customer_message=data["customer_message"],
            technical_note=data["technical_note"],
            resolve_children=data["resolve_children"],
            confirm=data["confirm"],
        )
        messages.success(request, f"{incident.reference} resolved.")
        for problem in problems:
            messages.warning(request, f"Not resolved: {problem}")
    else:
        ticket = ticket_get(user=user, ref=data["ticket"])
        incident_unlink_ticket(actor=user, incident=incident, ticket=ticket, reason=data["reason"])
        messages.success(request, f"{ticket.reference} unlinked.")


@desk_view
@require_POST
def incident_action(request: HttpRequest, ref: str, action: str) -> HttpResponse:
    """Run one action on the incident, then back to its page (or the page
    again with the form as typed and the error next to its field)."""
    user = user_of(request)
    incident = _incident_or_404(ref, user)
    make_form = INCIDENT_FORMS.get(action)
    if make_form is None:
        raise Http404(f"No action {action}.")
    form = make_form(request.POST)
    if form.is_valid():
        try:
            _incident_act(request, user, incident, action, form.cleaned_data)
        except PermissionDenied:
            raise  # the 403 page, not a form error
        except ConfirmationNeeded as asked:
            if not isinstance(form, ResolveForm):
                raise
            form.ask_to_confirm(asked)
        except ServiceError as error:
            attach_service_error(form, error)
        else:
            return redirect("noc_incident", ref=incident.reference)
    return _incident_page(request, incident, failed=(action, form), status=422)


@desk_view
def customer_status(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The network-status banner of the customer 360 (loaded by htmx)."""
    user = user_of(request)
    require(user, Action.INCIDENT_VIEW)
    if not customers_visible_to(user).filter(pk=customer_id).exists():
        raise Http404("No such customer.")
    return render(
        request, "noc/_network_status.html", {"statuses": network_status_for(customer_id)}
    )


@desk_view
def ticket_panel(request: HttpRequest, ref: str) -> HttpResponse:
    """The ticket page's network panel: the incident it belongs to (or the
    one on its customer's path) and the NOC liaison on this ticket."""
    user = user_of(request)
    require(user, Action.INCIDENT_VIEW)
    ticket = ticket_get(user=user, ref=ref)
    incident = incident_for_ticket(ticket.pk)
    return render(
        request,
        "noc/_ticket_panel.html",
        {
            "ticket": ticket,
            "incident": incident,
            "statuses": []
            if incident
            else network_status_for(ticket.customer_id, ticket.service_id),
            "liaison": LiaisonRecord.objects.filter(ticket=ticket).select_related(
                "from_group", "to_group", "author"
            ),
            "can_request": can(user, Action.LIAISON_RECORD),
            "can_answer": can(user, Action.INCIDENT_MANAGE),
            "can_unlink": can(user, Action.TICKET_LINK) and incident is not None,
            "form": LiaisonForm(),
        },
    )


@desk_view
@require_POST
def ticket_liaison(request: HttpRequest, ref: str, kind: str) -> HttpResponse:
    user = user_of(request)
    ticket = ticket_get(user=user, ref=ref)
    form = LiaisonForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("ticket_detail", ref=ticket.reference)
    try:
        if kind == "request":
            troubleshooting_request(actor=user, ticket=ticket, body=form.cleaned_data["body"])
            messages.success(request, "Remote troubleshooting requested from the NOC.")
        elif kind == "result":
            troubleshooting_result(actor=user, ticket=ticket, body=form.cleaned_data["body"])
            messages.success(request, "Troubleshooting result recorded.")
        else:
            raise Http404(f"No liaison action {kind}.")
    except PermissionDenied:
        raise  # the 403 page, not a flash on the ticket
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect("ticket_detail", ref=ticket.reference)


@desk_view
@require_POST
def outage_decide(request: HttpRequest, outage_id: int) -> HttpResponse:
    """Confirm a suspected outage (it becomes an incident, its tickets its
    children) or dismiss it with the reason the detector learns from."""
    user = user_of(request)
    require(user, Action.OUTAGE_DECIDE)
    outage = SuspectedOutage.objects.filter(pk=outage_id).first()
    if outage is None:
        raise Http404("No such suspected outage.")
    form = OutageDecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["decision"] == "confirm":
                incident = outage_confirm(
                    actor=user,
                    outage=outage,
                    title=data["title"] or f"Suspected outage at {outage.element or outage.area}",
                    customer_description=data["customer_description"],
                )
                messages.success(request, f"Confirmed as {incident.reference}.")
                return redirect("noc_incident", ref=incident.reference)
            outage_dismiss(actor=user, outage=outage, reason=data["reason"])
            messages.success(request, "Dismissed; the detector will weigh this place less.")
            return redirect("noc_board")
        except PermissionDenied:
            raise
        except ServiceError as error:
            attach_service_error(form, error)
    return _board_page(request, decision=(outage.pk, form), status=422)
