"""Which live streams a page may listen to beyond the agent's own
(settings NETDESK_HOOKS["live_streams"], asked by netdesk/core/views_live.py):
the queue's (`tickets`) for whoever may view tickets, and one ticket's
(`ticket:<id>`) for whoever may see that ticket."""

from __future__ import annotations

from collections.abc import Sequence

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, can
from netdesk.tickets.events.live import QUEUE_STREAM, ticket_stream
from netdesk.tickets.selectors import tickets_visible_to

TICKET_PREFIX = "ticket:"
ID_DIGITS_MAX = 18


def live_streams(*, user: User, wanted: Sequence[str]) -> list[str]:
    """The streams of `wanted` the user may hear; at most one query (for a
    ticket's stream, that the ticket is visible to them)."""
    if not can(user, Action.TICKET_VIEW):
        return []
    allowed: list[str] = []
    ticket_ids: list[int] = []
    for stream in wanted:
        if stream == QUEUE_STREAM:
            allowed.append(stream)
        elif stream.startswith(TICKET_PREFIX):
            number = stream[len(TICKET_PREFIX) :]
            if number.isascii() and number.isdigit() and len(number) <= ID_DIGITS_MAX:
                ticket_ids.append(int(number))
    if ticket_ids:
        visible = tickets_visible_to(user).filter(pk__in=ticket_ids).values_list("pk", flat=True)
        allowed.extend(ticket_stream(pk) for pk in visible)
    return allowed
