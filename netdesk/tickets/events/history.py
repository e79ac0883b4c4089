"""History written in bulk: changes replayed from another service desk's log
and the demo's generated history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from netdesk.tickets.models import TicketEvent


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
