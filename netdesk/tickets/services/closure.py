"""Closing resolved tickets: by an agent, or by themselves when the customer
did not come back about them."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.core.locking import locked
from netdesk.tickets.choices import Status
from netdesk.tickets.events import event_closed
from netdesk.tickets.models import Ticket
from netdesk.tickets.services.changes import ticket_changed
from netdesk.tickets.services.checks import check_transition


def _close(*, ticket: Ticket, actor: User | None, note: str, at: datetime) -> None:
    """Close the locked, checked ticket: the one way a closure is written,
    by an agent or by the automatic close."""
    old = ticket.status
    ticket.status = Status.CLOSED
    event_closed(ticket=ticket, actor=actor, old=old, new=Status.CLOSED, note=note, at=at)
    ticket.closed_at = at
    ticket.updated_at = at
    ticket.save(update_fields=["status", "closed_at", "updated_at"])
    ticket_changed(ticket)


@transaction.atomic
def ticket_close(*, actor: User | None, ticket: Ticket, note: str = "") -> Ticket:
    """Close a resolved ticket: by an agent, or by the desk itself (actor
    None) when the customer confirms in the portal that it is solved."""
    require(actor, Action.TICKET_CLOSE)
    ticket = locked(ticket)
    check_transition(ticket, Status.CLOSED)
    _close(ticket=ticket, actor=actor, note=note, at=timezone.now())
    return ticket


@transaction.atomic
def ticket_autoclose(*, ticket_id: int, resolved_at: datetime) -> bool:
    """Close the ticket if it is still in the resolution that scheduled this.

    Idempotent: a ticket reopened, re-resolved (which schedules its own close)
    or already closed is left alone, so a task that runs twice does nothing."""
    ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
    if ticket is None or ticket.status != Status.RESOLVED or ticket.resolved_at != resolved_at:
        return False
    now = timezone.now()
    days = (now - resolved_at).days
    _close(
        ticket=ticket,
        actor=None,
        note=f"Closed automatically {days} days after resolution without reply.",
        at=now,
    )
    return True
