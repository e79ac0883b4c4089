"""Every change to a ticket is heard live: the timeline's writers hand the
events they wrote here, and once their transaction commits each changed
ticket's page hears one event (stream `ticket:<id>`) and the queue one for
the lot (stream `tickets`).

After commit, not inside: a rolled-back change is never announced, a
listener that reads on the event finds the change committed, and the
transaction that made the change carries no extra statement. However many
events and tickets a transaction wrote (a bulk change), its announcement
is one INSERT plus, on PostgreSQL, one NOTIFY, just after the commit
(`core.live.live_publish_on_commit`). The events are hints: one lost in a crash between the commit and the publish only
leaves a page showing the ticket as it was until it reloads or polls.
History written in bulk (an import, the demo) is past and not announced."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from netdesk.core.live import live_publish_on_commit
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


def _with_kinds(earlier: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """A ticket's second change in the transaction: the newest event, with
    every kind written so far."""
    kinds = list(earlier["kinds"])
    kinds += [kind for kind in new["kinds"] if kind not in kinds]
    return {**new, "kinds": kinds}


def _with_refs(earlier: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The queue's event names the first QUEUE_REFS_MAX tickets changed;
    its count is exact up to there (past it, a ticket changed twice may
    count twice: the queue only reloads)."""
    refs = list(earlier["refs"])
    added = [ref for ref in new["refs"] if ref not in refs]
    return {"refs": (refs + added)[:QUEUE_REFS_MAX], "count": earlier["count"] + len(added)}


def events_heard(events: Iterable[TicketEvent]) -> None:
    """Announce these new timeline rows once the transaction commits (at
    once outside one): per ticket changed in the transaction its newest
    event's kind and actor, with every kind written; for the queue, which
    tickets changed. However many events a transaction writes, its
    announcement is one INSERT after the commit (with the transaction's
    other live events, its notifications' wake-ups)."""
    for event in events:
        actor_id, actor = _actor(event)
        kind = str(event.kind)
        ref = reference_for(event.ticket_id)
        live_publish_on_commit(
            stream=ticket_stream(event.ticket_id),
            kind=CHANGED,
            payload={
                "ref": ref,
                "kind": kind,
                "kinds": [kind],
                "actor": actor,
                "actor_id": actor_id,
            },
            merge=_with_kinds,
        )
        live_publish_on_commit(
            stream=QUEUE_STREAM, kind=CHANGED, payload={"refs": [ref], "count": 1}, merge=_with_refs
        )
