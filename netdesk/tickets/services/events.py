"""Writing timeline rows: the one way a service records what it changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.tickets.models import Ticket, TicketEvent
from netdesk.tickets.models.timeline import EventKind


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


def event_record(
    *,
    ticket: Ticket,
    actor: User | None,
    kind: EventKind,
    field: str = "",
    old: Any = None,
    new: Any = None,
    message: str = "",
    at: datetime | None = None,
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        actor=actor,
        at=at or timezone.now(),
        kind=kind,
        field=field,
        old_value=_text(old),
        new_value=_text(new),
        message=message,
    )


def apply_changes(
    *,
    ticket: Ticket,
    actor: User | None,
    changes: dict[str, Any],
    kind: EventKind = EventKind.FIELD_CHANGED,
    message: str = "",
    at: datetime | None = None,
) -> list[str]:
    """Set fields on the ticket and write one event per field that really changed.
    Returns the names of the changed fields (the caller saves them)."""
    changed: list[str] = []
    moment = at or timezone.now()
    events: list[TicketEvent] = []
    for name, new in changes.items():
        old = getattr(ticket, name)
        if old == new:
            continue
        setattr(ticket, name, new)
        changed.append(name)
        field_name = name.removesuffix("_id")
        events.append(
            TicketEvent(
                ticket=ticket,
                actor=actor,
                at=moment,
                kind=kind,
                field=field_name,
                old_value=_text(old),
                new_value=_text(new),
                message=message,
            )
        )
    TicketEvent.objects.bulk_create(events)
    return changed
