"""Reads of tickets, scoped to what the asking person may see, shaped so a
list costs a fixed number of queries whatever its length."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.http import FileResponse, QueryDict
from django.utils import timezone

from netdesk.accounts.models import Role, User
from netdesk.core.errors import NotFound, ValidationFailed
from netdesk.tickets.listing import ORDERINGS as ORDERINGS
from netdesk.tickets.listing import TicketFilter as TicketFilter
from netdesk.tickets.listing import (
    at_risk_q,
    filter_condition,
    filter_from_params,
    merged_params,
    with_now,
)
from netdesk.tickets.listing import sla_state_of as sla_state_of
from netdesk.tickets.models import Attachment, Comment, Interaction, Ticket, TicketEvent
from netdesk.tickets.models.ticket import REFERENCE_PREFIX
from netdesk.tickets.saved_view_selectors import saved_view_get


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
    # Not .first(): its ORDER BY id makes Django compare every selected
    # column (over a hundred with the joins) against the ordering, several
    # milliseconds of CPU per read for a lookup by primary key.
    ticket = next(iter(queryset.filter(pk=parse_reference(ref))[:1]), None)
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


def ticket_detail(*, user: User, ref: str) -> Ticket:
    """A ticket with everything its page shows, in a fixed number of queries."""
    queryset = (
        tickets_visible_to(user)
        .select_related(*TICKET_JOINS, "parent", "merged_into")
        .prefetch_related(
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
            # A customer's own comments name their contact.
            Prefetch("comments", queryset=Comment.objects.select_related("author", "contact")),
            "comments__attachments",
            "attachments",
            "links_out__target",
            "links_in__source",
            "children",
        )
    )
    return _visible_ticket(queryset, ref)


# --- lists with keyset pagination -------------------------------------------------


def ticket_filter_from_query(
    *,
    user: User,
    params: QueryDict | Mapping[str, Any],
    default_group: int | None = None,
    default_order: str = "-created",
) -> TicketFilter:
    """The one parser of ticket list parameters (queue page, API list,
    exports). `view=<id>` starts from a saved view visible to the user; the
    request's own parameters override the view's. A bad parameter raises
    ValidationFailed naming it."""
    view_param = params.get("view")
    if view_param not in (None, ""):
        view_text = str(view_param).strip()
        if not (view_text.isascii() and view_text.isdigit() and len(view_text) < 19):
            raise ValidationFailed(
                f"view={view_text!r} is not accepted.",
                field="view",
                value=view_text,
                accepted="the id of a saved view",
            )
        view = saved_view_get(user=user, view_id=int(view_text))
        base = {**view.query, "order": [view.order]}
        # A view's own group choice replaces the page's default group.
        default_group = None
        params = merged_params(base, params)
    return filter_from_params(
        user=user, params=params, default_group=default_group, default_order=default_order
    )


def _encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _bad_cursor(cursor: str) -> ValidationFailed:
    return ValidationFailed(
        "The cursor is not one this server gave out.",
        field="cursor",
        value=cursor,
        accepted="the next_cursor value of a previous page, unchanged",
    )


def _decode_cursor(cursor: str, width: int) -> list[int]:
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
        raise _bad_cursor(cursor)
    return values


# A cursor holds whole numbers only: a due time travels as microseconds
# since the epoch, and "no running target" as this value (beyond any date).
NO_DUE = 2**62 - 1
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _due_number(due: datetime | None) -> int:
    if due is None:
        return NO_DUE
    return (due - EPOCH) // timedelta(microseconds=1)


def _due_after(cursor: str, values: list[int]) -> Q:
    """Rows after (due, id) in due order, tickets without a due time last."""
    number, pk = values
    if number == NO_DUE:
        return Q(sla_next_due_at__isnull=True, pk__gt=pk)
    try:
        due = EPOCH + timedelta(microseconds=number)
    except OverflowError:
        raise _bad_cursor(cursor) from None
    return (
        Q(sla_next_due_at__gt=due)
        | Q(sla_next_due_at=due, pk__gt=pk)
        | Q(sla_next_due_at__isnull=True)
    )


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
    tickets = tickets_visible_to(user).filter(filter_condition(filters))
    if cursor:
        values = _decode_cursor(cursor, len(fields))
        if filters.order == "due":
            tickets = tickets.filter(_due_after(cursor, values))
        else:
            tickets = tickets.filter(_keyset_after(fields, values))
    if filters.order == "due":
        return tickets.order_by(F("sla_next_due_at").asc(nulls_last=True), "id"), fields
    return tickets.order_by(*fields), fields


def tickets_filtered(*, user: User, filters: TicketFilter) -> QuerySet[Ticket]:
    """Tickets visible to the user, filtered and in the filter's order (no
    pagination: exports and reports read them through)."""
    return _filtered(user=user, filters=filters, cursor=None)[0]


def _next_cursor(page: list[Any], fields: tuple[str, ...], limit: int, get: Any) -> str | None:
    if len(page) <= limit:
        return None
    last = page[limit - 1]
    if fields == ORDERINGS["due"]:
        return _encode_cursor([_due_number(get(last, "sla_next_due_at")), get(last, "pk")])
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
# The service-level summary behind a line's sla_state and next_due_at.
SLA_SUMMARY = ("sla_next_due_at", "sla_warn_at", "sla_paused", "sla_breached")
# The columns of a ticket list row, read as plain values: building model
# instances for a ticket and five related rows per line costs more than the
# query itself at this size.
ROW_COLUMNS = (
    "pk",
    *LISTED_FIELDS,
    *LISTED_RELATED.values(),
    "group_id",
    "group__name",
    *SLA_SUMMARY,
)


def row_sla(row: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """A row's (or ticket's values') sla_state and next_due_at."""
    return {
        "sla_state": sla_state_of(
            next_due_at=row["sla_next_due_at"],
            warn_at=row["sla_warn_at"],
            paused=row["sla_paused"],
            breached=row["sla_breached"],
            now=now,
        ),
        "next_due_at": row["sla_next_due_at"],
    }


def ticket_rows(
    *, user: User, filters: TicketFilter, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of tickets as dictionaries of ROW_COLUMNS plus sla_state and
    next_due_at, and the cursor of the next page (None at the end)."""
    now = filters.now or timezone.now()
    tickets, fields = _filtered(user=user, filters=with_now(filters, now), cursor=cursor)
    page = list(tickets.values(*ROW_COLUMNS)[: limit + 1])
    for row in page:
        row.update(row_sla(row, now))
    return page[:limit], _next_cursor(page, fields, limit, lambda row, name: row[name])


def at_risk_counts(*, user: User, minutes: int, now: datetime) -> list[dict[str, Any]]:
    """Per group: open tickets due within `minutes` or breached, and how
    many of them are breached already (one query)."""
    late = Q(sla_breached=True) | Q(sla_next_due_at__lte=now)
    return list(
        tickets_visible_to(user)
        .filter(at_risk_q(minutes, now))
        .values("group_id", "group__name")
        .annotate(at_risk=Count("pk"), breached=Count("pk", filter=late))
        .order_by("group__name", "group_id")
    )


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


# What the API's answer with one ticket reads (tickets.api.shapes.detail_out):
# the ticket's own columns and one or two of each related row. Django spent
# more CPU compiling the page's query of some three hundred columns (every
# joined row whole) than SQLite spent answering it.
CONVERSATION_TICKET = (
    *LISTED_FIELDS,
    *SLA_SUMMARY,
    "description",
    "resolution_code",
    "root_cause",
    "resolution_notes",
    "reopen_count",
    "customer__name",
    "service__service_id",
    "category__name",
    "group__name",
    "assignee__username",
)
CONVERSATION_INTERACTION = (
    "ticket_id",
    "channel",
    "direction",
    "started_at",
    "duration_seconds",
    "summary",
    "outcome",
    "agent__username",
)
CONVERSATION_EVENT = (
    "ticket_id",
    "at",
    "kind",
    "field",
    "old_value",
    "new_value",
    "message",
    "actor__username",
)


def ticket_conversation(*, user: User, ref: str) -> Ticket:
    """A ticket with its call reports and timeline, as the API answers with
    it: three queries, only the columns that answer names."""
    queryset = (
        tickets_visible_to(user)
        .select_related("customer", "service", "category", "group", "assignee")
        .only(*CONVERSATION_TICKET)
        .prefetch_related(
            Prefetch(
                "interactions",
                queryset=Interaction.objects.select_related("agent")
                .only(*CONVERSATION_INTERACTION)
                .order_by("started_at", "id"),
            ),
            Prefetch(
                "events",
                queryset=TicketEvent.objects.select_related("actor")
                .only(*CONVERSATION_EVENT)
                .order_by("at", "id"),
            ),
        )
    )
    return _visible_ticket(queryset, ref)
