"""Saying what a ticket is and who takes it once it is open: its type,
category and group as the words of the request showed them (an agent
correcting the intake, or text triage reading a mail or portal request)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from netdesk.accounts.models import SupportGroup, User
from netdesk.accounts.permissions import Action, require
from netdesk.core.checks import checked_choice
from netdesk.core.errors import ValidationFailed
from netdesk.core.locking import locked
from netdesk.tickets.choices import Status, TicketType
from netdesk.tickets.events import event_fields_changed, event_status_changed
from netdesk.tickets.models import Category, Ticket
from netdesk.tickets.services.changes import fields_set, saved_fields, ticket_changed
from netdesk.tickets.services.checks import check_category_fits, require_open

RECLASSIFIABLE = ("ticket_type", "category", "group")


def _checked_category(ticket_type: str, category: Category | None) -> None:
    if category is None:
        return
    if not category.is_active:
        raise ValidationFailed(
            f"Category {category.name!r} is no longer in use.",
            field="category",
            value=category.pk,
            accepted="an active category",
        )
    check_category_fits(category, ticket_type)


def _checked_group(group: SupportGroup) -> None:
    if not group.is_active:
        raise ValidationFailed(
            f"{group.name} is not active.",
            field="group",
            value=group.pk,
            accepted="an active support group",
        )


def _new_values(ticket: Ticket, changes: dict[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - set(RECLASSIFIABLE)
    if unknown:
        first = sorted(unknown)[0]
        raise ValidationFailed(
            f"These fields cannot be changed by reclassifying: {sorted(unknown)}.",
            field=first,
            value=changes[first],
            accepted=list(RECLASSIFIABLE),
        )
    ticket_type = changes.get("ticket_type", ticket.ticket_type)
    checked_choice("ticket_type", ticket_type, TicketType)
    if "category" in changes:
        category = changes["category"]
        _checked_category(ticket_type, category)
    else:
        # A category names one type: it goes when the type changes under it.
        category = ticket.category if ticket.category_id else None
        if category is not None and category.ticket_type != ticket_type:
            category = None
    values: dict[str, Any] = {"ticket_type": ticket_type, "category": category}
    group = changes.get("group")
    if group is not None and group.pk != ticket.group_id:
        _checked_group(group)
        values["group_id"] = group.pk
        # The agent stays on it only when they belong to the new group.
        if ticket.assignee_id and not group.members.filter(pk=ticket.assignee_id).exists():
            values["assignee_id"] = None
    return values


@transaction.atomic
def ticket_reclassify(
    *, actor: User | None, ticket: Ticket, changes: dict[str, Any], message: str = ""
) -> Ticket:
    """Change what the ticket is (`ticket_type`, `category`) and the group
    that takes it (`group`), recorded as one timeline entry with `message`
    (why: "as triage suggested"). A type change drops a category of the old
    type; a group change drops an assignee who is not in the new group."""
    require(actor, Action.TICKET_UPDATE)
    ticket = locked(ticket)
    require_open(ticket, "reclassified")
    values = _new_values(ticket, changes)
    group = changes.get("group") if "group_id" in values else None
    changed = fields_set(ticket=ticket, changes=values)
    if not changed:
        return ticket
    event_fields_changed(ticket=ticket, actor=actor, changes=changed, message=message)
    update = saved_fields(changed)
    if group is not None:
        ticket.group = group
        ticket.highest_tier_level = max(ticket.highest_tier_level, group.tier.level)
        update.append("highest_tier_level")
        if ticket.assignee_id is None and ticket.status == Status.ASSIGNED:
            event_status_changed(ticket=ticket, actor=actor, old=ticket.status, new=Status.NEW)
            ticket.status = Status.NEW
            update.append("status")
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=[*update, "updated_at"])
    # Type and group decide which service terms and which group's clocks apply.
    ticket_changed(ticket)
    return ticket
