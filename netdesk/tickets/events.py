"""The ticket's timeline is written here and nowhere else: one function per
kind of event, named for what happened, so each kind is worded and filled in
the same way whoever records it (the ticket services, service levels, the
NOC, importers and the demo's history)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.tickets.models import Ticket, TicketEvent
from netdesk.tickets.models.timeline import EventKind


@dataclass(frozen=True)
class FieldChange:
    """One field a service changed on a ticket: the attribute as set
    (`group_id`) and its value before and after."""

    name: str
    old: Any
    new: Any

    @property
    def field(self) -> str:
        """The field as the timeline names it (`group`, not `group_id`)."""
        return self.name.removesuffix("_id")


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


def _row(
    *,
    ticket: Ticket,
    actor: User | None,
    kind: EventKind,
    at: datetime | None = None,
    field: str = "",
    old: Any = None,
    new: Any = None,
    message: str = "",
) -> TicketEvent:
    return TicketEvent(
        ticket=ticket,
        actor=actor,
        at=at or timezone.now(),
        kind=kind,
        field=field,
        old_value=_text(old),
        new_value=_text(new),
        message=message,
    )


def _write(**row: Any) -> TicketEvent:
    event = _row(**row)
    event.save()
    return event


def _write_changes(
    *,
    ticket: Ticket,
    actor: User | None,
    kind: EventKind,
    changes: Sequence[FieldChange],
    message: str = "",
    at: datetime | None = None,
) -> list[TicketEvent]:
    """One row per changed field, all at one moment: the ticket page shows
    them as one entry."""
    moment = at or timezone.now()
    return TicketEvent.objects.bulk_create(
        [
            _row(
                ticket=ticket,
                actor=actor,
                kind=kind,
                at=moment,
                field=change.field,
                old=change.old,
                new=change.new,
                message=message,
            )
            for change in changes
        ]
    )


# --- the ticket's own lifecycle -------------------------------------------------------------


def event_created(*, ticket: Ticket, actor: User | None, at: datetime) -> TicketEvent:
    return _write(
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
    return _write_changes(
        ticket=ticket, actor=actor, kind=EventKind.FIELD_CHANGED, changes=changes, message=message
    )


def event_assigned(
    *, ticket: Ticket, actor: User | None, changes: Sequence[FieldChange]
) -> list[TicketEvent]:
    return _write_changes(ticket=ticket, actor=actor, kind=EventKind.ASSIGNED, changes=changes)


def event_status_changed(
    *, ticket: Ticket, actor: User | None, old: str, new: str, message: str = ""
) -> TicketEvent:
    return _write(
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
    return _write_changes(
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
    return _write(
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
    return _write(
        ticket=ticket,
        actor=actor,
        kind=EventKind.DEESCALATED,
        field="hierarchical_level",
        old=old_level,
        new=new_level,
        message=reason,
    )


def event_resolved(
    *, ticket: Ticket, actor: User, changes: Sequence[FieldChange], notes: str, at: datetime
) -> list[TicketEvent]:
    return _write_changes(
        ticket=ticket, actor=actor, kind=EventKind.RESOLVED, changes=changes, message=notes, at=at
    )


def event_reopened(
    *, ticket: Ticket, actor: User, changes: Sequence[FieldChange], reason: str
) -> list[TicketEvent]:
    return _write_changes(
        ticket=ticket, actor=actor, kind=EventKind.REOPENED, changes=changes, message=reason
    )


def event_closed(
    *, ticket: Ticket, actor: User | None, old: str, new: str, note: str, at: datetime
) -> TicketEvent:
    return _write(
        ticket=ticket,
        actor=actor,
        kind=EventKind.CLOSED,
        field="status",
        old=old,
        new=new,
        message=note,
        at=at,
    )


# --- the conversation -----------------------------------------------------------------------


def event_interaction_logged(
    *, ticket: Ticket, actor: User, channel: str, direction: str, summary: str, at: datetime
) -> TicketEvent:
    return _write(
        ticket=ticket,
        actor=actor,
        kind=EventKind.INTERACTION_LOGGED,
        new=f"{channel} {direction}",
        message=summary,
        at=at,
    )


# The timeline shows the comment itself; the event keeps a readable start.
COMMENT_EXCERPT = 500


def event_note_added(*, ticket: Ticket, actor: User, body: str) -> TicketEvent:
    return _write(
        ticket=ticket, actor=actor, kind=EventKind.NOTE_ADDED, message=body[:COMMENT_EXCERPT]
    )


def event_reply_added(*, ticket: Ticket, actor: User, body: str) -> TicketEvent:
    return _write(
        ticket=ticket, actor=actor, kind=EventKind.REPLY_ADDED, message=body[:COMMENT_EXCERPT]
    )


def event_attachment_added(
    *, ticket: Ticket, actor: User, filename: str, content_type: str, size: int
) -> TicketEvent:
    return _write(
        ticket=ticket,
        actor=actor,
        kind=EventKind.ATTACHMENT_ADDED,
        new=filename,
        message=f"{content_type}, {size} bytes",
    )


# --- links between tickets ------------------------------------------------------------------


def event_linked(
    *, source: Ticket, target: Ticket, actor: User, link_kind: str, label: str
) -> list[TicketEvent]:
    """Both ends of a new link; `label` reads "duplicate of", "related to"..."""
    return TicketEvent.objects.bulk_create(
        [
            _row(
                ticket=source,
                actor=actor,
                kind=EventKind.LINKED,
                field=link_kind,
                new=target.reference,
                message=f"{label} {target.reference}",
            ),
            _row(
                ticket=target,
                actor=actor,
                kind=EventKind.LINKED,
                field=link_kind,
                new=source.reference,
                message=f"{source.reference} is {label} this",
            ),
        ]
    )


def event_unlinked(
    *, ticket: Ticket, other: Ticket, actor: User, link_kind: str, reason: str
) -> TicketEvent:
    return _write(
        ticket=ticket,
        actor=actor,
        kind=EventKind.UNLINKED,
        field=link_kind,
        old=other.reference,
        message=reason,
    )


def event_parent_set(
    *,
    child: Ticket,
    parent: Ticket | None,
    old_parent: Ticket | None,
    actor: User,
    changes: Sequence[FieldChange],
) -> list[TicketEvent]:
    """The child's new (or no) parent; a new parent records its child too."""
    shown = parent or old_parent
    events = _write_changes(
        ticket=child,
        actor=actor,
        kind=EventKind.LINKED if parent else EventKind.UNLINKED,
        changes=changes,
        message=f"parent {shown.reference}" if shown else "",
    )
    if parent is not None:
        events.append(
            _write(
                ticket=parent,
                actor=actor,
                kind=EventKind.LINKED,
                field="child",
                new=child.reference,
            )
        )
    return events


def event_merged(
    *,
    duplicate: Ticket,
    into: Ticket,
    actor: User,
    changes: Sequence[FieldChange],
    at: datetime,
) -> list[TicketEvent]:
    """The duplicate's fields as the merge set them, and the surviving
    ticket's note of what it took in."""
    events = _write_changes(
        ticket=duplicate,
        actor=actor,
        kind=EventKind.MERGED,
        changes=changes,
        message=f"merged into {into.reference}",
        at=at,
    )
    events.append(
        _write(
            ticket=into,
            actor=actor,
            kind=EventKind.MERGED,
            new=duplicate.reference,
            message=f"{duplicate.reference} merged into this ticket",
            at=at,
        )
    )
    return events


# --- service levels -------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceLevelAlert:
    """A service-level clock of a ticket that passed its warning or its due
    time; `clock` names it (`sla.resolution`, `ola.first_response`)."""

    ticket_id: int
    breached: bool
    clock: str
    message: str
    at: datetime


def events_sla_alerts(*, alerts: Sequence[ServiceLevelAlert]) -> list[TicketEvent]:
    """Warnings and breaches, written together: the worker fires a batch of
    clocks in one transaction."""
    return TicketEvent.objects.bulk_create(
        [
            TicketEvent(
                ticket_id=alert.ticket_id,
                actor=None,
                at=alert.at,
                kind=EventKind.SLA_BREACHED if alert.breached else EventKind.SLA_WARNING,
                field=alert.clock,
                message=alert.message,
            )
            for alert in alerts
        ]
    )


def event_sla_escalation(*, ticket: Ticket, clock: str, message: str, at: datetime) -> TicketEvent:
    """An escalation rule of the ticket's service level acted (or could not)."""
    return _write(
        ticket=ticket,
        actor=None,
        kind=EventKind.SLA_ESCALATION,
        field=clock,
        message=message,
        at=at,
    )


# --- the network incident and the NOC -------------------------------------------------------
# The incident's reference is kept in the event's value; the ticket page links it.


def eta_sentence(eta: datetime | None) -> str:
    return f" ETA {eta:%Y-%m-%d %H:%M} UTC." if eta else ""


def event_incident_linked(
    *,
    ticket: Ticket,
    actor: User | None,
    incident: str,
    description: str,
    automatic: bool,
    at: datetime,
) -> TicketEvent:
    """`incident`: its reference; `description`: what customers are told it is."""
    how = "automatically (the customer's service is on its path)" if automatic else "by hand"
    return _write(
        ticket=ticket,
        actor=actor,
        kind=EventKind.INCIDENT_LINKED,
        field="incident",
        new=incident,
        message=f"Child of the network incident {how}: {description}",
        at=at,
    )


def event_incident_unlinked(
    *, ticket: Ticket, actor: User, incident: str, reason: str, at: datetime
) -> TicketEvent:
    return _write(
        ticket=ticket,
        actor=actor,
        kind=EventKind.INCIDENT_UNLINKED,
        field="incident",
        old=incident,
        message=reason,
        at=at,
    )


def incident_update_text(*, state: str, customer_message: str, eta: datetime | None) -> str:
    """What customer service may tell the customer now, and when the network
    is expected back; `state` as read ("Investigating")."""
    return f"{customer_message or f'Incident now {state.lower()}.'}{eta_sentence(eta)}"


def event_incident_updated(
    *,
    ticket: Ticket,
    actor: User | None,
    incident: str,
    state: str,
    customer_message: str,
    eta: datetime | None,
    at: datetime,
) -> TicketEvent:
    text = incident_update_text(state=state, customer_message=customer_message, eta=eta)
    return _write(
        ticket=ticket,
        actor=actor,
        kind=EventKind.INCIDENT_UPDATED,
        field="incident",
        new=incident,
        message=f"{state}: {text}",
        at=at,
    )


def event_incident_resolved(
    *,
    ticket: Ticket,
    actor: User | None,
    incident: str,
    customer_message: str,
    root_cause: str,
    at: datetime,
) -> TicketEvent:
    message = customer_message or "The network is restored."
    return _write(
        ticket=ticket,
        actor=actor,
        kind=EventKind.INCIDENT_RESOLVED,
        field="incident",
        new=incident,
        message=f"{message} (root cause: {root_cause})",
        at=at,
    )


# `liaison_kind`: the NOC's kind of record, kept as the event's value.


def event_troubleshooting_requested(
    *, ticket: Ticket, actor: User | None, liaison_kind: str, body: str, at: datetime
) -> TicketEvent:
    return _write(
        ticket=ticket,
        actor=actor,
        kind=EventKind.TROUBLESHOOTING_REQUESTED,
        field="liaison",
        new=liaison_kind,
        message=body,
        at=at,
    )


def event_troubleshooting_answered(
    *, ticket: Ticket, actor: User | None, liaison_kind: str, body: str, at: datetime
) -> TicketEvent:
    return _write(
        ticket=ticket,
        actor=actor,
        kind=EventKind.TROUBLESHOOTING_ANSWERED,
        field="liaison",
        new=liaison_kind,
        message=body,
        at=at,
    )


def event_troubleshooting_closed(
    *, ticket: Ticket, actor: User | None, liaison_kind: str, body: str, at: datetime
) -> TicketEvent:
    return _write(
        ticket=ticket,
        actor=actor,
        kind=EventKind.TROUBLESHOOTING_CLOSED,
        field="liaison",
        new=liaison_kind,
        message=body,
        at=at,
    )


# --- history written in bulk ----------------------------------------------------------------


@dataclass(frozen=True)
class PastEvent:
    """An event that happened before it reached this desk: a change replayed
    from another service desk's log, or a step of the demo's history. Its
    kind is data there, so one bulk function writes them all."""

    ticket_id: int
    at: datetime
    kind: str
    actor_id: int | None = None
    field: str = ""
    old: str = ""
    new: str = ""
    message: str = ""


def events_replayed(*, history: Iterable[PastEvent], batch_size: int) -> int:
    """Write past events in batches; how many were written."""
    rows = [
        TicketEvent(
            ticket_id=event.ticket_id,
            actor_id=event.actor_id,
            at=event.at,
            kind=event.kind,
            field=event.field,
            old_value=event.old,
            new_value=event.new,
            message=event.message,
        )
        for event in history
    ]
    TicketEvent.objects.bulk_create(rows, batch_size=batch_size)
    return len(rows)
