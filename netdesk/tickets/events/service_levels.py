"""Events service levels record: warnings, breaches, escalation rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from netdesk.tickets.events.live import events_heard
from netdesk.tickets.events.rows import write
from netdesk.tickets.models import Ticket, TicketEvent
from netdesk.tickets.models.timeline import EventKind


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
    written = TicketEvent.objects.bulk_create(
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
    events_heard(written)
    return written


def event_sla_escalation(*, ticket: Ticket, clock: str, message: str, at: datetime) -> TicketEvent:
    """An escalation rule of the ticket's service level acted (or could not)."""
    return write(
        ticket=ticket,
        actor=None,
        kind=EventKind.SLA_ESCALATION,
        field=clock,
        message=message,
        at=at,
    )
