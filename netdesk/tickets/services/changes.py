"""Setting a ticket's fields and telling the apps above that it changed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netdesk.core.hooks import hooks_run
from netdesk.tickets.events import FieldChange
from netdesk.tickets.models import Ticket


def fields_set(*, ticket: Ticket, changes: Mapping[str, Any]) -> list[FieldChange]:
    """Set fields on the ticket; the ones that really changed, for the
    timeline event and the caller's `update_fields`."""
    changed: list[FieldChange] = []
    for name, new in changes.items():
        old = getattr(ticket, name)
        if old == new:
            continue
        setattr(ticket, name, new)
        changed.append(FieldChange(name, old, new))
    return changed


def saved_fields(changes: list[FieldChange]) -> list[str]:
    """The model fields to save for these changes (`group`, not `group_id`)."""
    return list(dict.fromkeys(change.field for change in changes))


def ticket_changed(ticket: Ticket) -> None:
    """Announce a change that may move the ticket's clocks (status, queue,
    priority, service, an answer to the customer): service levels recompute
    its timers in the same transaction (NETDESK_HOOKS["ticket_changed"])."""
    hooks_run("ticket_changed", ticket=ticket)
