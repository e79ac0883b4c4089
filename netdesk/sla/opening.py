"""The service levels of a ticket being opened (NETDESK_HOOKS
["ticket_opening"]): its timers and summary computed before its INSERT.

A ticket being opened has no timers and no timeline yet that moves a clock
(its "created" event is not a status change), so there is nothing to read:
the timers follow from the ticket's own fields, the active policies (kept
by each process) and its creation time. Its summary columns (next due
time, warning time, paused, breached) go into the ticket's own INSERT and
its timers into one INSERT after it, instead of the two reads, the INSERT
and the UPDATE of a recompute. The result is the one `sla_refresh` would
give at the same moment: the same `recompute_ticket` computes both."""

from __future__ import annotations

from collections.abc import Callable

from netdesk.core.compiled import CompiledInsert
from netdesk.sla.models import SlaTimer
from netdesk.sla.selectors import (
    active_escalation_rules,
    active_policies,
    facts_of,
    history_from_events,
)
from netdesk.sla.timers import ROW_COLUMNS, SUMMARY_FIELDS, recompute_ticket, ticket_summary
from netdesk.tickets.models import Ticket

STORED = [name for name in ROW_COLUMNS if name not in ("pk", "ticket_id")]
# One statement per number of timers, built once from SlaTimer's _meta.
_TIMERS_INSERT = CompiledInsert(SlaTimer)


def ticket_opening(*, ticket: Ticket) -> Callable[[], None]:
    """Set the summary columns of the unsaved `ticket`; answer the step that
    stores its timers once the ticket has its id."""
    facts = facts_of(ticket)
    rows = recompute_ticket(
        ticket=facts,
        history=history_from_events(facts, []),
        timers=[],
        policies=active_policies(),
        rules=active_escalation_rules(),
        now=ticket.created_at,
    )
    summary = ticket_summary(0, rows)
    for name, value in zip(SUMMARY_FIELDS, summary.values(), strict=True):
        setattr(ticket, name, value)

    def timers_start() -> None:
        # A new ticket's timers start together: one statement.
        _TIMERS_INSERT.insert(
            [
                SlaTimer(ticket_id=ticket.pk, **{name: getattr(row, name) for name in STORED})
                for row in rows
            ]
        )

    return timers_start
