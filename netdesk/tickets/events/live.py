"""Every change to a ticket is heard live: the timeline's writers hand the
events they wrote here, and once their transaction commits each changed
ticket's page hears one event (stream `ticket:<id>`) and the queue one for
the lot (stream `tickets`).

After commit, not inside: a rolled-back change is never announced, a
listener that reads on the event finds the change committed, and the
transaction that made the change carries no extra statement (one INSERT of
all the events plus, on PostgreSQL, one NOTIFY, just after it). The events
are hints: one lost in a crash between the commit and the publish only
leaves a page showing the ticket as it was until it reloads or polls.
History written in bulk (an import, the demo) is past and not announced."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from netdesk.core.live import live_publish_many
from netdesk.tickets.models import TicketEvent
from netdesk.tickets.models.ticket import reference_for

QUEUE_STREAM = "tickets"
# The queue's event names at most this many tickets (a bulk change of more
# says only how many).
QUEUE_REFS_MAX = 100
CHANGED = "changed"


def ticket_stream(ticket_id: int) -> str:
    """The stream of one ticket's changes (its page listens to it)."""
    return f"ticket:{ticket_id}"


def _actor(event: TicketEvent) -> tuple[int | None, str]:
    """Who made the change, named without a query: the services hand the
    actor they hold; a bulk writer with only an id names nobody."""
    if event.actor_id is None:
        return None, "system"
    field = TicketEvent._meta.get_field("actor")
    if field.is_cached(event):
        actor = event.actor
        assert actor is not None
        return actor.pk, actor.get_full_name() or actor.get_username()
    return event.actor_id, ""


def events_heard(events: Iterable[TicketEvent]) -> None:
    """Announce these new timeline rows once the transaction commits (at
    once outside one): per ticket its newest event's kind and actor (with
    every kind written), for the queue which tickets changed."""
    changed: dict[int, dict[str, Any]] = {}
    for event in events:
        actor_id, actor = _actor(event)
        kind = str(event.kind)
        kinds = changed.get(event.ticket_id, {}).get("kinds", [])
        changed[event.ticket_id] = {
            "ref": reference_for(event.ticket_id),
            "kind": kind,
            "kinds": kinds if kind in kinds else [*kinds, kind],
            "actor": actor,
            "actor_id": actor_id,
        }
    if changed:
        transaction.on_commit(lambda: _publish(changed))


def _publish(changed: dict[int, dict[str, Any]]) -> None:
    refs = [payload["ref"] for payload in changed.values()]
    queue = {"refs": refs[:QUEUE_REFS_MAX], "count": len(refs)}
    live_publish_many(
        events=[
            *((ticket_stream(pk), CHANGED, payload) for pk, payload in changed.items()),
            (QUEUE_STREAM, CHANGED, queue),
        ]
    )
