"""Writes for service levels: recomputing a ticket's timers after every
change (many at once: netdesk.sla.recompute).

Ticket services announce a change that may move a ticket's clocks with the
`ticket_changed` hook, and `ticket_changed` here recomputes its timers in the
same transaction; the figures come from the ticket's timeline, so elapsed time survives any
number of pauses, priority changes and policy changes, and a recompute at
any moment gives the same answer."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from netdesk.core.bulk import rows_update
from netdesk.sla.models import EscalationNotice, SlaTimer
from netdesk.sla.recompute import STORED, db_values
from netdesk.sla.selectors import (
    active_escalation_rules,
    active_policies,
    facts_of,
    ticket_history,
)
from netdesk.sla.timers import (
    COMPUTED_FIELDS,
    ROW_COLUMNS,
    SUMMARY_FIELDS,
    TicketSummary,
    TimerRow,
    recompute_ticket,
    ticket_summary,
)
from netdesk.tickets.models import Ticket

logger = logging.getLogger("netdesk.sla")


def _row_of(timer: SlaTimer) -> TimerRow:
    return TimerRow(*(getattr(timer, name) for name in ROW_COLUMNS))


@transaction.atomic
def sla_refresh(*, ticket: Ticket, now: datetime | None = None) -> list[SlaTimer]:
    """Recompute every SLA and OLA timer of the ticket from its timeline and
    return them, each with the escalation rules that apply to it."""
    facts = facts_of(ticket)
    models = {t.pk: t for t in SlaTimer.objects.filter(ticket_id=ticket.pk)}
    rows = [_row_of(t) for t in models.values()]
    before = {row.pk: (row.figures(), row.elapsed_seconds) for row in rows}
    result: list[SlaTimer] = []
    started: list[SlaTimer] = []
    for row in recompute_ticket(
        ticket=facts,
        history=ticket_history(facts),
        timers=rows,
        policies=active_policies(),
        rules=active_escalation_rules(),
        now=now or timezone.now(),
    ):
        if row.pk is None:
            timer = SlaTimer(**{name: getattr(row, name) for name in STORED})
            started.append(timer)
        else:
            timer = models[row.pk]
            for name in COMPUTED_FIELDS:
                setattr(timer, name, getattr(row, name))
            if not row.same_figures(*before[row.pk]):
                # Never write the fired marks here: the worker owns them, and
                # a recompute racing with it must not undo a firing.
                timer.save(update_fields=COMPUTED_FIELDS)
        timer.rule_times = row.rule_times  # type: ignore[attr-defined]
        timer.applicable_rules = row.applicable_rules  # type: ignore[attr-defined]
        result.append(timer)
    # A new ticket's timers start together: one statement.
    SlaTimer.objects.bulk_create(started)
    _summary_write(ticket, ticket_summary(ticket.pk, result))
    return result


def _summary_write(ticket: Ticket, summary: TicketSummary) -> None:
    """Store the ticket's service-level summary when it changed (the loaded
    ticket was read under the caller's lock, so its columns are current)."""
    stored = tuple(getattr(ticket, name) for name in SUMMARY_FIELDS)
    if stored == summary.values():
        return
    Ticket.objects.filter(pk=ticket.pk).update(
        **dict(zip(SUMMARY_FIELDS, summary.values(), strict=True))
    )
    for name, value in zip(SUMMARY_FIELDS, summary.values(), strict=True):
        setattr(ticket, name, value)


def ticket_changed(*, ticket: Ticket) -> None:
    """The reaction to the ticket services' `ticket_changed` hook
    (NETDESK_HOOKS): the ticket's timers follow its new state."""
    sla_refresh(ticket=ticket)


def timers_update(timers: Sequence[SlaTimer | TimerRow], names: list[str]) -> None:
    """Write these fields of the timers (model instances or rows), one
    UPDATE per timer in a single executemany."""
    rows_update(SlaTimer, timers, names, values=db_values)


def escalation_notice_delivered(*, notice_id: int, at: datetime) -> None:
    """Record that an escalation notice reached the mail server (the channels
    send it and call this once its mail is accepted). Idempotent: a notice
    keeps its first delivery time."""
    EscalationNotice.objects.filter(pk=notice_id, delivered_at__isnull=True).update(delivered_at=at)
