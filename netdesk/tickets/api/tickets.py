"""Ticket endpoints: the list, opening a ticket, reading and changing one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require, user_of
from netdesk.core.errors import ValidationFailed
from netdesk.core.idempotency import run_once
from netdesk.core.schemas import answers
from netdesk.customers.models import Segment
from netdesk.tickets import services
from netdesk.tickets.api.lookups import customer_service, lookup
from netdesk.tickets.api.shapes import detail_out, row_out, ticket_out
from netdesk.tickets.choices import Channel, RootCause, TicketType
from netdesk.tickets.choices import Status as TicketStatus
from netdesk.tickets.intake_refs import intake_refs
from netdesk.tickets.listing import MAX_AT_RISK_MINUTES, SLA_STATES
from netdesk.tickets.models import Category
from netdesk.tickets.schemas import (
    TicketCreateIn,
    TicketDetailOut,
    TicketOut,
    TicketPage,
    TicketPatchIn,
)
from netdesk.tickets.selectors import (
    ticket_conversation,
    ticket_filter_from_query,
    ticket_get,
    ticket_rows,
)

router = Router(tags=["tickets"])
DATES = "ISO date (midnight, desk time zone) or date and time"


def _one_of(values: Sequence[str], description: str = "") -> Any:
    """A repeatable parameter documented with the values it accepts; the
    values are checked by the shared parser, so the error names the
    parameter the same way on the queue page, in exports and here."""
    return Field(
        None,
        description=description or "repeatable",
        json_schema_extra={"items": {"type": "string", "enum": list(values)}},
    )


def _text(description: str) -> Any:
    return Field(None, max_length=150, description=description)


class TicketListQuery(Schema):
    """The list's parameters, described here for the API's schema; the
    values are read by selectors.ticket_filter_from_query, the same parser
    as the queue page and exports."""

    status: list[str] | None = _one_of(TicketStatus.values)
    open: str | None = _text("1: only tickets not resolved or closed")
    group: str | None = _text("a group id, or 'all'")
    assignee: str | None = _text("user name, or 'none'")
    mine: str | None = _text("1: only tickets assigned to the caller")
    unassigned: str | None = _text("1: only tickets nobody holds")
    priority: list[str] | None = _one_of(["1", "2", "3", "4", "5"], "1 (critical) to 5")
    type: list[str] | None = _one_of(TicketType.values)
    customer: str | None = _text("a customer id")
    channel: list[str] | None = _one_of(Channel.values)
    category: str | None = _text("a category id")
    root_cause: list[str] | None = _one_of(RootCause.values)
    segment: list[str] | None = _one_of(Segment.values)
    created_after: str | None = _text(DATES)
    created_before: str | None = _text(f"{DATES}; exclusive")
    resolved_after: str | None = _text(DATES)
    resolved_before: str | None = _text(f"{DATES}; exclusive")
    fcr: str | None = _text("1 or 0: resolved at the first contact or not")
    sla_state: list[str] | None = _one_of(SLA_STATES)
    weekday: list[str] | None = _one_of(
        [str(day) for day in range(1, 8)], "1 = Monday .. 7 = Sunday, of arrival (desk time)"
    )
    hour: list[str] | None = _one_of(
        [str(hour) for hour in range(24)], "0-23, of arrival (desk time)"
    )
    at_risk: str | None = _text(f"minutes (0-{MAX_AT_RISK_MINUTES}): due within, or breached")
    view: str | None = _text("a saved view's id (its filters; other parameters override)")
    order: str | None = Field(
        None, description="-created (default), created, priority or due", max_length=20
    )
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(50, ge=1, le=100)


@router.get("", response=answers(TicketPage), summary="List tickets (keyset pagination)")
def list_tickets(request: HttpRequest, query: Query[TicketListQuery]) -> dict[str, Any]:
    user = user_of(request)
    require(user, Action.TICKET_VIEW)
    filters = ticket_filter_from_query(user=user, params=request.GET)
    rows, next_cursor = ticket_rows(
        user=user, filters=filters, cursor=query.cursor, limit=query.limit
    )
    return {"items": [row_out(row) for row in rows], "next_cursor": next_cursor}


@router.post(
    "", response=answers(TicketOut, 201), summary="Open a ticket (Idempotency-Key supported)"
)
def create_ticket(request: HttpRequest, payload: TicketCreateIn) -> Status[Any]:
    user = user_of(request)
    require(user, Action.TICKET_CREATE)

    def create() -> tuple[int, Any]:
        refs = intake_refs(
            user=user,
            customer_id=payload.customer_id,
            service_id=payload.service_id,
            contact_id=payload.contact_id,
            category_id=payload.category_id,
            group_id=payload.group_id,
            impact=payload.impact,
            urgency=payload.urgency,
        )
        ticket = services.ticket_create(
            actor=user,
            customer=refs.customer,
            ticket_type=payload.ticket_type,
            channel=payload.channel,
            title=payload.title,
            description=payload.description,
            category=refs.category,
            service=refs.service,
            contact=refs.contact,
            impact=payload.impact,
            urgency=payload.urgency,
            group=refs.group,
            call=payload.call.dict() if payload.call else None,
            priority=refs.priority,
        )
        # The new ticket already holds its related rows: no need to read it back.
        return 201, ticket_out(ticket)

    status, body = run_once(
        user=user,
        key=request.headers.get("Idempotency-Key"),
        endpoint="tickets.create",
        payload=payload.dict(),
        create=create,
    )
    return Status(status, body)


@router.get(
    "/{ref}",
    response=answers(TicketDetailOut),
    summary="A ticket with its call reports and timeline",
)
def get_ticket(request: HttpRequest, ref: str) -> dict[str, Any]:
    user = user_of(request)
    require(user, Action.TICKET_VIEW)
    return detail_out(ticket_conversation(user=user, ref=ref))


@router.patch(
    "/{ref}", response=answers(TicketDetailOut), summary="Change fields, status or assignee"
)
def patch_ticket(request: HttpRequest, ref: str, payload: TicketPatchIn) -> dict[str, Any]:
    user = user_of(request)
    require(user, Action.TICKET_UPDATE)
    given = payload.dict(exclude_unset=True)
    with transaction.atomic():
        ticket = ticket_get(user=user, ref=ref, for_update=True)
        changes: dict[str, Any] = {
            k: given[k]
            for k in ("title", "description", "impact", "urgency")
            if given.get(k) is not None
        }
        if given.get("category_id") is not None:
            changes["category"] = lookup(Category, given["category_id"], "category_id")
        if "service_id" in given:
            changes["service"] = customer_service(ticket.customer, given["service_id"])
        if changes:
            services.ticket_update(actor=user, ticket=ticket, changes=changes)
        if "assignee" in given:
            name = given["assignee"] or None
            assignee = None
            if name:
                assignee = User.objects.filter(username=name, is_active=True).first()
                if assignee is None:
                    raise ValidationFailed(
                        f"No active agent is called {name!r}.",
                        field="assignee",
                        value=name,
                        accepted=f"a member of {ticket.group.name}, or '' to unassign",
                    )
            services.ticket_assign(actor=user, ticket=ticket, assignee=assignee)
        if given.get("status") is not None and given["status"] != ticket.status:
            services.ticket_change_status(
                actor=user, ticket=ticket, status=given["status"], note=payload.note
            )
    return detail_out(ticket_conversation(user=user, ref=ref))
