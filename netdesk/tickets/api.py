"""Ticket endpoints: thin — parse, authorise, call a service or selector, shape."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.db import transaction
from django.http import FileResponse, HttpRequest
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from netdesk.accounts.models import SupportGroup, User
from netdesk.accounts.permissions import Action, require
from netdesk.core.errors import NotFound, ValidationFailed
from netdesk.core.idempotency import run_once
from netdesk.core.schemas import MAX_ID, InputSchema, IsoDateTime, OutputSchema, answers
from netdesk.customers.models import Contact, Customer, Service
from netdesk.customers.selectors import customers_visible_to
from netdesk.tickets import services
from netdesk.tickets.models import Category, Interaction, Ticket
from netdesk.tickets.models.ticket import reference_for
from netdesk.tickets.schemas import (
    TEXT_LIMITS,
    CommentIn,
    EscalateIn,
    InteractionIn,
    InteractionOut,
    PriorityNumber,
    ResolveIn,
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
    attachment_response,
    ticket_detail,
    ticket_get,
    ticket_rows,
)

router = Router(tags=["tickets"])


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def ticket_out(ticket: Ticket) -> dict[str, Any]:
    return {
        "ref": ticket.reference,
        "public_id": ticket.public_id,
        "ticket_type": ticket.ticket_type,
        "channel": ticket.channel,
        "status": ticket.status,
        "title": ticket.title,
        "priority": ticket.priority,
        "impact": ticket.impact,
        "urgency": ticket.urgency,
        "customer_id": ticket.customer_id,
        "customer_name": ticket.customer.name,
        "service_id": ticket.service.service_id if ticket.service else None,
        "category": ticket.category.name if ticket.category else None,
        "group": {"id": ticket.group.pk, "name": ticket.group.name},
        "assignee": ticket.assignee.username if ticket.assignee else None,
        "hierarchical_level": ticket.hierarchical_level,
        "functional_escalations": ticket.functional_escalations,
        "first_contact_resolved": ticket.first_contact_resolved,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "first_response_at": ticket.first_response_at,
        "resolved_at": ticket.resolved_at,
    }


def row_out(row: dict[str, Any]) -> dict[str, Any]:
    """ticket_out for a ROW_COLUMNS dictionary (the list endpoint)."""
    return {
        "ref": reference_for(row["pk"]),
        "public_id": row["public_id"],
        "ticket_type": row["ticket_type"],
        "channel": row["channel"],
        "status": row["status"],
        "title": row["title"],
        "priority": row["priority"],
        "impact": row["impact"],
        "urgency": row["urgency"],
        "customer_id": row["customer_id"],
        "customer_name": row["customer__name"],
        "service_id": row["service__service_id"],
        "category": row["category__name"],
        "group": {"id": row["group_id"], "name": row["group__name"]},
        "assignee": row["assignee__username"],
        "hierarchical_level": row["hierarchical_level"],
        "functional_escalations": row["functional_escalations"],
        "first_contact_resolved": row["first_contact_resolved"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "first_response_at": row["first_response_at"],
        "resolved_at": row["resolved_at"],
    }


def interaction_out(item: Interaction) -> dict[str, Any]:
    return {
        "id": item.pk,
        "channel": item.channel,
        "direction": item.direction,
        "started_at": item.started_at,
        "duration_seconds": item.duration_seconds,
        "summary": item.summary,
        "outcome": item.outcome,
        "agent": item.agent.username if item.agent else None,
    }


def detail_out(ticket: Ticket) -> dict[str, Any]:
    return {
        **ticket_out(ticket),
        "description": ticket.description,
        "resolution_code": ticket.resolution_code,
        "root_cause": ticket.root_cause,
        "resolution_notes": ticket.resolution_notes,
        "reopen_count": ticket.reopen_count,
        "interactions": [interaction_out(i) for i in ticket.interactions.all()],
        "events": [
            {
                "at": e.at,
                "actor": e.actor.username if e.actor else None,
                "kind": e.kind,
                "field": e.field,
                "old_value": e.old_value,
                "new_value": e.new_value,
                "message": e.message,
            }
            for e in ticket.events.all()
        ],
    }


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
    user = _user(request)
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


def _lookup(model: Any, pk: int | None, field: str, **scope: Any) -> Any:
    if pk is None:
        return None
    found = model.objects.filter(pk=pk, **scope).first()
    if found is None:
        raise ValidationFailed(
            f"No {field.removesuffix('_id')} has id {pk}.",
            field=field,
            value=pk,
            accepted=f"the id of an existing {field.removesuffix('_id')}",
        )
    return found


def _service(customer: Customer, service_id: str | None) -> Service | None:
    if not service_id:
        return None
    service = Service.objects.filter(service_id=service_id).first()
    if service is None or service.customer_id != customer.pk:
        raise ValidationFailed(
            f"Customer {customer.account_number} has no service {service_id!r}.",
            field="service_id",
            value=service_id,
            accepted=f"a service id of customer {customer.account_number}",
        )
    return service


@router.post(
    "", response=answers(TicketOut, 201), summary="Open a ticket (Idempotency-Key supported)"
)
def create_ticket(request: HttpRequest, payload: TicketCreateIn) -> Status[Any]:
    user = _user(request)
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
            category=_lookup(Category, payload.category_id, "category_id", is_active=True),
            service=_service(customer, payload.service_id),
            contact=_lookup(Contact, payload.contact_id, "contact_id", customer=customer),
            impact=payload.impact,
            urgency=payload.urgency,
            group=_lookup(SupportGroup, payload.group_id, "group_id", is_active=True),
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
    user = _user(request)
    require(user, Action.TICKET_VIEW)
    return detail_out(ticket_detail(user=user, ref=ref, conversation_only=True))


@router.patch(
    "/{ref}", response=answers(TicketDetailOut), summary="Change fields, status or assignee"
)
def patch_ticket(request: HttpRequest, ref: str, payload: TicketPatchIn) -> dict[str, Any]:
    user = _user(request)
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
            changes["category"] = _lookup(Category, given["category_id"], "category_id")
        if "service_id" in given:
            changes["service"] = _service(ticket.customer, given["service_id"])
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


@router.post(
    "/{ref}/interactions",
    response=answers(InteractionOut, 201),
    summary="Log a contact (call report); the outcome 'resolved' resolves the ticket",
)
def add_interaction(request: HttpRequest, ref: str, payload: InteractionIn) -> Status[Any]:
    user = _user(request)
    require(user, Action.INTERACTION_LOG)

    def create() -> tuple[int, Any]:
        ticket = ticket_get(user=user, ref=ref, for_update=True)
        item = services.ticket_interaction_log(
            actor=user,
            ticket=ticket,
            call=payload.dict(exclude={"contact_id"}),
            contact=_lookup(Contact, payload.contact_id, "contact_id", customer=ticket.customer),
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
    user = _user(request)
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
            group = _lookup(SupportGroup, payload.group_id, "group_id")
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
    user = _user(request)
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
    user = _user(request)
    require(user, Action.TICKET_REOPEN)
    with transaction.atomic():
        ticket = ticket_get(user=user, ref=ref, for_update=True)
        services.ticket_reopen(actor=user, ticket=ticket, reason=payload.reason)
    # The service updated the locked ticket in place: answer from it.
    return ticket_out(ticket)


@router.post("/{ref}/close", response=answers(TicketOut), summary="Close a resolved ticket")
def close(request: HttpRequest, ref: str) -> dict[str, Any]:
    user = _user(request)
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
    user = _user(request)
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
    user = _user(request)
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
    user = _user(request)
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


class AttachmentOut(OutputSchema):
    id: int
    filename: str
    content_type: str
    size: int


@router.post(
    "/{ref}/attachments",
    response=answers(AttachmentOut, 201),
    summary="Attach a file (size and type limits apply)",
)
def add_attachment(request: HttpRequest, ref: str, file: File[UploadedFile]) -> Status[Any]:
    user = _user(request)
    require(user, Action.NOTE_ADD)
    with transaction.atomic():
        ticket = ticket_get(user=user, ref=ref, for_update=True)
        attachment = services.attachment_add(actor=user, ticket=ticket, upload=file)
    return Status(
        201,
        {
            "id": attachment.pk,
            "filename": attachment.filename,
            "content_type": attachment.content_type,
            "size": attachment.size,
        },
    )


@router.get(
    "/{ref}/attachments/{attachment_id}",
    response=answers(None),
    summary="Download an attachment",
    openapi_extra={
        "responses": {200: {"description": "the file", "content": {"application/octet-stream": {}}}}
    },
)
def get_attachment(
    request: HttpRequest, ref: str, attachment_id: Annotated[int, Field(ge=1, le=MAX_ID)]
) -> FileResponse:
    user = _user(request)
    require(user, Action.TICKET_VIEW)
    ticket = ticket_get(user=user, ref=ref)
    return attachment_response(ticket=ticket, attachment_id=attachment_id)
