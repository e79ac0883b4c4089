"""The portal's ticket pages: the list, one ticket with its conversation,
the answer and "This is solved" buttons, and a new ticket, which first
tells of a known outage on the chosen service and offers to notify instead."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from netdesk.core.errors import NotFound, ServiceError
from netdesk.customers.models import Contact, Service
from netdesk.portal.access import portal_view
from netdesk.portal.forms_tickets import NO_SERVICE, NewTicketForm, ReplyForm, ServiceChoiceForm
from netdesk.portal.selectors_tickets import (
    Outage,
    contact_service,
    contact_services,
    outage_on,
    portal_attachment_get,
    portal_ticket_get,
    portal_ticket_list,
    status_words,
)
from netdesk.portal.services.deflections import covering_incident, deflection_notify
from netdesk.portal.services.help import help_suggestions_ticket, writing_checked, writing_key
from netdesk.portal.services.tickets import (
    ToldOutage,
    TooManyRequests,
    portal_reply_add,
    portal_ticket_open,
    portal_ticket_solved,
)
from netdesk.tickets.choices import Status
from netdesk.tickets.forms import attach_service_error, error_text
from netdesk.tickets.models import Ticket

# The field a service's error names, as the form calls it.
FORM_FIELDS = {"files": "attachments", "file": "attachments"}


def refused_status(error: ServiceError) -> int:
    """The form comes back 422, or 429 when the contact wrote too often."""
    return error.status if isinstance(error, TooManyRequests) else 422


@require_GET
@portal_view
def ticket_list_view(request: HttpRequest, contact: Contact) -> HttpResponse:
    tickets = portal_ticket_list(contact)
    rows = [(ticket, status_words(ticket.status)) for ticket in tickets]
    return render(request, "portal/tickets.html", {"rows": rows})


def _ticket_or_404(contact: Contact, public_id: str) -> Ticket:
    ticket = portal_ticket_get(contact, public_id)
    if ticket is None:
        raise Http404("No such ticket among yours.")
    return ticket


def _ticket_page(
    request: HttpRequest, ticket: Ticket, form: ReplyForm | None = None, status: int = 200
) -> HttpResponse:
    context = {
        "ticket": ticket,
        "status_words": status_words(ticket.status),
        "is_resolved": ticket.status == Status.RESOLVED,
        "is_closed": ticket.status == Status.CLOSED,
        "form": form or ReplyForm(),
    }
    return render(request, "portal/ticket.html", context, status=status)


@require_GET
@portal_view
def ticket_view(request: HttpRequest, contact: Contact, public_id: str) -> HttpResponse:
    return _ticket_page(request, _ticket_or_404(contact, public_id))


@require_POST
@portal_view
def ticket_reply_view(request: HttpRequest, contact: Contact, public_id: str) -> HttpResponse:
    ticket = _ticket_or_404(contact, public_id)
    form = ReplyForm(request.POST, request.FILES)
    status = 422
    if form.is_valid():
        try:
            portal_reply_add(
                contact=contact,
                ticket=ticket,
                body=form.cleaned_data["body"],
                uploads=form.cleaned_data["attachments"],
            )
        except ServiceError as error:
            attach_service_error(form, error, FORM_FIELDS)
            status = refused_status(error)
        else:
            messages.success(request, "Your message was added.")
            return redirect("portal_ticket", public_id=public_id)
    return _ticket_page(request, _ticket_or_404(contact, public_id), form, status=status)


@require_POST
@portal_view
def ticket_solved_view(request: HttpRequest, contact: Contact, public_id: str) -> HttpResponse:
    ticket = _ticket_or_404(contact, public_id)
    try:
        ticket = portal_ticket_solved(contact=contact, ticket=ticket)
    except ServiceError as error:
        messages.error(request, error_text(error))
    else:
        if ticket.status == Status.CLOSED:
            messages.success(request, "Thank you for confirming: the ticket is closed.")
        else:
            messages.success(request, "Thank you: the ticket is marked as solved.")
    return redirect("portal_ticket", public_id=public_id)


@require_GET
@portal_view
def ticket_file_view(
    request: HttpRequest,  # noqa: ARG001  # every portal view's signature
    contact: Contact,
    public_id: str,
    attachment_id: int,
) -> HttpResponse:
    attachment = portal_attachment_get(contact, public_id, attachment_id)
    if attachment is None:
        raise Http404("No such file on your ticket.")
    # Always downloaded, never shown inline: the desk does not vouch for it.
    # Read whole: an attachment is at most NETDESK_ATTACHMENT_MAX_BYTES.
    with attachment.file.open("rb") as stored:
        response = HttpResponse(stored.read(), content_type=attachment.content_type)
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=True, filename=attachment.filename) or ""
    )
    return response


def _chosen_service(contact: Contact, service_id: str) -> Service | None:
    if service_id == NO_SERVICE:
        return None
    service = contact_service(contact, service_id)
    if service is None:
        raise Http404("No such service among yours.")
    return service


def _new_page(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, "portal/ticket_new.html", context, status=status)


@require_http_methods(["GET", "POST"])
@portal_view
def ticket_new_view(request: HttpRequest, contact: Contact) -> HttpResponse:
    """Step 1 asks which service (when the customer has any); a service
    with a known outage shows it first, with "Tell me when it is fixed" and
    "Open a ticket anyway"; then the form."""
    data = request.POST if request.method == "POST" else request.GET
    services = contact_services(contact)
    if "service" not in data and services:
        return _new_page(
            request, {"step": "service", "choice": ServiceChoiceForm(services=services)}
        )
    service = _chosen_service(contact, str(data.get("service", NO_SERVICE)))
    outage = outage_on(contact, service) if service is not None else None
    anyway = str(data.get("incident", ""))
    if outage is not None and anyway != outage.incident.reference:
        return _new_page(request, {"step": "outage", "outage": outage, "service": service})
    # One key per form as shown: the help articles suggested while this
    # ticket is written are counted together (services/help.py).
    writing = writing_checked(request.POST.get("writing")) or writing_key()
    context: dict[str, Any] = {
        "step": "form",
        "service": service,
        "outage": outage,
        "writing": writing,
    }
    if request.method == "GET":
        initial = {"incident": outage.incident.reference if outage else ""}
        return _new_page(request, {**context, "form": NewTicketForm(initial=initial)})
    form = NewTicketForm(request.POST, request.FILES)
    status = 422
    if form.is_valid():
        try:
            ticket = portal_ticket_open(
                contact=contact,
                ticket_type=form.cleaned_data["ticket_type"],
                service=service,
                description=form.cleaned_data["description"],
                uploads=form.cleaned_data["attachments"],
                told=_told(outage),
            )
        except ServiceError as error:
            attach_service_error(form, error, FORM_FIELDS)
            status = refused_status(error)
        else:
            help_suggestions_ticket(contact=contact, writing=writing, ticket=ticket)
            messages.success(request, "Thank you: your ticket was opened. We will answer here.")
            return redirect("portal_ticket", public_id=ticket.public_id)
    return _new_page(request, {**context, "form": form}, status=status)


def _told(outage: Outage | None) -> ToldOutage | None:
    return ToldOutage(outage.incident, outage.service) if outage is not None else None


@require_POST
@portal_view
def ticket_new_notify_view(request: HttpRequest, contact: Contact) -> HttpResponse:
    """The choice "Tell me when it is fixed": counted, and the customer put
    on the outage's notice list; no ticket."""
    service = _chosen_service(contact, str(request.POST.get("service", NO_SERVICE)))
    if service is None:
        raise Http404("No such service among yours.")
    reference = str(request.POST.get("incident", ""))
    try:
        incident = covering_incident(contact=contact, service=service, reference=reference)
        promise = deflection_notify(contact=contact, service=service, incident=incident)
    except NotFound:
        raise Http404("No such outage.") from None
    except ServiceError as error:
        messages.error(request, error_text(error))
        return redirect("portal_ticket_new")
    context = {"promise": promise, "incident": incident, "service": service, "contact": contact}
    return render(request, "portal/ticket_new_notified.html", context)
