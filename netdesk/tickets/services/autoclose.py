"""Closing resolved tickets the customer did not come back about."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from netdesk.sla.services import sla_refresh
from netdesk.tickets.choices import Status
from netdesk.tickets.models import Ticket
from netdesk.tickets.models.timeline import EventKind
from netdesk.tickets.services.events import apply_changes


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
    apply_changes(
        ticket=ticket,
        actor=None,
        changes={"status": Status.CLOSED},
        kind=EventKind.CLOSED,
        message=f"Closed automatically {days} days after resolution without reply.",
        at=now,
    )
    ticket.closed_at = now
    ticket.updated_at = now
    ticket.save(update_fields=["status", "closed_at", "updated_at"])
    sla_refresh(ticket=ticket)
    return True
