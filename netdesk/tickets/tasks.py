"""Background work on tickets: thin wrappers over services, safe to run twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django_tasks import task

from netdesk.tickets.services.closure import ticket_autoclose


@task()
def autoclose_resolved_ticket(ticket_id: int, resolved_at: str) -> bool:
    return ticket_autoclose(ticket_id=ticket_id, resolved_at=datetime.fromisoformat(resolved_at))


def schedule_autoclose(*, ticket_id: int, resolved_at: datetime) -> None:
    """Queue the close for when the grace period ends (a persisted due time)."""
    days = settings.NETDESK_AUTOCLOSE_DAYS
    if days <= 0:
        return
    autoclose_resolved_ticket.using(run_after=resolved_at + timedelta(days=days)).enqueue(
        ticket_id, resolved_at.isoformat()
    )
