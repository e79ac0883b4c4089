"""Every change to a ticket is heard live: the timeline's writers hand the
events they wrote here, and once their transaction commits each changed
ticket's page hears one event (stream `ticket:<id>`) and the queue one for
the lot (stream `tickets`).

After commit, not inside: a rolled-back change is never announced, a
listener that reads on the event finds the change committed, and the
transaction that made the change carries no extra statement. However many
events and tickets a transaction wrote (a bulk change), its announcement
is one INSERT plus, on PostgreSQL, one NOTIFY, just after the commit. The events
are hints: one lost in a crash between the commit and the publish only
leaves a page showing the ticket as it was until it reloads or polls.
History written in bulk (an import, the demo) is past and not announced."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction

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


class _Batch:
    """The tickets a transaction changed, announced together at its commit."""

    def __init__(self) -> None:
        self.changed: dict[int, dict[str, Any]] = {}
        self.flushed = False

    def add(self, event: TicketEvent) -> None:
        actor_id, actor = _actor(event)
        kind = str(event.kind)
        kinds = self.changed.get(event.ticket_id, {}).get("kinds", [])
        self.changed[event.ticket_id] = {
            "ref": reference_for(event.ticket_id),
            "kind": kind,
            "kinds": kinds if kind in kinds else [*kinds, kind],
            "actor": actor,
            "actor_id": actor_id,
        }

    def flush(self) -> None:
        self.flushed = True
        changed, self.changed = self.changed, {}
        if changed:
            _publish(changed)


_current = threading.local()


def _batch_of_transaction() -> _Batch:
    """The batch whose flush waits for the current transaction's commit, or
    a new one. A batch whose flush went (committed, or dropped with a
    rollback) is never reused, so nothing rolled back as a whole is
    announced; a change undone by a savepoint's rollback while the
    transaction goes on may be (a harmless extra hint)."""
    batch: _Batch | None = getattr(_current, "batch", None)
    if (
        batch is None
        or batch.flushed
        or not any(batch.flush in entry for entry in connection.run_on_commit)
    ):
        batch = _Batch()
        _current.batch = batch
        transaction.on_commit(batch.flush)
    return batch


def events_heard(events: Iterable[TicketEvent]) -> None:
    """Announce these new timeline rows once the transaction commits (at
    once outside one): per ticket changed in the transaction its newest
    event's kind and actor, with every kind written; for the queue, which
    tickets changed. However many events a transaction writes, its
    announcement is one INSERT after the commit."""
    inside = connection.in_atomic_block
    batch = _batch_of_transaction() if inside else _Batch()
    for event in events:
        batch.add(event)
    if not inside:
        batch.flush()


def _publish(changed: dict[int, dict[str, Any]]) -> None:
    refs = [payload["ref"] for payload in changed.values()]
    queue = {"refs": refs[:QUEUE_REFS_MAX], "count": len(refs)}
    live_publish_many(
        events=[
            *((ticket_stream(pk), CHANGED, payload) for pk, payload in changed.items()),
            (QUEUE_STREAM, CHANGED, queue),
        ]
    )
