"""Agent UI of the phone system: the call log with its callback list, a
call's page with its events and its report, a new ticket opened from a
call. Thin: parse a form, call one service or selector, render."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST, require_safe

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, can, require, user_of
from netdesk.core.errors import NotFound, PermissionDenied, ServiceError
from netdesk.customers.models import Customer
from netdesk.customers.selectors import customers_visible_to
from netdesk.customers.views import desk_view
from netdesk.phone.forms import CallFilterForm, CallReportForm, CallTicketForm
from netdesk.phone.models import Call
from netdesk.phone.selectors_log import call_detail, call_log_page, callbacks_waiting
from netdesk.phone.services.reports import (
    CALLBACK_OUTCOMES,
    call_callback_done,
    call_report_facts,
    call_report_log,
    call_ticket_create,
)
from netdesk.tickets.forms import attach_service_error, error_text
from netdesk.tickets.models.ticket import reference_for
from netdesk.tickets.selectors import ticket_get, tickets_visible_to

OPEN_TICKETS_OFFERED = 20


@require_safe
@desk_view
def call_log(request: HttpRequest) -> HttpResponse:
    """Calls newest first, filtered; the Callbacks tab lists the missed and
    abandoned calls nobody has called back yet."""
    user = user_of(request)
    require(user, Action.CALL_VIEW)
    filter_form = CallFilterForm(request.GET)
    filter_form.is_valid()
    filters = filter_form.call_filter(user=user)
    cursor = filter_form.cleaned_data.get("cursor") or ""
    page_error = ""
    try:
        calls, next_cursor = call_log_page(user=user, filters=filters, cursor=cursor)
    except ServiceError as error:
        page_error = error_text(error)
        calls, next_cursor = [], ""
    next_query = ""
    if next_cursor:
        params = request.GET.copy()
        params["cursor"] = next_cursor
        next_query = params.urlencode()
    return render(
        request,
        "phone/log.html",
        {
            "lines": [
                {"call": call, "ticket": reference_for(call.ticket_id) if call.ticket_id else ""}
                for call in calls
            ],
            "filter_form": filter_form,
            "callbacks": filters.callbacks,
            "callbacks_waiting": callbacks_waiting(user=user),
            "next_query": next_query,
            "page_error": page_error,
        },
    )


def _detail_context(user: User, pk: int, report_form: CallReportForm | None) -> dict[str, Any]:
    """The call page, read afresh (after a refused report: as it is now)."""
    call, events = call_detail(user=user, pk=pk)
    may_log = can(user, Action.INTERACTION_LOG) and call.interaction_id is None
    open_tickets: list[Any] = []
    if may_log and call.customer_id is not None:
        open_tickets = list(
            tickets_visible_to(user)
            .filter(customer_id=call.customer_id, is_open=1)
            .order_by("-created_at")
            .only("pk", "title")[:OPEN_TICKETS_OFFERED]
        )
    return {
        "call": call,
        "events": [
            {"event": event, "details": json.dumps(event.payload, ensure_ascii=False)}
            for event in events
        ],
        "facts": call_report_facts(call),
        "may_log": may_log and call.answered_at is not None,
        "report_form": report_form or CallReportForm(prefix="report"),
        "open_tickets": open_tickets,
        "waits_for_callback": call.outcome in CALLBACK_OUTCOMES and call.called_back_at is None,
        "new_ticket_url": _new_ticket_url(call),
        "ticket_reference": reference_for(call.ticket_id) if call.ticket_id else "",
    }


def _new_ticket_url(call: Call) -> str:
    url = reverse("calls_ticket_new", args=[call.pk])
    return f"{url}?{urlencode({'customer': call.customer_id})}" if call.customer_id else url


@require_safe
@desk_view
def call_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One call: what the events say, the events as received, its report."""
    user = user_of(request)
    require(user, Action.CALL_VIEW)
    return render(request, "phone/detail.html", _detail_context(user, pk, None))


@require_POST
@desk_view
def call_log_on_ticket(request: HttpRequest, pk: int) -> HttpResponse:
    """Log an answered call on an existing ticket: the agent gives the ticket,
    what was said and the outcome."""
    user = user_of(request)
    require(user, Action.CALL_VIEW)
    call, _ = call_detail(user=user, pk=pk)
    form = CallReportForm(request.POST, prefix="report")
    if form.is_valid():
        data = form.cleaned_data
        try:
            ticket = ticket_get(user=user, ref=data["ticket"].strip().upper())
            call_report_log(
                actor=user,
                call=call,
                ticket=ticket,
                summary=data["summary"],
                outcome=data["outcome"],
                resolution_code=data["resolution_code"],
                root_cause=data["root_cause"],
            )
        except PermissionDenied:
            raise
        except NotFound as error:
            form.add_error("ticket", error_text(error))
        except ServiceError as error:
            attach_service_error(form, error, {"call": "", "ticket": "ticket"})
        else:
            messages.success(request, f"Call {call.call_id} logged on {ticket.reference}.")
            return redirect("ticket_detail", ref=ticket.reference)
    return render(request, "phone/detail.html", _detail_context(user, pk, form), status=422)


@require_POST
@desk_view
def call_called_back(request: HttpRequest, pk: int) -> HttpResponse:
    """Someone called this missed call back: it leaves the callback list."""
    user = user_of(request)
    require(user, Action.CALL_VIEW)
    call, _ = call_detail(user=user, pk=pk)
    try:
        call_callback_done(actor=user, call=call)
    except PermissionDenied:
        raise
    except ServiceError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request, f"Call from {call.from_number or 'an unknown number'} called back."
        )
    return redirect(f"{reverse('calls_log')}?tab=callbacks")


def _caller_customer(user: User, call: Call, raw: str) -> Customer | None:
    """The customer the ticket is for: the one the call matched, else the one
    the agent chose among several matches (?customer=<id>), if visible."""
    wanted = call.customer_id
    if raw:
        if not raw.isdigit() or len(raw) > 18:
            raise NotFound(
                f"customer {raw!r} is not a customer id.",
                field="customer",
                value=raw,
                accepted="the id of a customer",
            )
        wanted = int(raw)
    if wanted is None:
        return None
    customer = customers_visible_to(user).filter(pk=wanted).first()
    if customer is None:
        raise NotFound(
            f"Customer {wanted} does not exist or is not visible to you.",
            field="customer",
            value=wanted,
            accepted="a customer you may see",
        )
    return customer


@desk_view
def call_ticket_new(request: HttpRequest, pk: int) -> HttpResponse:
    """The new-ticket page prefilled from a call; saving it logs the call's
    report on the new ticket with the call's times, direction and agent."""
    user = user_of(request)
    require(user, Action.CALL_VIEW)
    require(user, Action.TICKET_CREATE)
    require(user, Action.INTERACTION_LOG)
    call, _ = call_detail(user=user, pk=pk)
    if call.ticket_id is not None:
        reference = reference_for(call.ticket_id)
        messages.info(request, f"Call {call.call_id} is already logged on {reference}.")
        return redirect("ticket_detail", ref=reference)
    if call.answered_at is None:
        messages.info(request, f"Call {call.call_id} was not answered: there is nothing to log.")
        return redirect("calls_detail", pk=call.pk)
    customer = _caller_customer(user, call, request.GET.get("customer", ""))
    if customer is None:
        # An unknown number: find the caller first.
        return redirect(f"{reverse('customer_search')}?{urlencode({'q': call.from_number})}")
    form = CallTicketForm(request.POST or None, call=call, customer=customer, user=user)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            arguments = form.service_arguments()
            report = arguments.pop("call")
            try:
                ticket = call_ticket_create(actor=user, call=call, ticket=arguments, report=report)
            except PermissionDenied:
                raise
            except ServiceError as error:
                attach_service_error(form, error, {**form.renames, "call": ""})
            else:
                messages.success(request, f"{ticket.reference} created with call {call.call_id}.")
                return redirect("ticket_detail", ref=ticket.reference)
    return render(
        request,
        "phone/ticket_new.html",
        {"call": call, "customer": customer, "form": form, "facts": call_report_facts(call)},
        status=status,
    )
