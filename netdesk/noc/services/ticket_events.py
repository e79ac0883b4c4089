"""The rows the NOC writes on ticket timelines: one function per event, so
each kind is worded and filled in the same way wherever it happens. The
incident's reference is kept in the event's value; the ticket page links it."""

from __future__ import annotations

from datetime import datetime

from netdesk.accounts.models import User
from netdesk.noc.models import IncidentUpdate, LiaisonKind, LiaisonRecord, NetworkIncident
from netdesk.tickets.models import Ticket, TicketEvent
from netdesk.tickets.models.timeline import EventKind
from netdesk.tickets.services.events import event_record


def eta_sentence(incident: NetworkIncident) -> str:
    return f" ETA {incident.eta:%Y-%m-%d %H:%M} UTC." if incident.eta else ""


def incident_linked_event(
    *,
    ticket: Ticket,
    incident: NetworkIncident,
    actor: User | None,
    automatic: bool,
    at: datetime,
) -> TicketEvent:
    how = "automatically (the customer's service is on its path)" if automatic else "by hand"
    return event_record(
        ticket=ticket,
        actor=actor,
        kind=EventKind.INCIDENT_LINKED,
        field="incident",
        new=incident.reference,
        message=f"Child of the network incident {how}: "
        f"{incident.customer_description or incident.title}",
        at=at,
    )


def incident_unlinked_event(
    *, ticket: Ticket, incident: NetworkIncident, actor: User, reason: str, at: datetime
) -> TicketEvent:
    return event_record(
        ticket=ticket,
        actor=actor,
        kind=EventKind.INCIDENT_UNLINKED,
        field="incident",
        old=incident.reference,
        message=reason,
        at=at,
    )


def incident_updated_event(
    *, ticket: Ticket, incident: NetworkIncident, update: IncidentUpdate, actor: User | None
) -> TicketEvent:
    """What customer service may tell the customer now, and when the
    network is expected back."""
    message = update.customer_message or f"Incident now {update.get_state_display().lower()}."
    return event_record(
        ticket=ticket,
        actor=actor,
        kind=EventKind.INCIDENT_UPDATED,
        field="incident",
        new=incident.reference,
        message=f"{update.get_state_display()}: {message}{eta_sentence(incident)}",
        at=update.at,
    )


def incident_resolved_event(
    *, ticket: Ticket, incident: NetworkIncident, update: IncidentUpdate, actor: User | None
) -> TicketEvent:
    cause = incident.get_root_cause_display()
    message = update.customer_message or "The network is restored."
    return event_record(
        ticket=ticket,
        actor=actor,
        kind=EventKind.INCIDENT_RESOLVED,
        field="incident",
        new=incident.reference,
        message=f"{message} (root cause: {cause})",
        at=update.at,
    )


def troubleshooting_requested_event(*, ticket: Ticket, request: LiaisonRecord) -> TicketEvent:
    return event_record(
        ticket=ticket,
        actor=request.author,
        kind=EventKind.TROUBLESHOOTING_REQUESTED,
        field="liaison",
        new=LiaisonKind.TROUBLESHOOTING_REQUEST,
        message=request.body,
        at=request.at,
    )


def troubleshooting_answered_event(*, ticket: Ticket, result: LiaisonRecord) -> TicketEvent:
    return event_record(
        ticket=ticket,
        actor=result.author,
        kind=EventKind.TROUBLESHOOTING_ANSWERED,
        field="liaison",
        new=LiaisonKind.TROUBLESHOOTING_RESULT,
        message=result.body,
        at=result.at,
    )


def troubleshooting_closed_event(*, ticket: Ticket, closing: LiaisonRecord) -> TicketEvent:
    return event_record(
        ticket=ticket,
        actor=closing.author,
        kind=EventKind.TROUBLESHOOTING_CLOSED,
        field="liaison",
        new=LiaisonKind.REQUEST_CLOSED,
        message=closing.body,
        at=closing.at,
    )
