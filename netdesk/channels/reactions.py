"""How the mail channel answers the hooks of the apps below it
(settings NETDESK_HOOKS, documented in netdesk/core/hooks.py)."""

from __future__ import annotations

from netdesk.accounts.models import User
from netdesk.channels.services.incident_notices import incident_all_clear
from netdesk.channels.services.outbound import (
    escalation_notice_queue,
    reply_queue,
    resolved_notice_queue,
)
from netdesk.noc.models import IncidentUpdate, NetworkIncident
from netdesk.sla.models import EscalationNotice
from netdesk.tickets.choices import Channel
from netdesk.tickets.models import Comment, Ticket


def incident_resolved(
    *, incident: NetworkIncident, update: IncidentUpdate, actor: User | None
) -> None:
    """The customers notified of the incident are sent the all-clear."""
    incident_all_clear(incident=incident, update=update, actor=actor)


def ticket_reply_added(
    *,
    ticket: Ticket,
    comment: Comment,
    actor: User | None,
    recipients: dict[str, list[str]] | None,
) -> None:
    """An agent's public reply is mailed to the customer. With no address to
    send to, the reply stays saved and its mail shows as not sent."""
    reply_queue(ticket=ticket, comment=comment, actor=actor, recipients=recipients)


def ticket_resolved(*, ticket: Ticket, actor: User | None) -> None:
    """A customer who wrote in by mail is told their ticket is resolved."""
    if ticket.channel == Channel.EMAIL:
        resolved_notice_queue(ticket=ticket, actor=actor)


def escalation_notice_created(*, notice: EscalationNotice) -> None:
    """A service-level escalation notice goes out at its delivery time."""
    escalation_notice_queue(notice=notice)
