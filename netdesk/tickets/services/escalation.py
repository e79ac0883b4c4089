"""Escalation: functional (to another group, usually the next tier) and
hierarchical (up the management line), and back down."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from netdesk.accounts.models import SupportGroup, User
from netdesk.accounts.permissions import Action, require
from netdesk.core.errors import TransitionNotAllowed, ValidationFailed
from netdesk.core.hooks import hooks_run
from netdesk.core.locking import locked
from netdesk.tickets.choices import Status
from netdesk.tickets.events import (
    event_deescalated,
    event_escalated_functional,
    event_escalated_hierarchical,
    event_status_changed,
)
from netdesk.tickets.models import Ticket
from netdesk.tickets.services.changes import fields_set, ticket_changed
from netdesk.tickets.services.checks import check_member, check_reason, require_open

MAX_HIERARCHICAL_LEVEL = 4


def _check_target(ticket: Ticket, group: SupportGroup, assignee: User | None) -> None:
    if group.pk == ticket.group_id:
        raise ValidationFailed(
            f"{ticket.reference} is already with {group.name}.",
            field="group",
            value=group.pk,
            accepted="another active support group",
        )
    if not group.is_active:
        raise ValidationFailed(
            f"{group.name} is not active.",
            field="group",
            value=group.pk,
            accepted="an active support group",
        )
    check_member(group, assignee)


@transaction.atomic
def ticket_escalate_functional(
    *,
    actor: User | None,
    ticket: Ticket,
    group: SupportGroup,
    reason: str,
    assignee: User | None = None,
) -> Ticket:
    """Hand the ticket to another group (usually the next tier) with a reason."""
    require(actor, Action.TICKET_ESCALATE)
    ticket = locked(ticket)
    require_open(ticket, "escalated")
    check_reason(reason, "Escalation needs a reason the receiving group can act on.")
    _check_target(ticket, group, assignee)
    old_group = ticket.group
    handler_id = ticket.assignee_id
    changes = fields_set(
        ticket=ticket,
        changes={"group_id": group.pk, "assignee_id": assignee.pk if assignee else None},
    )
    event_escalated_functional(
        ticket=ticket,
        actor=actor,
        changes=changes,
        from_group=old_group.name,
        to_group=group.name,
        reason=reason,
    )
    ticket.group = group
    ticket.assignee = assignee
    new_status = Status.ASSIGNED if assignee else Status.NEW
    if ticket.status != new_status:
        event_status_changed(ticket=ticket, actor=actor, old=ticket.status, new=new_status)
        ticket.status = new_status
    ticket.functional_escalations += 1
    ticket.highest_tier_level = max(ticket.highest_tier_level, group.tier.level)
    ticket.updated_at = timezone.now()
    ticket.save(
        update_fields=[
            "group",
            "assignee",
            "status",
            "functional_escalations",
            "highest_tier_level",
            "updated_at",
        ]
    )
    ticket_changed(ticket)
    if assignee is None:
        hooks_run("ticket_escalated", ticket=ticket, handler_id=handler_id, actor=actor)
    else:
        hooks_run("ticket_assigned", ticket=ticket, assignee=assignee, actor=actor)
    return ticket


@transaction.atomic
def ticket_escalate_hierarchical(*, actor: User | None, ticket: Ticket, reason: str) -> Ticket:
    """Flag the ticket one level up the management line (supervisor, manager, ...)."""
    require(actor, Action.TICKET_ESCALATE)
    ticket = locked(ticket)
    require_open(ticket, "escalated")
    check_reason(reason, "Escalation needs a reason.")
    if ticket.hierarchical_level >= MAX_HIERARCHICAL_LEVEL:
        raise TransitionNotAllowed(
            f"{ticket.reference} is already at the top escalation level.",
            field="hierarchical_level",
            value=ticket.hierarchical_level,
            accepted=f"0 to {MAX_HIERARCHICAL_LEVEL - 1} before escalating",
        )
    old_level = ticket.hierarchical_level
    ticket.hierarchical_level = old_level + 1
    event_escalated_hierarchical(
        ticket=ticket,
        actor=actor,
        old_level=old_level,
        new_level=ticket.hierarchical_level,
        reason=reason,
        # The first level up is the group's supervisor: name them.
        supervisor=ticket.group.supervisor if old_level == 0 else None,
    )
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["hierarchical_level", "updated_at"])
    return ticket


@transaction.atomic
def ticket_deescalate_hierarchical(*, actor: User | None, ticket: Ticket, reason: str) -> Ticket:
    """Lower the hierarchical escalation level by one, with the reason recorded."""
    require(actor, Action.TICKET_ESCALATE)
    ticket = locked(ticket)
    check_reason(reason, "De-escalation needs a reason.")
    if ticket.hierarchical_level == 0:
        raise TransitionNotAllowed(
            f"{ticket.reference} is not escalated to management.",
            field="hierarchical_level",
            value=0,
            accepted="1 to 4",
        )
    old_level = ticket.hierarchical_level
    ticket.hierarchical_level = old_level - 1
    event_deescalated(
        ticket=ticket,
        actor=actor,
        old_level=old_level,
        new_level=ticket.hierarchical_level,
        reason=reason,
    )
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["hierarchical_level", "updated_at"])
    return ticket
