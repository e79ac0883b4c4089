"""The agent's side of the mail channel on a ticket: the reply composer
(reply and reply-all, with templates) and moving an unknown sender into the
right customer. Thin: parse a form, call one service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require, user_of
from netdesk.channels.forms import ReplyForm, SenderMergeForm
from netdesk.channels.models import InboundMessage
from netdesk.channels.selectors import reply_templates, ticket_conversation
from netdesk.channels.services.outbound import reply_recipients
from netdesk.channels.services.senders import sender_merge
from netdesk.channels.services.templates import template_fill
from netdesk.core.errors import NotFound, PermissionDenied, ServiceError
from netdesk.customers.models import Contact
from netdesk.customers.selectors import customers_visible_to
from netdesk.customers.views import desk_view
from netdesk.tickets import services as ticket_services
from netdesk.tickets.choices import Visibility
from netdesk.tickets.forms import attach_service_error
from netdesk.tickets.models import Ticket
from netdesk.tickets.selectors import ticket_get


def reply_initial(
    ticket: Ticket, *, user: User, reply_all: bool, template_id: str = ""
) -> dict[str, Any]:
    """What the composer starts with: the addresses the ticket answers to,
    the copies on reply-all, and the text of the reply template picked (the
    one in the customer's language unless another was)."""
    to, cc = reply_recipients(ticket)
    initial: dict[str, Any] = {"to": to, "cc": cc if reply_all else [], "reply_all": reply_all}
    templates = reply_templates(ticket)
    template = templates[0] if templates else None
    if template_id:
        template = next((t for t in templates if str(t.pk) == template_id), None)
        if template is None:
            raise NotFound(
                f"No reply template {template_id!r} for {ticket.reference}.",
                field="template",
                value=template_id,
            )
    if template is not None:
        initial["body"] = template_fill(template=template, ticket=ticket, agent=user)
    return initial


def _compose_page(
    request: HttpRequest, ticket: Ticket, form: ReplyForm, *, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "channels/compose.html",
        {
            "ticket": ticket,
            "form": form,
            "reply_all": bool(form["reply_all"].value()),
            "templates": reply_templates(ticket),
            "chosen_template": request.GET.get("template", ""),
            "last_message": next(reversed(ticket_conversation(ticket)), None),
        },
        status=status,
    )


@desk_view
def reply_compose(request: HttpRequest, ref: str) -> HttpResponse:
    """The composer on a page of its own: a template picked, or a reply that
    was refused, keeps what the agent typed next to the error."""
    user = user_of(request)
    require(user, Action.REPLY_ADD)
    ticket = ticket_get(user=user, ref=ref)
    if request.method != "POST":
        initial = reply_initial(
            ticket,
            user=user,
            reply_all=request.GET.get("all") == "1",
            template_id=request.GET.get("template", ""),
        )
        return _compose_page(request, ticket, ReplyForm(initial=initial))
    form = ReplyForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                locked = ticket_get(user=user, ref=ref, for_update=True)
                ticket_services.comment_add(
                    actor=user,
                    ticket=locked,
                    body=data["body"],
                    visibility=Visibility.PUBLIC,
                    recipients={"to": data["to"], "cc": data["cc"]},
                )
        except PermissionDenied:
            raise
        except ServiceError as error:
            attach_service_error(form, error)
        else:
            messages.success(request, f"Reply to {', '.join(data['to'])} queued.")
            return redirect("ticket_detail", ref=ticket.reference)
    return _compose_page(request, ticket, form, status=422)


def _merge_contact(ticket: Ticket, contact_id: int) -> Contact:
    """An unverified contact that wrote mail on this ticket: the ticket's
    visibility is the scope of who may move it."""
    message = (
        InboundMessage.objects.select_related("contact__customer")
        .filter(ticket=ticket, contact_id=contact_id, contact__verified=False)
        .first()
    )
    if message is None or message.contact is None:
        raise NotFound(
            f"No unverified sender {contact_id} wrote on {ticket.reference}.",
            field="contact",
            value=contact_id,
        )
    return message.contact


@require_POST
@desk_view
def sender_merge_view(request: HttpRequest, ref: str, contact_id: int) -> HttpResponse:
    """Move an unknown sender into the customer the agent names."""
    user = user_of(request)
    require(user, Action.SENDER_MERGE)
    ticket = ticket_get(user=user, ref=ref)
    contact = _merge_contact(ticket, contact_id)
    form = SenderMergeForm(request.POST)
    if form.is_valid():
        number = form.cleaned_data["account_number"].strip()
        customer = customers_visible_to(user).filter(account_number__iexact=number).first()
        if customer is None:
            form.add_error(
                "account_number",
                f"Customer account number: no customer {number!r} is visible to you. "
                "Accepted: the account number of an existing customer.",
            )
        else:
            try:
                sender_merge(actor=user, contact=contact, customer=customer)
            except PermissionDenied:
                raise
            except ServiceError as error:
                attach_service_error(form, error, {"customer": "account_number"})
            else:
                messages.success(request, f"{contact.email} now belongs to {customer.name}.")
                return redirect("ticket_detail", ref=ticket.reference)
    return render(
        request,
        "channels/sender_merge.html",
        {"ticket": ticket, "contact": contact, "form": form},
        status=422,
    )
