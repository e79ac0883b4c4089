"""Recomputing the service-level timers of many tickets at once (a policy
or calendar change, `netdesk sla recompute`, imports, the demo): batches
read with a few queries, the arithmetic in memory, and only the rows whose
figures moved written back."""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, cast

from django.db import connection, connections, transaction
from django.db.models import Field, QuerySet
from django.utils import timezone

from netdesk.core.bulk import rows_update
from netdesk.sla.models import SlaTimer
from netdesk.sla.selectors import (
    active_escalation_rules,
    active_policies,
    facts_rows,
    histories,
    raw_rows,
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

STORED = [name for name in ROW_COLUMNS if name != "pk"]
_FIRED = cast("Field[Any, Any]", SlaTimer._meta.get_field("escalations_fired"))


def db_values(timer: SlaTimer | TimerRow | TicketSummary, names: list[str]) -> list[Any]:
    """Column values as the driver takes them, without Django's per-field
    preparation chain (the slowest part of writing a million timers)."""
    adapt = connection.ops.adapt_datetimefield_value
    values: list[Any] = []
    for name in names:
        value = getattr(timer, name)
        if isinstance(value, datetime):
            value = adapt(value)
        elif name == "escalations_fired":
            value = _FIRED.get_db_prep_save(value, connection)
        values.append(value)
    return values


def _timers_insert(rows: list[TimerRow]) -> None:
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = [cast("Field[Any, Any]", SlaTimer._meta.get_field(n)).column for n in STORED]
    sql = (
        f"INSERT INTO {quote(SlaTimer._meta.db_table)} "  # noqa: S608
        f"({', '.join(quote(c) for c in columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [db_values(row, STORED) for row in rows])


def recompute_batch(ids: Sequence[int], now: datetime) -> int:
    """Recompute the timers of these tickets with a few queries, writing
    only the timers whose figures changed. Returns how many tickets."""
    facts = facts_rows(ids)
    found: dict[int, list[TimerRow]] = {t.pk: [] for t in facts}
    query = SlaTimer.objects.filter(ticket_id__in=list(found)).values_list(*ROW_COLUMNS)
    datetimes = tuple(i for i, name in enumerate(ROW_COLUMNS) if name.endswith("_at"))
    for values in raw_rows(query, datetimes=datetimes):
        fired = values[-1]
        if isinstance(fired, str):
            values[-1] = [] if fired == "[]" else json.loads(fired)
        found[values[1]].append(TimerRow(*values))
    history = histories(facts)
    stored = _stored_summaries(list(found))
    policies, rules = active_policies(), active_escalation_rules()
    new: list[TimerRow] = []
    changed: list[TimerRow] = []
    summaries: list[TicketSummary] = []
    for ticket in facts:
        before = {t.pk: (t.figures(), t.elapsed_seconds) for t in found[ticket.pk]}
        rows = recompute_ticket(
            ticket=ticket,
            history=history[ticket.pk],
            timers=found[ticket.pk],
            policies=policies,
            rules=rules,
            now=now,
        )
        for row in rows:
            if row.pk is None:
                new.append(row)
            elif not row.same_figures(*before[row.pk]):
                changed.append(row)
        summary = ticket_summary(ticket.pk, rows)
        if stored.get(ticket.pk) != summary.values():
            summaries.append(summary)
    if new or changed or summaries:
        with transaction.atomic():
            _timers_insert(new)
            rows_update(SlaTimer, changed, COMPUTED_FIELDS, values=db_values)
            # Only the tickets whose summary moved: one executemany.
            rows_update(Ticket, summaries, SUMMARY_FIELDS, values=db_values)
    return len(facts)


def _stored_summaries(ids: list[int]) -> dict[int, tuple[object, ...]]:
    query = Ticket.objects.filter(pk__in=ids).values_list("pk", *SUMMARY_FIELDS)
    summaries: dict[int, tuple[object, ...]] = {}
    for pk, due, warn, paused, breached in raw_rows(query, datetimes=(1, 2)):
        # SQLite hands booleans back as 0 and 1.
        summaries[pk] = (due, warn, bool(paused), bool(breached))
    return summaries


def _batch_in_child(job: tuple[list[int], datetime]) -> int:
    return recompute_batch(*job)


def sla_recompute_many(
    *,
    tickets: QuerySet[Ticket],
    now: datetime | None = None,
    batch: int = 2000,
    processes: int = 1,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Recompute the timers of many tickets in batches; with `processes` > 1
    the batches are shared among that many worker processes (one per core:
    the arithmetic is CPU-bound)."""
    now = now or timezone.now()
    ids = list(tickets.order_by("pk").values_list("pk", flat=True))
    jobs = [(ids[at : at + batch], now) for at in range(0, len(ids), batch)]
    done = 0
    if processes <= 1 or len(jobs) <= 1:
        for job in jobs:
            count = recompute_batch(*job)
            done += count
            if progress is not None:
                progress(count)
        return done
    if connection.in_atomic_block:
        raise RuntimeError("Parallel recomputation cannot see an open transaction's rows.")
    # Children inherit the parent's memory but must open their own database
    # connections: a shared socket or SQLite handle would corrupt both.
    connections.close_all()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        for count in pool.imap_unordered(_batch_in_child, jobs):
            done += count
            if progress is not None:
                progress(count)
    return done
