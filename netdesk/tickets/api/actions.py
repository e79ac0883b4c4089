"""Ticket endpoints for what agents do on a ticket: contacts, escalation,
resolution, reopening, closing, comments and links."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Router, Status

from netdesk.accounts.models import SupportGroup
from netdesk.accounts.permissions import Action, require, user_of
from netdesk.core.errors import NotFound, ValidationFailed
from netdesk.core.idempotency import run_once
from netdesk.core.schemas import InputSchema, OutputSchema, answers
from netdesk.customers.models import Contact
from netdesk.tickets import services
from netdesk.tickets.api.lookups import lookup
from netdesk.tickets.api.shapes import interaction_out, ticket_out
from netdesk.tickets.schemas import (
    TEXT_LIMITS,
    CommentIn,
    EscalateIn,
    InteractionIn,
    InteractionOut,
    ResolveIn,
    TicketOut,
)
from netdesk.tickets.selectors import (
    ticket_get,
)

router = Router()


@router.post(
    "/{ref}/interactions",
    response=answers(InteractionOut, 201),
    summary="Log a contact (call report); the outcome 'resolved' resolves the ticket",
)
def add_interaction(request: HttpRequest, ref: str, payload: InteractionIn) -> Status[Any]:
    user = user_of(request)
    require(user, Action.INTERACTION_LOG)

    def create() -> tuple[int, Any]:
        ticket = ticket_get(user=user, ref=ref, for_update=True)
        item = services.ticket_interaction_log(
            actor=user,
            ticket=ticket,
            call=payload.dict(exclude={"contact_id"}),
            contact=lookup(Contact, payload.contact_id, "contact_id", customer=ticket.customer),
        )
        return 201, interaction_out(item)

    status, body = run_once(
        user=user,
        key=request.headers.get("Idempotency-Key"),
        endpoint=f"tickets.{ref}.interactions",
        payload=payload.dict(),
        create=create,
    )
    return Status(status, body)


@router.post(
    "/{ref}/escalate",
    response=answers(TicketOut),
    summary="Escalate functionally or hierarchically",
)
def escalate(request: HttpRequest, ref: str, payload: EscalateIn) -> dict[str, Any]:
    user = user_of(request)
    require(user, Action.TICKET_ESCALATE)
    with transaction.atomic():
        ticket = ticket_get(user=user, ref=ref, for_update=True)
        if payload.kind == "functional":
            if payload.group_id is None:
                raise ValidationFailed(
                    "Functional escalation needs the receiving group.",
                    field="group_id",
                    value=None,
                    accepted="the id of an active support group",
                )
            group = lookup(SupportGroup, payload.group_id, "group_id")
            services.ticket_escalate_functional(
                actor=user, ticket=ticket, group=group, reason=payload.reason
            )
        else:
            services.ticket_escalate_hierarchical(actor=user, ticket=ticket, reason=payload.reason)
    # The service updated the locked ticket in place: answer from it.
    return ticket_out(ticket)


@router.post(
    "/{ref}/resolve", response=answers(TicketOut), summary="Resolve with a resolution code"
)
def resolve(request: HttpRequest, ref: str, payload: ResolveIn) -> dict[str, Any]:
    user = user_of(request)
    require(user, Action.TICKET_RESOLVE)
    with transaction.atomic():
        ticket = ticket_get(user=user, ref=ref, for_update=True)
        services.ticket_resolve(
            actor=user,
            ticket=ticket,
            resolution_code=payload.resolution_code,
            root_cause=payload.root_cause or "",
            notes=payload.notes,
        )
    # The service updated the locked ticket in place: answer from it.
    return ticket_out(ticket)


class ReasonIn(InputSchema):
    reason: str = Field(..., min_length=1, max_length=TEXT_LIMITS["reason"])


@router.post("/{ref}/reopen", response=answers(TicketOut), summary="Reopen a resolved ticket")
def reopen(request: HttpRequest, ref: str, payload: ReasonIn) -> dict[str, Any]:
    user = user_of(request)
    require(user, Action.TICKET_REOPEN)
    with transaction.atomic():
        ticket = ticket_get(user=user, ref=ref, for_update=True)
        services.ticket_reopen(actor=user, ticket=ticket, reason=payload.reason)
    # The service updated the locked ticket in place: answer from it.
    return ticket_out(ticket)


@router.post("/{ref}/close", response=answers(TicketOut), summary="Close a resolved ticket")
def close(request: HttpRequest, ref: str) -> dict[str, Any]:
    user = user_of(request)
    require(user, Action.TICKET_CLOSE)
    with transaction.atomic():
        ticket = ticket_get(user=user, ref=ref, for_update=True)
        services.ticket_close(actor=user, ticket=ticket)
    # The service updated the locked ticket in place: answer from it.
    return ticket_out(ticket)


@router.post(
    "/{ref}/deescalate", response=answers(TicketOut), summary="Lower the hierarchical level"
)
def deescalate(request: HttpRequest, ref: str, payload: ReasonIn) -> dict[str, Any]:
    user = user_of(request)
    require(user, Action.TICKET_ESCALATE)
    with transaction.atomic():
        ticket = ticket_get(user=user, ref=ref, for_update=True)
        services.ticket_deescalate_hierarchical(actor=user, ticket=ticket, reason=payload.reason)
    # The service updated the locked ticket in place: answer from it.
    return ticket_out(ticket)


class CommentOut(OutputSchema):
    id: int
    visibility: str


@router.post(
    "/{ref}/comments",
    response=answers(CommentOut, 201),
    summary="Add an internal note or a customer-visible reply",
)
def add_comment(request: HttpRequest, ref: str, payload: CommentIn) -> Status[Any]:
    user = user_of(request)
    with transaction.atomic():
        ticket = ticket_get(user=user, ref=ref, for_update=True)
        comment = services.comment_add(
            actor=user, ticket=ticket, body=payload.body, visibility=payload.visibility
        )
    return Status(201, {"id": comment.pk, "visibility": comment.visibility})


class LinkIn(InputSchema):
    target: str = Field(
        ..., min_length=1, max_length=30, description="reference of the other ticket"
    )
    kind: str = Field(
        ..., description="duplicate_of, related_to, parent_of, child_of or merge_into"
    )


@router.post("/{ref}/links", response=answers(TicketOut), summary="Link, nest or merge tickets")
def add_link(request: HttpRequest, ref: str, payload: LinkIn) -> dict[str, Any]:
    user = user_of(request)
    require(user, Action.TICKET_VIEW)
    with transaction.atomic():
        ticket = ticket_get(user=user, ref=ref, for_update=True)
        try:
            other = ticket_get(user=user, ref=payload.target, for_update=True)
        except NotFound as exc:
            raise ValidationFailed(
                exc.message,
                field="target",
                value=payload.target,
                accepted="the reference of a ticket you can see",
            ) from exc
        if payload.kind in ("duplicate_of", "related_to"):
            services.ticket_link(actor=user, source=ticket, target=other, kind=payload.kind)
        elif payload.kind == "child_of":
            services.ticket_set_parent(actor=user, child=ticket, parent=other)
        elif payload.kind == "parent_of":
            services.ticket_set_parent(actor=user, child=other, parent=ticket)
        elif payload.kind == "merge_into":
            services.ticket_merge(actor=user, duplicate=ticket, into=other)
        else:
            raise ValidationFailed(
                f"Link kind {payload.kind!r} is not accepted.",
                field="kind",
                value=payload.kind,
                accepted=["duplicate_of", "related_to", "parent_of", "child_of", "merge_into"],
            )
    # The service updated the locked ticket in place: answer from it.
    return ticket_out(ticket)
