"""Events the NOC records on tickets: the network incident a ticket belongs
to and remote troubleshooting. The incident's reference is kept in the
event's value; the ticket page links it."""

from __future__ import annotations

from datetime import datetime

from netdesk.accounts.models import User
from netdesk.tickets.events.rows import write
from netdesk.tickets.models import Ticket, TicketEvent
from netdesk.tickets.models.timeline import EventKind


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
    return write(
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
    return write(
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
    return write(
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
    return write(
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
    return write(
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
    return write(
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
    return write(
        ticket=ticket,
        actor=actor,
        kind=EventKind.TROUBLESHOOTING_CLOSED,
        field="liaison",
        new=liaison_kind,
        message=body,
        at=at,
    )
