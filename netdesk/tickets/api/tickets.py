"""Ticket endpoints: the list, opening a ticket, reading and changing one."""

from __future__ import annotations

from typing import Any, Literal

from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from netdesk.accounts.models import SupportGroup, User
from netdesk.accounts.permissions import Action, require, user_of
from netdesk.core.errors import ValidationFailed
from netdesk.core.idempotency import run_once
from netdesk.core.schemas import IsoDateTime, answers
from netdesk.customers.models import Contact
from netdesk.customers.selectors import customers_visible_to
from netdesk.tickets import services
from netdesk.tickets.api.lookups import customer_service, lookup
from netdesk.tickets.api.shapes import detail_out, row_out, ticket_out
from netdesk.tickets.models import Category
from netdesk.tickets.schemas import (
    PriorityNumber,
    StatusName,
    TicketCreateIn,
    TicketDetailOut,
    TicketOut,
    TicketPage,
    TicketPatchIn,
    TicketTypeName,
)
from netdesk.tickets.selectors import (
    TicketFilter,
    ticket_detail,
    ticket_get,
    ticket_rows,
)

router = Router(tags=["tickets"])


class TicketListQuery(Schema):
    status: list[StatusName] | None = None
    open: bool = Field(False, description="only tickets not resolved or closed")
    group: int | None = Field(None, ge=1, le=2**62)
    assignee: str | None = Field(None, max_length=150, description="user name, or 'none'")
    priority: list[PriorityNumber] | None = None
    type: list[TicketTypeName] | None = None
    customer: int | None = Field(None, ge=1, le=2**62)
    created_after: IsoDateTime | None = None
    created_before: IsoDateTime | None = None
    order: Literal["-created", "created", "priority"] = "-created"
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(50, ge=1, le=100)


def _assignee_id(name: str | None) -> tuple[int | None, bool]:
    if name is None:
        return None, False
    if name.lower() == "none":
        return None, True
    user = User.objects.filter(username=name).only("pk").first()
    if user is None:
        raise ValidationFailed(
            f"No agent is called {name!r}.",
            field="assignee",
            value=name,
            accepted="an existing user name, or 'none' for unassigned tickets",
        )
    return user.pk, False


@router.get("", response=answers(TicketPage), summary="List tickets (keyset pagination)")
def list_tickets(request: HttpRequest, query: Query[TicketListQuery]) -> dict[str, Any]:
    user = user_of(request)
    require(user, Action.TICKET_VIEW)
    assignee, unassigned = _assignee_id(query.assignee)
    filters = TicketFilter(
        status=query.status,
        open_only=query.open,
        group=query.group,
        assignee=assignee,
        unassigned=unassigned,
        priority=[int(p) for p in query.priority or []] or None,
        ticket_type=query.type,
        customer=query.customer,
        created_after=query.created_after,
        created_before=query.created_before,
        order=query.order,
    )
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
        customer = customers_visible_to(user).filter(pk=payload.customer_id).first()
        if customer is None:
            raise ValidationFailed(
                f"No customer with id {payload.customer_id} is visible to you.",
                field="customer_id",
                value=payload.customer_id,
                accepted="the id of a customer you may see (GET /api/v1/customers?q=)",
            )
        ticket = services.ticket_create(
            actor=user,
            customer=customer,
            ticket_type=payload.ticket_type,
            channel=payload.channel,
            title=payload.title,
            description=payload.description,
            category=lookup(Category, payload.category_id, "category_id", is_active=True),
            service=customer_service(customer, payload.service_id),
            contact=lookup(Contact, payload.contact_id, "contact_id", customer=customer),
            impact=payload.impact,
            urgency=payload.urgency,
            group=lookup(SupportGroup, payload.group_id, "group_id", is_active=True),
            call=payload.call.dict() if payload.call else None,
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
    return detail_out(ticket_detail(user=user, ref=ref, conversation_only=True))


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
    return detail_out(ticket_detail(user=user, ref=ref, conversation_only=True))
