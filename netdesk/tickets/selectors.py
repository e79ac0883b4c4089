"""Reads of tickets, scoped to what the asking person may see, shaped so a
list costs a fixed number of queries whatever its length."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import FileResponse

from netdesk.accounts.models import Role, User
from netdesk.core.errors import NotFound, ValidationFailed
from netdesk.tickets.models import Attachment, Comment, Interaction, Ticket, TicketEvent
from netdesk.tickets.models.ticket import REFERENCE_PREFIX


def tickets_visible_to(user: User) -> QuerySet[Ticket]:
    """Object scope: account managers see their accounts' tickets (and their
    member sites'); field engineers see their groups' and their own; the rest
    of the desk sees every ticket."""
    tickets = Ticket.objects.all()
    if user.role == Role.ACCOUNT_MANAGER:
        return tickets.filter(
            Q(customer__account_manager=user) | Q(customer__parent_account__account_manager=user)
        )
    if user.role == Role.FIELD_ENGINEER:
        # A subquery, not a join: no duplicate rows, and still lockable.
        return tickets.filter(Q(group__in=user.support_groups.all()) | Q(assignee=user))
    return tickets


MAX_REFERENCE_DIGITS = 18


def parse_reference(ref: str) -> int:
    text = ref.strip().upper()
    if text.startswith(REFERENCE_PREFIX):
        text = text[len(REFERENCE_PREFIX) :]
    # ASCII digits only ("³".isdigit() is true), and few enough for a bigint.
    if not (text.isascii() and text.isdigit() and len(text) <= MAX_REFERENCE_DIGITS):
        raise NotFound(
            f"{ref!r} is not a ticket reference.",
            field="ref",
            value=ref,
            accepted="a reference like TT-000123 or its number 123",
        )
    return int(text)


TICKET_JOINS = (
    "customer",
    "customer__account_manager",
    "customer__parent_account",  # a site of a key account is one
    "service",
    "contact",
    "category",
    "group",
    "group__tier",
    "assignee",
)


def _visible_ticket(queryset: QuerySet[Ticket], ref: str) -> Ticket:
    ticket = queryset.filter(pk=parse_reference(ref)).first()
    if ticket is None:
        raise NotFound(
            f"Ticket {ref!r} does not exist or is not visible to you.", field="ref", value=ref
        )
    return ticket


def ticket_get(*, user: User, ref: str, for_update: bool = False) -> Ticket:
    queryset = tickets_visible_to(user)
    if for_update:
        # Lock only the ticket row; the joined rows stay free for other writers.
        queryset = queryset.select_for_update(of=("self",))
    return _visible_ticket(queryset.select_related(*TICKET_JOINS), ref)


def ticket_detail(*, user: User, ref: str, conversation_only: bool = False) -> Ticket:
    """A ticket with everything its page shows, in a fixed number of queries.
    `conversation_only` loads just the call reports and the timeline (what the
    API's detail answer holds)."""
    related: list[str | Prefetch[Any]] = [
        Prefetch(
            "interactions",
            queryset=Interaction.objects.select_related("agent", "contact").order_by(
                "started_at", "id"
            ),
        ),
        Prefetch(
            "events",
            queryset=TicketEvent.objects.select_related("actor").order_by("at", "id"),
        ),
    ]
    if not conversation_only:
        related += [
            # A customer's own comments name their contact.
            Prefetch("comments", queryset=Comment.objects.select_related("author", "contact")),
            "comments__attachments",
            "attachments",
            "links_out__target",
            "links_in__source",
            "children",
        ]
    queryset = (
        tickets_visible_to(user)
        .select_related(*TICKET_JOINS, "parent", "merged_into")
        .prefetch_related(*related)
    )
    return _visible_ticket(queryset, ref)


# --- lists with keyset pagination -------------------------------------------------

ORDERINGS: dict[str, tuple[str, ...]] = {
    "-created": ("-id",),
    "created": ("id",),
    "priority": ("priority", "id"),
}


@dataclass(frozen=True)
class TicketFilter:
    """One filter definition for the queue page and the API list."""

    status: list[str] | None = None
    open_only: bool = False
    group: int | None = None
    assignee: int | None = None
    unassigned: bool = False
    priority: list[int] | None = None
    ticket_type: list[str] | None = None
    customer: int | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    order: str = "-created"


def _encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, width: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    if (
        not isinstance(values, list)
        or len(values) != width
        or not all(isinstance(v, int) and abs(v) < 2**62 for v in values)
    ):
        raise ValidationFailed(
            "The cursor is not one this server gave out.",
            field="cursor",
            value=cursor,
            accepted="the next_cursor value of a previous page, unchanged",
        )
    return values


def _keyset_after(fields: tuple[str, ...], values: list[Any]) -> Q:
    """Rows strictly after `values` in the order `fields` (row-value comparison)."""
    condition = Q()
    for index, field in enumerate(fields):
        name = field.lstrip("-")
        op = "lt" if field.startswith("-") else "gt"
        step = Q(**{f"{name}__{op}": values[index]})
        for previous in range(index):
            earlier = fields[previous].lstrip("-")
            step &= Q(**{earlier: values[previous]})
        condition |= step
    return condition


def _filtered(
    *, user: User, filters: TicketFilter, cursor: str | None
) -> tuple[QuerySet[Ticket], tuple[str, ...]]:
    """The one filter definition behind the queue page and the API list."""
    if filters.order not in ORDERINGS:
        raise ValidationFailed(
            f"Unknown order {filters.order!r}.",
            field="order",
            value=filters.order,
            accepted=sorted(ORDERINGS),
        )
    fields = ORDERINGS[filters.order]
    tickets = tickets_visible_to(user)
    if filters.status:
        tickets = tickets.filter(status__in=filters.status)
    if filters.open_only:
        tickets = tickets.filter(is_open=1)
    if filters.group is not None:
        tickets = tickets.filter(group_id=filters.group)
    if filters.assignee is not None:
        tickets = tickets.filter(assignee_id=filters.assignee)
    if filters.unassigned:
        tickets = tickets.filter(assignee__isnull=True)
    if filters.priority:
        tickets = tickets.filter(priority__in=filters.priority)
    if filters.ticket_type:
        tickets = tickets.filter(ticket_type__in=filters.ticket_type)
    if filters.customer is not None:
        tickets = tickets.filter(customer_id=filters.customer)
    if filters.created_after is not None:
        tickets = tickets.filter(created_at__gte=filters.created_after)
    if filters.created_before is not None:
        tickets = tickets.filter(created_at__lt=filters.created_before)
    if cursor:
        tickets = tickets.filter(_keyset_after(fields, _decode_cursor(cursor, len(fields))))
    return tickets.order_by(*fields), fields


def _next_cursor(page: list[Any], fields: tuple[str, ...], limit: int, get: Any) -> str | None:
    if len(page) <= limit:
        return None
    last = page[limit - 1]
    return _encode_cursor(
        [get(last, "pk" if f.lstrip("-") == "id" else f.lstrip("-")) for f in fields]
    )


# A ticket as lists show it (the API's TicketOut, the queue), defined once:
# its own fields, read under the same name from a Ticket and from a row...
LISTED_FIELDS = (
    "public_id",
    "ticket_type",
    "channel",
    "status",
    "title",
    "priority",
    "impact",
    "urgency",
    "customer_id",
    "hierarchical_level",
    "functional_escalations",
    "first_contact_resolved",
    "created_at",
    "updated_at",
    "first_response_at",
    "resolved_at",
)
# ...and the names it reads across a relation, with the row's column.
LISTED_RELATED = {
    "customer_name": "customer__name",
    "service_id": "service__service_id",
    "category": "category__name",
    "assignee": "assignee__username",
}
# The columns of a ticket list row, read as plain values: building model
# instances for a ticket and five related rows per line costs more than the
# query itself at this size.
ROW_COLUMNS = ("pk", *LISTED_FIELDS, *LISTED_RELATED.values(), "group_id", "group__name")


def ticket_rows(
    *, user: User, filters: TicketFilter, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of tickets as dictionaries of ROW_COLUMNS, and the cursor of
    the next page (None at the end)."""
    tickets, fields = _filtered(user=user, filters=filters, cursor=cursor)
    page = list(tickets.values(*ROW_COLUMNS)[: limit + 1])
    return page[:limit], _next_cursor(page, fields, limit, lambda row, name: row[name])


def attachment_response(*, ticket: Ticket, attachment_id: int) -> FileResponse:
    """Stream a ticket's attachment as a download (never rendered inline, so an
    uploaded HTML or SVG file cannot run in the desk's origin)."""
    attachment = Attachment.objects.filter(pk=attachment_id, ticket=ticket).first()
    if attachment is None:
        raise NotFound(
            f"{ticket.reference} has no attachment {attachment_id}.",
            field="attachment_id",
            value=attachment_id,
        )
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
