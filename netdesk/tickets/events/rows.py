"""How a timeline row is filled in, for the event functions of this package."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.core.compiled import CompiledInsert
from netdesk.tickets.events.live import events_heard
from netdesk.tickets.models import Ticket, TicketEvent
from netdesk.tickets.models.timeline import EventKind


@dataclass(frozen=True)
class FieldChange:
    """One field a service changed on a ticket: the attribute as set
    (`group_id`) and its value before and after."""

    name: str
    old: Any
    new: Any

    @property
    def field(self) -> str:
        """The field as the timeline names it (`group`, not `group_id`)."""
        return self.name.removesuffix("_id")


def text(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


def row(
    *,
    ticket: Ticket,
    actor: User | None,
    kind: EventKind,
    at: datetime | None = None,
    field: str = "",
    old: Any = None,
    new: Any = None,
    message: str = "",
) -> TicketEvent:
    return TicketEvent(
        ticket=ticket,
        actor=actor,
        at=at or timezone.now(),
        kind=kind,
        field=field,
        old_value=text(old),
        new_value=text(new),
        message=message,
    )


# Every change writes one: the statement is built once from TicketEvent's _meta.
_EVENT_INSERT = CompiledInsert(TicketEvent)


def write(**filled_in: Any) -> TicketEvent:
    event = row(**filled_in)
    _EVENT_INSERT.insert([event])
    events_heard([event])
    return event


def write_changes(
    *,
    ticket: Ticket,
    actor: User | None,
    kind: EventKind,
    changes: Sequence[FieldChange],
    message: str = "",
    at: datetime | None = None,
) -> list[TicketEvent]:
    """One row per changed field, all at one moment: the ticket page shows
    them as one entry."""
    moment = at or timezone.now()
    written = TicketEvent.objects.bulk_create(
        [
            row(
                ticket=ticket,
                actor=actor,
                kind=kind,
                at=moment,
                field=change.field,
                old=change.old,
                new=change.new,
                message=message,
            )
            for change in changes
        ]
    )
    events_heard(written)
    return written
