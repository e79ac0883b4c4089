"""Moving tickets through their lifecycle: descriptive changes, assignment,
status, resolution, reopening, closure and priority."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from netdesk.accounts.models import SupportGroup, User
from netdesk.accounts.permissions import Action, require
from netdesk.core.checks import checked_choice
from netdesk.core.errors import TransitionNotAllowed, ValidationFailed
from netdesk.core.hooks import hooks_run
from netdesk.core.locking import locked
from netdesk.tickets.choices import (
    NEEDS_ROOT_CAUSE,
    OPEN_STATUSES,
    TRANSITIONS,
    Direction,
    Priority,
    ResolutionCode,
    RootCause,
    Status,
)
from netdesk.tickets.events import (
    event_assigned,
    event_fields_changed,
    event_reopened,
    event_resolved,
    event_status_changed,
)
from netdesk.tickets.models import Interaction, Ticket
from netdesk.tickets.services.changes import fields_set, saved_fields, ticket_changed
from netdesk.tickets.services.checks import (
    check_belongs,
    check_category_fits,
    check_member,
    check_reason,
    check_transition,
    require_open,
)
from netdesk.tickets.services.priority import priority_for
from netdesk.tickets.tasks import schedule_autoclose

# Fields that decide which service terms apply to the ticket: a change to
# any other descriptive field moves no clock.
TERMS_FIELDS = {"priority", "service"}
UPDATABLE = {"title", "description", "category", "service", "contact", "impact", "urgency"}


def _check_update(ticket: Ticket, changes: dict[str, Any]) -> None:
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise ValidationFailed(
            f"These fields cannot be changed here: {sorted(unknown)}.",
            field=sorted(unknown)[0],
            value=changes[sorted(unknown)[0]],
            accepted=sorted(UPDATABLE),
        )
    if not ticket.in_open_status:
        raise TransitionNotAllowed(
            f"{ticket.reference} is {ticket.status}; reopen it before changing it.",
            field="status",
            value=ticket.status,
            accepted=sorted(OPEN_STATUSES),
        )
    check_belongs(ticket.customer, changes.get("service"), changes.get("contact"))
    if "title" in changes and not str(changes["title"]).strip():
        raise ValidationFailed(
            "The title cannot be empty.",
            field="title",
            value=changes["title"],
            accepted="1 to 200 characters",
        )


@transaction.atomic
def ticket_update(*, actor: User, ticket: Ticket, changes: dict[str, Any]) -> Ticket:
    """Change descriptive fields; impact or urgency recompute the priority."""
    require(actor, Action.TICKET_UPDATE)
    ticket = locked(ticket)
    _check_update(ticket, changes)
    impact = changes.get("impact", ticket.impact)
    urgency = changes.get("urgency", ticket.urgency)
    if "impact" in changes or "urgency" in changes:
        changes = {**changes, "priority": priority_for(impact=impact, urgency=urgency)}
    check_category_fits(changes.get("category"), ticket.ticket_type)
    changed = fields_set(ticket=ticket, changes=changes)
    event_fields_changed(ticket=ticket, actor=actor, changes=changed)
    if changed:
        ticket.updated_at = timezone.now()
        ticket.save(update_fields=[*saved_fields(changed), "updated_at"])
    if TERMS_FIELDS.intersection(change.field for change in changed):
        ticket_changed(ticket)
    return ticket


def _status_set(ticket: Ticket, actor: User | None, status: str, message: str = "") -> list[str]:
    """Set the status and record it; the fields to save."""
    old = ticket.status
    if old == status:
        return []
    ticket.status = status
    event_status_changed(ticket=ticket, actor=actor, old=old, new=status, message=message)
    return ["status"]


@transaction.atomic
def ticket_assign(
    *, actor: User | None, ticket: Ticket, group: SupportGroup | None = None, assignee: User | None
) -> Ticket:
    """Give the ticket to an agent (or none) within its group, or within
    another group of the same tier. Moving to another tier is escalation."""
    require(actor, Action.TICKET_ASSIGN)
    ticket = locked(ticket)
    require_open(ticket, "assigned")
    group = group or ticket.group
    if group.tier_id != ticket.group.tier_id:
        raise ValidationFailed(
            f"{group.name} is in another tier; use escalation to move the ticket there.",
            field="group",
            value=group.pk,
            accepted=f"a group of tier {ticket.group.tier.name}",
        )
    check_member(group, assignee)
    changes = fields_set(
        ticket=ticket,
        changes={"group_id": group.pk, "assignee_id": assignee.pk if assignee else None},
    )
    event_assigned(ticket=ticket, actor=actor, changes=changes)
    changed = saved_fields(changes)
    ticket.group = group
    ticket.assignee = assignee
    if assignee is not None and ticket.status == Status.NEW:
        changed += _status_set(ticket, actor, Status.ASSIGNED)
    if assignee is None and ticket.status == Status.ASSIGNED:
        changed += _status_set(ticket, actor, Status.NEW)
    if changed:
        ticket.updated_at = timezone.now()
        ticket.save(update_fields=[*changed, "updated_at"])
        ticket_changed(ticket)
    if assignee is not None and any(change.field == "assignee" for change in changes):
        hooks_run("ticket_assigned", ticket=ticket, assignee=assignee, actor=actor)
    return ticket


# Statuses reached through their own service, which asks for what they need.
SPECIAL_STATUSES: dict[str, str] = {Status.RESOLVED: "resolve", Status.CLOSED: "close"}


@transaction.atomic
def ticket_change_status(
    *, actor: User | None, ticket: Ticket, status: str, note: str = ""
) -> Ticket:
    """Move an open ticket between working states (assigned, in progress, pending)."""
    require(actor, Action.TICKET_UPDATE)
    ticket = locked(ticket)
    if status in SPECIAL_STATUSES:
        raise TransitionNotAllowed(
            f"Use the {SPECIAL_STATUSES[status]} action to set {status}: it needs more details.",
            field="status",
            value=status,
            accepted=sorted(TRANSITIONS[ticket.status] - set(SPECIAL_STATUSES)),
        )
    if ticket.status == Status.RESOLVED and status == Status.IN_PROGRESS:
        return ticket_reopen(actor=actor, ticket=ticket, reason=note or "Reopened")
    check_transition(ticket, status)
    _status_set(ticket, actor, status, note)
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["status", "updated_at"])
    ticket_changed(ticket)
    return ticket


def _customer_contacts(ticket: Ticket) -> int:
    return Interaction.objects.filter(ticket=ticket).exclude(direction=Direction.INTERNAL).count()


# Resolutions the contact with the customer did not bring about: the network
# coming back resolves the ticket, whoever records it and however few calls.
NOT_RESOLVED_BY_CONTACT = frozenset({ResolutionCode.NETWORK_RESTORED})


def first_contact_resolution(
    *, functional_escalations: int, reopen_count: int, customer_contacts: int, resolution_code: str
) -> bool:
    """The one rule for first-contact resolution: never escalated to another
    group, never reopened, at most one contact with the customer, and
    resolved by that contact rather than by the network coming back."""
    return (
        functional_escalations == 0
        and reopen_count == 0
        and customer_contacts <= 1
        and resolution_code not in NOT_RESOLVED_BY_CONTACT
    )


def _check_resolution(ticket: Ticket, resolution_code: str, root_cause: str) -> None:
    check_transition(ticket, Status.RESOLVED)
    checked_choice("resolution_code", resolution_code, ResolutionCode)
    if ticket.ticket_type in NEEDS_ROOT_CAUSE and not root_cause:
        raise ValidationFailed(
            f"A {ticket.get_ticket_type_display().lower()} needs a root cause to be resolved.",
            field="root_cause",
            value=root_cause,
            accepted=list(RootCause.values),
        )
    if root_cause:
        checked_choice("root_cause", root_cause, RootCause)


@transaction.atomic
def ticket_resolve(
    *,
    actor: User | None,
    ticket: Ticket,
    resolution_code: str,
    root_cause: str = "",
    notes: str = "",
    at: datetime | None = None,
) -> Ticket:
    """Resolve with a resolution code (and a root cause for faults and complaints).
    First-contact resolution is decided here (`first_contact_resolution`)."""
    require(actor, Action.TICKET_RESOLVE)
    ticket = locked(ticket)
    _check_resolution(ticket, resolution_code, root_cause)
    now = at or timezone.now()
    fcr = first_contact_resolution(
        functional_escalations=ticket.functional_escalations,
        reopen_count=ticket.reopen_count,
        customer_contacts=_customer_contacts(ticket),
        resolution_code=resolution_code,
    )
    changes = {
        "status": Status.RESOLVED,
        "resolution_code": resolution_code,
        "root_cause": root_cause,
        "resolution_notes": notes,
        "first_contact_resolved": fcr,
    }
    changed = fields_set(ticket=ticket, changes=changes)
    event_resolved(ticket=ticket, actor=actor, changes=changed, notes=notes, at=now)
    ticket.resolved_at = now
    ticket.resolved_by = actor
    ticket.updated_at = now
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    ticket.save(
        update_fields=[*changes, "resolved_at", "resolved_by", "updated_at", "first_response_at"]
    )
    ticket_changed(ticket)
    hooks_run("ticket_resolved", ticket=ticket, actor=actor)
    resolved = (ticket.pk, now)
    transaction.on_commit(
        lambda: schedule_autoclose(ticket_id=resolved[0], resolved_at=resolved[1])
    )
    return ticket


REOPENED: dict[str, Any] = {
    "status": Status.IN_PROGRESS,
    "first_contact_resolved": False,
    "resolution_code": "",
    "root_cause": "",
}


@transaction.atomic
def ticket_reopen(*, actor: User | None, ticket: Ticket, reason: str) -> Ticket:
    """Reopen a resolved ticket; it counts against the resolver's reopen rate."""
    require(actor, Action.TICKET_REOPEN)
    ticket = locked(ticket)
    if ticket.status != Status.RESOLVED:
        raise TransitionNotAllowed(
            f"Only a resolved ticket can be reopened; {ticket.reference} is {ticket.status}.",
            field="status",
            value=ticket.status,
            accepted=[Status.RESOLVED],
        )
    check_reason(reason, "Say why the ticket is reopened.")
    changed = fields_set(ticket=ticket, changes=REOPENED)
    event_reopened(ticket=ticket, actor=actor, changes=changed, reason=reason)
    ticket.reopen_count += 1
    ticket.resolved_at = None
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=[*REOPENED, "reopen_count", "resolved_at", "updated_at"])
    ticket_changed(ticket)
    return ticket


@transaction.atomic
def ticket_raise_priority(*, actor: User | None, ticket: Ticket, reason: str) -> Ticket:
    """Raise the priority one step above what the matrix gave (P3 → P2),
    e.g. when a service level is about to be missed. Impact and urgency stay."""
    require(actor, Action.TICKET_UPDATE)
    ticket = locked(ticket)
    require_open(ticket, "reprioritised")
    if ticket.priority <= Priority.CRITICAL:
        return ticket
    changed = fields_set(ticket=ticket, changes={"priority": ticket.priority - 1})
    event_fields_changed(ticket=ticket, actor=actor, changes=changed, message=reason)
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["priority", "updated_at"])
    ticket_changed(ticket)
    return ticket
