"""Events of the ticket's own lifecycle: creation, changes, assignment,
status, escalation, resolution, reopening, closure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from netdesk.accounts.models import User
from netdesk.tickets.events.rows import FieldChange, write, write_changes
from netdesk.tickets.models import Ticket, TicketEvent
from netdesk.tickets.models.timeline import EventKind


def event_created(*, ticket: Ticket, actor: User | None, at: datetime) -> TicketEvent:
    return write(
        ticket=ticket,
        actor=actor,
        kind=EventKind.CREATED,
        new=ticket.get_status_display(),
        message=f"{ticket.get_ticket_type_display()} via {ticket.get_channel_display()}, "
        f"P{ticket.priority}, queue {ticket.group.name}",
        at=at,
    )


def event_fields_changed(
    *, ticket: Ticket, actor: User | None, changes: Sequence[FieldChange], message: str = ""
) -> list[TicketEvent]:
    return write_changes(
        ticket=ticket, actor=actor, kind=EventKind.FIELD_CHANGED, changes=changes, message=message
    )


def event_assigned(
    *, ticket: Ticket, actor: User | None, changes: Sequence[FieldChange]
) -> list[TicketEvent]:
    return write_changes(ticket=ticket, actor=actor, kind=EventKind.ASSIGNED, changes=changes)


def event_status_changed(
    *, ticket: Ticket, actor: User | None, old: str, new: str, message: str = ""
) -> TicketEvent:
    return write(
        ticket=ticket,
        actor=actor,
        kind=EventKind.STATUS_CHANGED,
        field="status",
        old=old,
        new=new,
        message=message,
    )


def event_escalated_functional(
    *,
    ticket: Ticket,
    actor: User | None,
    changes: Sequence[FieldChange],
    from_group: str,
    to_group: str,
    reason: str,
) -> list[TicketEvent]:
    return write_changes(
        ticket=ticket,
        actor=actor,
        kind=EventKind.ESCALATED_FUNCTIONAL,
        changes=changes,
        message=f"{from_group} → {to_group}: {reason}",
    )


def event_escalated_hierarchical(
    *,
    ticket: Ticket,
    actor: User | None,
    old_level: int,
    new_level: int,
    reason: str,
    supervisor: User | None = None,
) -> TicketEvent:
    """`supervisor`: whom the first level up reaches, named in the message."""
    target = f" (supervisor {supervisor})" if supervisor else ""
    return write(
        ticket=ticket,
        actor=actor,
        kind=EventKind.ESCALATED_HIERARCHICAL,
        field="hierarchical_level",
        old=old_level,
        new=new_level,
        message=f"{reason}{target}",
    )


def event_deescalated(
    *, ticket: Ticket, actor: User | None, old_level: int, new_level: int, reason: str
) -> TicketEvent:
    return write(
        ticket=ticket,
        actor=actor,
        kind=EventKind.DEESCALATED,
        field="hierarchical_level",
        old=old_level,
        new=new_level,
        message=reason,
    )


def event_resolved(
    *, ticket: Ticket, actor: User | None, changes: Sequence[FieldChange], notes: str, at: datetime
) -> list[TicketEvent]:
    return write_changes(
        ticket=ticket, actor=actor, kind=EventKind.RESOLVED, changes=changes, message=notes, at=at
    )


def event_reopened(
    *, ticket: Ticket, actor: User | None, changes: Sequence[FieldChange], reason: str
) -> list[TicketEvent]:
    return write_changes(
        ticket=ticket, actor=actor, kind=EventKind.REOPENED, changes=changes, message=reason
    )


def event_closed(
    *, ticket: Ticket, actor: User | None, old: str, new: str, note: str, at: datetime
) -> TicketEvent:
    return write(
        ticket=ticket,
        actor=actor,
        kind=EventKind.CLOSED,
        field="status",
        old=old,
        new=new,
        message=note,
        at=at,
    )
