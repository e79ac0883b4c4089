"""How the mail channel answers the hooks of the apps below it
(settings NETDESK_HOOKS, documented in netdesk/core/hooks.py)."""

from __future__ import annotations

from netdesk.accounts.models import User
from netdesk.channels.services.outbound import (
    escalation_notice_queue,
    reply_queue,
    resolved_notice_queue,
)
from netdesk.channels.tasks import incident_all_clear_send
from netdesk.customers.models import NotifyBy
from netdesk.noc.models import IncidentUpdate, NetworkIncident
from netdesk.sla.models import EscalationNotice
from netdesk.tickets.choices import Channel
from netdesk.tickets.models import Comment, Ticket


def incident_resolved(
    *, incident: NetworkIncident, update: IncidentUpdate, actor: User | None
) -> None:
    """The customers notified of the incident are sent the all-clear, by a
    task. Even written in bulk it takes 0.2 to 0.4 ms a customer (rendering
    each message dominates; docs/benchmarks.md): 11 s on SQLite and 20 s on
    PostgreSQL for a 50,000-subscriber outage, far past the second a
    resolution may hold the incident's lock and its transaction.
    The task row is written in that transaction (the task queue lives in the
    database), so the resolution and its all-clear commit together and no
    worker sees the task before the commit; it is safe to run twice (once
    per customer per update)."""
    incident_all_clear_send.enqueue(incident.pk, update.pk, actor.pk if actor else None)


def portal_only(ticket: Ticket) -> bool:
    """The ticket's contact reads answers in the portal, not by mail."""
    contact = ticket.contact
    return contact is not None and contact.notify_by == NotifyBy.PORTAL_ONLY


def ticket_reply_added(
    *,
    ticket: Ticket,
    comment: Comment,
    actor: User | None,
    recipients: dict[str, list[str]] | None,
) -> None:
    """An agent's public reply is mailed to the customer. With no address to
    send to, the reply stays saved and its mail shows as not sent. A contact
    who chose to be told only in the portal reads it there: no mail, unless
    the agent named recipients in the composer."""
    if recipients is None and portal_only(ticket):
        return
    reply_queue(ticket=ticket, comment=comment, actor=actor, recipients=recipients)


def ticket_resolved(*, ticket: Ticket, actor: User | None) -> None:
    """A customer who wrote in by mail is told their ticket is resolved
    (unless their contact chose to be told only in the portal)."""
    if ticket.channel == Channel.EMAIL and not portal_only(ticket):
        resolved_notice_queue(ticket=ticket, actor=actor)


def escalation_notice_created(*, notice: EscalationNotice) -> None:
    """A service-level escalation notice goes out at its delivery time."""
    escalation_notice_queue(notice=notice)
