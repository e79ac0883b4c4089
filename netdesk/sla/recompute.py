"""Recomputing the service-level timers of many tickets at once (a policy
or calendar change, `netdesk sla recompute`, imports, the demo): batches
read with a few queries, the arithmetic in memory, and only the rows whose
figures moved written back.

Tickets whose inputs did not change since their figures were computed are
skipped. A ticket's figures are a function of its facts (status, priority,
group, customer and the rest the policy lookup and the clocks read), its
timeline, the policies with their targets, calendars and escalation rules,
and the time. Each recomputed ticket stores a fingerprint of the first
three (`Ticket.sla_inputs`: the facts, the sum of its event ids, which
moves whenever an event is added or removed, keyed with a digest of the
policies it reads: `netdesk.sla.fingerprint`)
and the moment from which the time alone would change its figures
(`Ticket.sla_stable_until`: the first running clock falls due, or an input
lies ahead of the time computed at). A batch reads the current fingerprint
inputs of every ticket in its first query and recomputes only the tickets
whose fingerprint differs or whose stable time has come; `force`
recomputes all."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any, NamedTuple, cast

from django.db import connection, transaction
from django.db.models import DateTimeField, Field, Model, OuterRef, QuerySet, Subquery, Sum
from django.db.models.sql import Query
from django.utils import timezone

from netdesk.core.bulk import rows_update
from netdesk.core.forking import connections_close_before_fork
from netdesk.sla.bulkwrite import executemany_server_bound
from netdesk.sla.businesstime import WorkingCalendar
from netdesk.sla.fingerprint import PolicyDigests
from netdesk.sla.models import EscalationRule, SlaPolicy, SlaTimer
from netdesk.sla.selectors import (
    FACT_COLUMNS,
    FACT_DATETIMES,
    TicketFacts,
    TicketHistory,
    active_policies_and_rules,
    facts_of_row,
    histories,
    of_tickets,
    raw_rows,
    working_calendar,
)
from netdesk.sla.timers import (
    COMPUTED_FIELDS,
    ROW_COLUMNS,
    SUMMARY_FIELDS,
    Applicable,
    TimerRow,
    clock_running,
    recompute_ticket,
    ticket_summary,
)
from netdesk.tickets.models import Ticket, TicketEvent

STORED = [name for name in ROW_COLUMNS if name != "pk"]
_FIRED = cast("Field[Any, Any]", SlaTimer._meta.get_field("escalations_fired"))


def _sqlite_moment(value: datetime) -> str:
    # What Django's SQLite backend stores (naive UTC text), without its
    # per-value settings and zone lookups: an aware UTC instant's ISO form
    # less its "+00:00".
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ")[:-6]


def db_values(timer: Any, names: list[str]) -> list[Any]:
    """Column values as the driver takes them, without Django's per-field
    preparation chain (the slowest part of writing a million timers)."""
    sqlite = connection.vendor == "sqlite"
    adapt = _sqlite_moment if sqlite else connection.ops.adapt_datetimefield_value
    values: list[Any] = []
    for name in names:
        value = getattr(timer, name)
        if isinstance(value, datetime):
            value = adapt(value)
        elif name == "escalations_fired":
            value = json.dumps(value) if sqlite else _FIRED.get_db_prep_save(value, connection)
        values.append(value)
    return values


def row_writer(model: type[Model], names: list[str]) -> Callable[[Any, list[str]], list[Any]]:
    """db_values for many rows of one batch, the same values faster: the
    attributes are read in one go, and each distinct instant is converted
    once (a batch's timers share their computed time, their tickets'
    creation times and many due times)."""
    sqlite = connection.vendor == "sqlite"
    adapt = _sqlite_moment if sqlite else connection.ops.adapt_datetimefield_value
    get = attrgetter(*names)
    read = get if len(names) > 1 else lambda row: (get(row),)
    moments = [
        at
        for at, name in enumerate(names)
        if isinstance(model._meta.get_field(name), DateTimeField)
    ]
    fired = names.index("escalations_fired") if "escalations_fired" in names else -1
    converted: dict[datetime, Any] = {}

    def values(row: Any, _names: list[str]) -> list[Any]:
        found = list(read(row))
        for at in moments:
            value = found[at]
            if value is not None:
                text = converted.get(value)
                if text is None:
                    text = converted[value] = adapt(value)
                found[at] = text
        if fired >= 0:
            value = found[fired]
            if not sqlite:
                found[fired] = _FIRED.get_db_prep_save(value, connection)
            else:
                found[fired] = json.dumps(value) if value else "[]"
        return found

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
    values = row_writer(SlaTimer, STORED)
    if connection.vendor == "postgresql":
        executemany_server_bound(sql, [values(row, STORED) for row in rows])
        return
    with connection.cursor() as cursor:
        cursor.executemany(sql, [values(row, STORED) for row in rows])


def _rows_write(model: type[Model], rows: Sequence[Any], names: list[str]) -> None:
    """UPDATE these columns of the rows (timers or tickets)."""
    values = row_writer(model, names)
    if connection.vendor != "postgresql":
        rows_update(model, rows, names, values=values)
        return
    quote = connection.ops.quote_name
    fields = [cast("Field[Any, Any]", model._meta.get_field(name)) for name in names]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE id = %s"  # noqa: S608
    executemany_server_bound(sql, [[*values(row, names), row.pk] for row in rows])


# What the first query reads after FACT_COLUMNS.
_FACTS = len(FACT_COLUMNS)
_STATE_COLUMNS = ("sla_inputs", "sla_stable_until", *SUMMARY_FIELDS, "event_ids")
_STATE_DATETIMES = (*FACT_DATETIMES, _FACTS + 1, _FACTS + 2, _FACTS + 3)
# The ticket columns a recompute writes.
TICKET_FIELDS = [*SUMMARY_FIELDS, "sla_inputs", "sla_stable_until"]


@dataclass(slots=True)
class TicketState:
    """A ticket to recompute, as the first query of a batch read it: its
    facts, the fingerprint of its inputs now, and what was stored with its
    figures."""

    facts: TicketFacts
    inputs: int
    stored_inputs: int | None
    stable_until: datetime | None
    summary: tuple[object, ...]


@dataclass(slots=True)
class TicketWrite:
    """A ticket's summary with the fingerprint it was computed from."""

    pk: int
    sla_next_due_at: datetime | None
    sla_warn_at: datetime | None
    sla_paused: bool
    sla_breached: bool
    sla_inputs: int
    sla_stable_until: datetime | None

    def stored(self) -> tuple[object, ...]:
        summary = (self.sla_next_due_at, self.sla_warn_at, self.sla_paused, self.sla_breached)
        return (summary, self.sla_inputs, self.sla_stable_until)


def _event_ids() -> Subquery:
    """The sum of the ticket's event ids: it moves whenever an event is added
    (ids only grow) or removed, and is read off the ticket's event index."""
    events = (
        TicketEvent.objects.filter(ticket_id=OuterRef("pk"))
        .order_by()
        .values("ticket_id")
        .annotate(total=Sum("id"))
        .values("total")
    )
    return Subquery(events)


def _aware(value: Any) -> datetime | None:
    """A datetime column's value as read from the cursor, with its zone
    (SQLite hands back naive UTC datetimes, or text)."""
    if value is None or (isinstance(value, datetime) and value.tzinfo is not None):
        return value
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return cast("datetime", value).replace(tzinfo=UTC)


def _state(row: Sequence[Any], inputs: int) -> TicketState:
    facts = list(row[:_FACTS])
    for index in FACT_DATETIMES:
        facts[index] = _aware(facts[index])
    stored, stable, due, warn, paused, breached, _ = row[_FACTS:]
    return TicketState(
        facts=facts_of_row(facts),
        inputs=inputs,
        stored_inputs=stored,
        stable_until=_aware(stable),
        # SQLite hands booleans back as 0 and 1.
        summary=(_aware(due), _aware(warn), bool(paused), bool(breached)),
    )


def stale_tickets(
    tickets: QuerySet[Ticket], digests: PolicyDigests, now: datetime, *, force: bool = False
) -> tuple[int, list[TicketState]]:
    """Go through the tickets with one query; return how many there were and,
    in id order, those whose fingerprint differs from the stored one or whose
    stable time has come (all with `force`). The fingerprint is taken of the
    values as the driver hands them over: only stale rows are converted."""
    query = (
        tickets.order_by("pk")
        .annotate(event_ids=_event_ids())
        .values_list(*FACT_COLUMNS, *_STATE_COLUMNS)
    )
    sql, params = query.query.sql_with_params()
    count, stale = 0, []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(10_000):
            count += len(batch)
            for row in batch:
                key = repr((row[:_FACTS], row[-1])).encode()
                digest = digests.key_for(row)
                digested = hashlib.blake2b(key, digest_size=8, key=digest).digest()
                inputs = int.from_bytes(digested, "big", signed=True)
                stable = row[_FACTS + 1]
                if (
                    force
                    or inputs != row[_FACTS]
                    or (stable is not None and cast("datetime", _aware(stable)) <= now)
                ):
                    stale.append(_state(row, inputs))
    return count, stale


def stable_until(
    ticket: TicketFacts,
    history: TicketHistory,
    timers: list[TimerRow],
    now: datetime,
    calendars: dict[int, WorkingCalendar] | None = None,
) -> datetime | None:
    """From when a recompute with nothing changed would give other figures:
    when the first running clock that has not broken its target does break
    it, or, should an input lie ahead of `now`, when it is reached. Until
    then only a running clock's elapsed time moves, which readers add
    themselves (selectors.timer_now)."""
    moments = [
        _breaks_at(t, now, calendars or {})
        for t in timers
        if t.state == "running" and t.due_at is not None and clock_running(t)
    ]
    inputs = [ticket.created_at, history.spans[-1].start, *history.updates]
    inputs += [at for at in (ticket.first_response_at, ticket.resolved_at) if at is not None]
    inputs += [stay.start for stay in history.stays[-1:]]
    latest = max(inputs)
    if latest > now:
        moments.append(latest)
    return min(moments, default=None)


def _breaks_at(timer: TimerRow, now: datetime, calendars: dict[int, WorkingCalendar]) -> datetime:
    """When a running clock on time turns breached: once it counts time
    beyond its due time. A clock due while its calendar is closed (due at
    18:00 on a Friday) stays on time until the calendar next opens."""
    due = cast("datetime", timer.due_at)
    calendar = calendars.get(timer.policy_id or 0) if timer.business_time else None
    if due > now or calendar is None:
        return due
    return calendar.next_open(due)


def _calendars(policies: list[SlaPolicy]) -> dict[int, WorkingCalendar]:
    return {policy.pk: working_calendar(policy.calendar) for policy in policies}


class Recomputed(NamedTuple):
    tickets: int  # gone through
    recomputed: int  # of them, recomputed: inputs changed (or forced)


def recompute_batch(ids: Sequence[int], now: datetime, *, force: bool = False) -> Recomputed:
    """Go through these tickets with one query, and recompute the timers of
    those whose inputs changed (all with `force`) with a few more, writing
    only the timers and tickets whose figures changed."""
    return _recompute_tickets(Ticket.objects.filter(pk__in=list(ids)), now, force=force)


def _recompute_tickets(tickets: QuerySet[Ticket], now: datetime, *, force: bool) -> Recomputed:
    policies, rules = active_policies_and_rules()
    count, stale = stale_tickets(tickets, PolicyDigests(policies, rules), now, force=force)
    if stale:
        _recompute(stale, now, policies, rules)
    return Recomputed(count, len(stale))


def _timer_rows(ids: list[int]) -> dict[int, list[TimerRow]]:
    found: dict[int, list[TimerRow]] = {pk: [] for pk in ids}
    query = SlaTimer.objects.filter(of_tickets(ids)).values_list(*ROW_COLUMNS)
    datetimes = tuple(i for i, name in enumerate(ROW_COLUMNS) if name.endswith("_at"))
    for values in raw_rows(query, datetimes=datetimes):
        timers = found.get(values[1])
        if timers is None:
            continue  # a ticket in the id range that is not being recomputed
        fired = values[-1]
        if isinstance(fired, str):
            values[-1] = [] if fired == "[]" else json.loads(fired)
        timers.append(TimerRow(*values))
    return found


def _recompute(
    states: list[TicketState],
    now: datetime,
    policies: list[SlaPolicy],
    rules: list[EscalationRule],
) -> None:
    facts = [state.facts for state in states]
    found = _timer_rows([ticket.pk for ticket in facts])
    history = histories(facts)
    new: list[TimerRow] = []
    changed: list[TimerRow] = []
    tickets: list[TicketWrite] = []
    calendars = _calendars(policies)
    known: Applicable = {}
    for state in states:
        ticket = state.facts
        before = {t.pk: (t.figures(), t.elapsed_seconds) for t in found[ticket.pk]}
        rows = recompute_ticket(
            ticket=ticket,
            history=history[ticket.pk],
            timers=found[ticket.pk],
            policies=policies,
            rules=rules,
            now=now,
            known=known,
        )
        for row in rows:
            if row.pk is None:
                new.append(row)
            elif not row.same_figures(*before[row.pk]):
                changed.append(row)
        summary = ticket_summary(ticket.pk, rows)
        write = TicketWrite(
            pk=ticket.pk,
            sla_next_due_at=summary.sla_next_due_at,
            sla_warn_at=summary.sla_warn_at,
            sla_paused=summary.sla_paused,
            sla_breached=summary.sla_breached,
            sla_inputs=state.inputs,
            sla_stable_until=stable_until(ticket, history[ticket.pk], rows, now, calendars),
        )
        if write.stored() != (state.summary, state.stored_inputs, state.stable_until):
            tickets.append(write)
    if new or changed or tickets:
        with transaction.atomic():
            _timers_insert(new)
            _rows_write(SlaTimer, changed, COMPUTED_FIELDS)
            # Only the tickets whose summary or fingerprint moved.
            _rows_write(Ticket, tickets, TICKET_FIELDS)


# A batch: the tickets of the query with ids from..to, the time, and force.
# The query, not the queryset, goes to the worker processes: pickling a
# queryset fetches all its rows first.
Job = tuple[Query, int, int, datetime, bool]


def _batch_in_child(job: Job) -> Recomputed:
    query, first, last, now, force = job
    tickets = Ticket.objects.all()
    tickets.query = query
    return _recompute_tickets(tickets.filter(pk__gte=first, pk__lte=last), now, force=force)


def sla_recompute_many(
    *,
    tickets: QuerySet[Ticket],
    now: datetime | None = None,
    batch: int = 5000,
    processes: int = 1,
    force: bool = False,
    progress: Callable[[int], object] | None = None,
) -> Recomputed:
    """Go through many tickets in batches, recomputing those whose inputs
    changed (every one with `force`); with `processes` > 1 the batches are
    shared among that many worker processes (one per core: the arithmetic
    is CPU-bound). Returns how many tickets were gone through and how many
    of them recomputed."""
    now = now or timezone.now()
    ids = list(tickets.order_by("pk").values_list("pk", flat=True))
    # Each batch reads its tickets by id range (cheaper than a list of ids).
    jobs: list[Job] = [
        (tickets.query, ids[at], ids[min(at + batch, len(ids)) - 1], now, force)
        for at in range(0, len(ids), batch)
    ]
    if processes <= 1 or len(jobs) <= 1:
        return _tally(map(_batch_in_child, jobs), progress)
    if connection.in_atomic_block:
        raise RuntimeError("Parallel recomputation cannot see an open transaction's rows.")
    # Children inherit the parent's memory but must open their own database
    # connections: a shared socket or SQLite handle would corrupt both.
    connections_close_before_fork()
    # An executor rather than a Pool: a child that dies (killed, out of
    # memory) fails the run with BrokenProcessPool, where a Pool would wait
    # for its lost batch for ever.
    fork = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(processes, mp_context=fork) as pool:
        batches = [pool.submit(_batch_in_child, job) for job in jobs]
        return _tally((done.result() for done in as_completed(batches)), progress)


def _tally(results: Iterable[Recomputed], progress: Callable[[int], object] | None) -> Recomputed:
    done, recomputed = 0, 0
    for result in results:
        done, recomputed = done + result.tickets, recomputed + result.recomputed
        if progress is not None:
            progress(result.tickets)
    return Recomputed(done, recomputed)
