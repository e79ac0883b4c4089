"""Agent UI for tickets: the queue, a new ticket from a call, the ticket page
and its actions. Thin: parse a form, call one service or selector, render."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from netdesk.accounts.models import SupportGroup, User
from netdesk.accounts.permissions import Action, can, require, user_of
from netdesk.core.errors import NotFound, PermissionDenied, ServiceError
from netdesk.core.hooks import hooks_answers
from netdesk.customers.models import Customer
from netdesk.customers.selectors import customers_visible_to
from netdesk.customers.views import desk_view
from netdesk.tickets import forms, services
from netdesk.tickets.choices import Status
from netdesk.tickets.models import Ticket
from netdesk.tickets.selectors import ticket_detail, ticket_get
from netdesk.tickets.timeline import timeline_entries

# --- new ticket from a call -----------------------------------------------------------------


def _visible_customer(user: User, customer_id: int) -> Customer:
    customer = (
        customers_visible_to(user).select_related("parent_account").filter(pk=customer_id).first()
    )
    if customer is None:
        raise NotFound(f"Customer {customer_id} does not exist or is not visible to you.")
    return customer


@desk_view
def ticket_create_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    user = user_of(request)
    require(user, Action.TICKET_CREATE)
    customer = _visible_customer(user, customer_id)
    form = forms.TicketCreateForm(request.POST or None, customer=customer, user=user)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            arguments = form.service_arguments()
            duration = arguments["call"]["duration_seconds"]
            arguments["call"]["started_at"] = timezone.now() - timedelta(seconds=duration)
            try:
                ticket = services.ticket_create(actor=user, **arguments)
            except PermissionDenied:
                raise
            except ServiceError as error:
                forms.attach_service_error(form, error, form.renames)
            else:
                messages.success(request, f"{ticket.reference} created.")
                return redirect("ticket_detail", ref=ticket.reference)
    return render(
        request,
        "tickets/create.html",
        {"customer": customer, "form": form},
        status=status,
    )


# --- the ticket page ----------------------------------------------------------------------


@dataclass(frozen=True)
class TicketAction:
    """One action panel of the ticket page: who may see it, its form, its service."""

    title: str
    form: type[forms.TicketActionForm]
    visible: Callable[[User, Ticket], bool]
    perform: Callable[[User, Ticket, dict[str, Any]], str]


def _assign_me(user: User, ticket: Ticket, data: dict[str, Any]) -> str:  # noqa: ARG001  # every action's perform signature
    services.ticket_assign(actor=user, ticket=ticket, assignee=user)
    return f"{ticket.reference} is now assigned to you."


def _assign(user: User, ticket: Ticket, data: dict[str, Any]) -> str:
    assignee = User.objects.filter(pk=data["assignee"]).first() if data["assignee"] else None
    services.ticket_assign(actor=user, ticket=ticket, assignee=assignee)
    return f"{ticket.reference} assigned to {assignee or 'nobody'}."


def _status(user: User, ticket: Ticket, data: dict[str, Any]) -> str:
    services.ticket_change_status(
        actor=user, ticket=ticket, status=data["status"], note=data["note"]
    )
    return f"{ticket.reference} is now {ticket.get_status_display().lower()}."


def _interaction(user: User, ticket: Ticket, data: dict[str, Any]) -> str:
    duration = data["minutes"] * 60 + data["seconds"]
    services.ticket_interaction_log(
        actor=user,
        ticket=ticket,
        contact=ticket.contact,
        call={
            "channel": data["channel"],
            "direction": data["direction"],
            "duration_seconds": duration,
            "started_at": timezone.now() - timedelta(seconds=duration),
            "summary": data["summary"],
            "outcome": data["outcome"],
            "resolution_code": data["resolution_code"],
            "root_cause": data["root_cause"],
        },
    )
    if ticket.status == Status.RESOLVED:
        return f"Contact logged; {ticket.reference} resolved on the call."
    return "Contact logged."


def _comment(user: User, ticket: Ticket, data: dict[str, Any]) -> str:
    comment = services.comment_add(
        actor=user, ticket=ticket, body=data["body"], visibility=data["visibility"]
    )
    if data.get("file"):
        services.attachment_add(actor=user, ticket=ticket, upload=data["file"], comment=comment)
    return f"{comment.get_visibility_display()} added."


def _escalate(user: User, ticket: Ticket, data: dict[str, Any]) -> str:
    group = SupportGroup.objects.select_related("tier").filter(pk=data["group"]).first()
    if group is None:
        raise NotFound(f"No group has id {data['group']}.", field="group", value=data["group"])
    services.ticket_escalate_functional(
        actor=user, ticket=ticket, group=group, reason=data["reason"]
    )
    return f"{ticket.reference} escalated to {group.name}."


def _escalate_up(user: User, ticket: Ticket, data: dict[str, Any]) -> str:
    services.ticket_escalate_hierarchical(actor=user, ticket=ticket, reason=data["reason"])
    return f"{ticket.reference} escalated to level {ticket.hierarchical_level}."


def _deescalate(user: User, ticket: Ticket, data: dict[str, Any]) -> str:
    services.ticket_deescalate_hierarchical(actor=user, ticket=ticket, reason=data["reason"])
    return f"{ticket.reference} de-escalated to level {ticket.hierarchical_level}."


def _resolve(user: User, ticket: Ticket, data: dict[str, Any]) -> str:
    services.ticket_resolve(
        actor=user,
        ticket=ticket,
        resolution_code=data["resolution_code"],
        root_cause=data["root_cause"],
        notes=data["notes"],
    )
    return f"{ticket.reference} resolved."


def _reopen(user: User, ticket: Ticket, data: dict[str, Any]) -> str:
    services.ticket_reopen(actor=user, ticket=ticket, reason=data["reason"])
    return f"{ticket.reference} reopened."


def _close(user: User, ticket: Ticket, data: dict[str, Any]) -> str:
    services.ticket_close(actor=user, ticket=ticket, note=data["note"])
    return f"{ticket.reference} closed."


def _link(user: User, ticket: Ticket, data: dict[str, Any]) -> str:
    try:
        other = ticket_get(user=user, ref=data["target"])
    except NotFound as error:
        # An unknown target is a mistake in the form, not a missing page.
        raise NotFound(
            error.message, field="target", value=data["target"], accepted="TT-000123"
        ) from None
    kind = data["kind"]
    if kind == "merge_into":
        services.ticket_merge(actor=user, duplicate=ticket, into=other)
        return f"{ticket.reference} merged into {other.reference}."
    if kind == "child_of":
        services.ticket_set_parent(actor=user, child=ticket, parent=other)
    else:
        services.ticket_link(actor=user, source=ticket, target=other, kind=kind)
    return f"{ticket.reference} linked to {other.reference}."


def _may(action: Action, *, open_: bool | None = None) -> Callable[[User, Ticket], bool]:
    def visible(user: User, ticket: Ticket) -> bool:
        return can(user, action) and (open_ is None or ticket.is_open == open_)

    return visible


ACTIONS: dict[str, TicketAction] = {
    "assign-me": TicketAction(
        "Assign to me",
        forms.AssignMeForm,
        lambda u, t: can(u, Action.TICKET_ASSIGN) and t.is_open and t.assignee_id != u.pk,
        _assign_me,
    ),
    "assign": TicketAction(
        "Assign to agent", forms.AssignForm, _may(Action.TICKET_ASSIGN, open_=True), _assign
    ),
    "status": TicketAction(
        "Change status", forms.StatusForm, _may(Action.TICKET_UPDATE, open_=True), _status
    ),
    "contact": TicketAction(
        "Log a contact", forms.InteractionForm, _may(Action.INTERACTION_LOG), _interaction
    ),
    "comment": TicketAction("Note or reply", forms.CommentForm, _may(Action.NOTE_ADD), _comment),
    "escalate": TicketAction(
        "Escalate to another group",
        forms.EscalateForm,
        _may(Action.TICKET_ESCALATE, open_=True),
        _escalate,
    ),
    "escalate-up": TicketAction(
        "Escalate to supervisor",
        forms.EscalateUpForm,
        _may(Action.TICKET_ESCALATE, open_=True),
        _escalate_up,
    ),
    "deescalate": TicketAction(
        "De-escalate",
        forms.EscalateUpForm,
        lambda u, t: can(u, Action.TICKET_ESCALATE) and t.hierarchical_level > 0,
        _deescalate,
    ),
    "resolve": TicketAction(
        "Resolve", forms.ResolveForm, _may(Action.TICKET_RESOLVE, open_=True), _resolve
    ),
    "reopen": TicketAction(
        "Reopen",
        forms.ReopenForm,
        lambda u, t: can(u, Action.TICKET_REOPEN) and t.status == Status.RESOLVED,
        _reopen,
    ),
    "close": TicketAction(
        "Close",
        forms.CloseForm,
        lambda u, t: can(u, Action.TICKET_CLOSE) and t.status == Status.RESOLVED,
        _close,
    ),
    "link": TicketAction(
        "Link to another ticket",
        forms.LinkForm,
        lambda u, t: can(u, Action.TICKET_LINK) and t.status != Status.CLOSED,
        _link,
    ),
}


# What an agent does on most calls: named on top of the page, one click away;
# the other actions wait under "More actions".
MAIN_ACTIONS = ("comment", "contact", "resolve", "escalate")


def _render_detail(
    request: HttpRequest,
    user: User,
    ref: str,
    failed: tuple[str, forms.TicketActionForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    ticket = ticket_detail(user=user, ref=ref)
    panels = {}
    for name, action in ACTIONS.items():
        if name == "assign-me" or not action.visible(user, ticket):
            continue
        if failed is not None and failed[0] == name:
            form = failed[1]
        else:
            form = action.form(ticket=ticket, user=user, prefix=name)
        panels[name] = {"name": name, "title": action.title, "form": form}
    return render(
        request,
        "tickets/detail.html",
        {
            "ticket": ticket,
            # Panels the apps above tickets add (service levels), already rendered.
            "side_panels": hooks_answers("ticket_page_panels", ticket=ticket),
            # Sections of the main column the apps above add (the mail conversation).
            "sections": hooks_answers("ticket_page_sections", request=request, ticket=ticket),
            "timeline": timeline_entries(ticket),
            "main_panels": [panels[name] for name in MAIN_ACTIONS if name in panels],
            "more_panels": [p for name, p in panels.items() if name not in MAIN_ACTIONS],
            "can_reply": can(user, Action.REPLY_ADD),
            "can_assign_me": ACTIONS["assign-me"].visible(user, ticket),
            "failed_action": failed[0] if failed else "",
            "failed_form": failed[1] if failed else None,
        },
        status=status,
    )


@desk_view
def ticket_detail_view(request: HttpRequest, ref: str) -> HttpResponse:
    user = user_of(request)
    ticket = ticket_get(user=user, ref=ref)
    if ref != ticket.reference:
        return redirect("ticket_detail", ref=ticket.reference)
    return _render_detail(request, user, ticket.reference)


@require_POST
@desk_view
def ticket_action(request: HttpRequest, ref: str, action: str) -> HttpResponse:
    """Run one action on the ticket, then back to its page (or the page again
    with the form as typed and the service's error next to its field)."""
    user = user_of(request)
    chosen = ACTIONS.get(action)
    if chosen is None:
        raise Http404(f"No ticket action {action!r}.")
    ticket = ticket_get(user=user, ref=ref)
    form = chosen.form(request.POST, request.FILES, ticket=ticket, user=user, prefix=action)
    if form.is_valid():
        try:
            with transaction.atomic():
                locked = ticket_get(user=user, ref=ref, for_update=True)
                message = chosen.perform(user, locked, form.cleaned_data)
        except PermissionDenied:
            raise  # the 403 page, not a form error
        except ServiceError as error:
            forms.attach_service_error(form, error, form.renames)
        else:
            messages.success(request, message)
            return redirect("ticket_detail", ref=ticket.reference)
    return _render_detail(request, user, ticket.reference, failed=(action, form), status=422)


@desk_view
def ticket_attachment(request: HttpRequest, ref: str, attachment_id: int) -> FileResponse:
    """Download a file of a ticket the agent may see; always as a download,
    never rendered inline, whatever its declared type."""
    ticket = ticket_get(user=user_of(request), ref=ref)
    attachment = ticket.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404(f"{ticket.reference} has no attachment {attachment_id}.")
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
