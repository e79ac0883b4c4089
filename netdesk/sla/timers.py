"""A ticket's SLA and OLA timers as plain rows, recomputed in memory from its
history: no database here, so one ticket (after a change) and a million
(after a policy change) go through the same arithmetic."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import chain
from typing import Protocol

from netdesk.sla.businesstime import WorkingCalendar
from netdesk.sla.engine import Span, compute_timer
from netdesk.sla.models import EscalationRule, Metric, PolicyKind, SlaPolicy, SlaTarget
from netdesk.sla.selectors import (
    TicketFacts,
    TicketHistory,
    ola_policy_for,
    rules_for,
    sla_policy_for,
    working_calendar,
)

DONE = ("resolved", "closed")
SAME_UPDATE = timedelta(minutes=1)
# The stored figures of a timer; `computed_at` is left out on purpose (see
# TimerRow.same_figures).
FIGURES = (
    "policy_id",
    "target_seconds",
    "business_time",
    "state",
    "due_at",
    "warn_at",
    "breached_at",
    "stopped_at",
    "next_escalation_at",
)
COMPUTED_FIELDS = [*FIGURES, "elapsed_seconds", "computed_at"]
# Columns read back for bulk recomputation, in TimerRow's order.
ROW_COLUMNS = (
    "pk",
    "ticket_id",
    "kind",
    "metric",
    "group_id",
    "started_at",
    *FIGURES,
    "elapsed_seconds",
    "computed_at",
    "escalations_fired",
)


# The ticket's service-level summary columns (Ticket.sla_*), in order.
SUMMARY_FIELDS = ["sla_next_due_at", "sla_warn_at", "sla_paused", "sla_breached"]


@dataclass(slots=True)
class TicketSummary:
    """A ticket's service-level summary as written to its row."""

    pk: int
    sla_next_due_at: datetime | None
    sla_warn_at: datetime | None
    sla_paused: bool
    sla_breached: bool

    def values(self) -> tuple[object, ...]:
        return (self.sla_next_due_at, self.sla_warn_at, self.sla_paused, self.sla_breached)


class TimerLike(Protocol):
    state: str
    due_at: datetime | None
    warn_at: datetime | None
    breached_at: datetime | None
    stopped_at: datetime | None


def clock_running(timer: TimerLike) -> bool:
    """Whether the timer's clock counts now. A running clock (even one past
    its target) has a projected warning time; a paused one has none, and a
    stopped or cancelled one has a stop time or no due time."""
    return (
        timer.state != "cancelled"
        and timer.stopped_at is None
        and timer.due_at is not None
        and timer.warn_at is not None
    )


def ticket_summary(ticket_id: int, timers: Iterable[TimerLike]) -> TicketSummary:
    """What the lists read of a ticket's timers: the earliest due time among
    the running clocks (first response, next update, resolution, the current
    OLA), the earliest warning time among them (the ticket shows a warning as
    soon as any running clock has used its warning share, even when another
    falls due first), whether every clock still open is paused, and whether
    any target was broken, including one met late or an earlier next-update
    interval (a broken promise stays broken for the customer)."""
    # One pass (a bulk recompute summarises a million tickets): the same
    # as taking the minima over the clocks that clock_running says run.
    due: datetime | None = None
    warn: datetime | None = None
    running = still_open = breached = False
    for t in timers:
        if t.state == "cancelled":
            continue
        if t.breached_at is not None:
            breached = True
        if t.stopped_at is not None:
            continue
        still_open = True
        if t.due_at is not None and t.warn_at is not None:
            running = True
            if due is None or t.due_at < due:
                due = t.due_at
            if warn is None or t.warn_at < warn:
                warn = t.warn_at
    return TicketSummary(
        pk=ticket_id,
        sla_next_due_at=due,
        sla_warn_at=warn,
        sla_paused=not running and still_open,
        sla_breached=breached,
    )


@dataclass(slots=True)
class TimerRow:
    """One timer's stored columns, plus what the worker needs to act on the
    escalation matrix (not stored)."""

    pk: int | None
    ticket_id: int
    kind: str
    metric: str
    group_id: int | None
    started_at: datetime
    policy_id: int | None = None
    target_seconds: int = 0
    business_time: bool = True
    state: str = "running"
    due_at: datetime | None = None
    warn_at: datetime | None = None
    breached_at: datetime | None = None
    stopped_at: datetime | None = None
    next_escalation_at: datetime | None = None
    elapsed_seconds: float = 0.0
    computed_at: datetime | None = None
    escalations_fired: list[int] = field(default_factory=list)
    rule_times: dict[int, datetime | None] = field(default_factory=dict)
    applicable_rules: list[EscalationRule] = field(default_factory=list)

    def figures(self) -> tuple[object, ...]:
        # Spelled out (same order as FIGURES): this runs for every timer of a
        # million-ticket recompute.
        return (
            self.policy_id,
            self.target_seconds,
            self.business_time,
            self.state,
            self.due_at,
            self.warn_at,
            self.breached_at,
            self.stopped_at,
            self.next_escalation_at,
        )

    def same_figures(self, before: tuple[object, ...], elapsed_before: float) -> bool:
        """Whether rewriting the row would change what anyone reads from it.
        A running timer's elapsed time grows by itself: readers add the
        business time since `computed_at`, so equal due times mean equal
        figures. Anything else must match exactly."""
        if self.figures() != before:
            return False
        return self.state == "running" or self.elapsed_seconds == elapsed_before


@dataclass(frozen=True)
class Window:
    """Where one timer's clock may run: from `start` until `stop` (if any)."""

    start: datetime
    stop: datetime | None


def _pauses(policy: SlaPolicy) -> frozenset[str]:
    """The policy's pause states as a set, built once per policy object."""
    pauses: frozenset[str] | None = getattr(policy, "_pause_set", None)
    if pauses is None:
        pauses = frozenset(policy.pause_statuses or ())
        policy._pause_set = pauses  # type: ignore[attr-defined]
    return pauses


def _targets(policy: SlaPolicy) -> list[SlaTarget]:
    """The policy's targets (prefetched with the cached policies), as a list
    built once per policy object rather than a queryset per ticket."""
    targets: list[SlaTarget] | None = getattr(policy, "_target_list", None)
    if targets is None:
        targets = list(policy.targets.all())
        policy._target_list = targets  # type: ignore[attr-defined]
    return targets


@dataclass(frozen=True, slots=True)
class ClockSpec:
    """What measuring a clock reads of its policy and target, looked up once
    per target object (they are kept with the cached policies)."""

    calendar: WorkingCalendar
    business_time: bool
    target: timedelta
    target_seconds: int
    warn_fraction: float
    pauses: frozenset[str]


def _spec(policy: SlaPolicy, target: SlaTarget) -> ClockSpec:
    spec: ClockSpec | None = getattr(target, "_clock_spec", None)
    if spec is None:
        spec = ClockSpec(
            calendar=working_calendar(policy.calendar),
            business_time=target.business_time,
            target=timedelta(minutes=target.minutes),
            target_seconds=target.minutes * 60,
            warn_fraction=policy.warn_at_percent / 100,
            pauses=_pauses(policy),
        )
        target._clock_spec = spec  # type: ignore[attr-defined]
    return spec


# The escalation rules that apply to a timer, and the shares of its target
# they act at, depend only on the timer's kind, metric and policy and the
# ticket's priority and segment: a batch works them out once per such key.
RuleKey = tuple[str, str, int | None, int, str]
Applicable = dict[RuleKey, tuple[list[EscalationRule], tuple[float, ...]]]


def _applicable(
    timer: TimerRow, ticket: TicketFacts, rules: list[EscalationRule], known: Applicable
) -> tuple[list[EscalationRule], tuple[float, ...]]:
    key = (timer.kind, timer.metric, timer.policy_id, ticket.priority, ticket.segment)
    found = known.get(key)
    if found is None:
        applicable = rules_for(timer, ticket, rules)
        found = known[key] = (
            applicable,
            tuple(sorted({rule.at_percent / 100 for rule in applicable})),
        )
    return found


def _measure(
    *,
    timer: TimerRow,
    ticket: TicketFacts,
    policy: SlaPolicy,
    target: SlaTarget,
    spans: list[Span],
    window: Window,
    rules: list[EscalationRule],
    now: datetime,
    known: Applicable,
) -> TimerRow:
    """Recompute one timer in place, with the escalation rules that apply."""
    timer.policy_id = policy.pk
    spec = _spec(policy, target)
    applicable, marks = _applicable(timer, ticket, rules, known)
    figures = compute_timer(
        calendar=spec.calendar,
        business_time=spec.business_time,
        target=spec.target,
        warn_fraction=spec.warn_fraction,
        spans=spans,
        pause_statuses=spec.pauses,
        window_start=window.start,
        stop_at=window.stop,
        now=now,
        marks=marks,
    )
    timer.target_seconds = spec.target_seconds
    timer.business_time = spec.business_time
    timer.elapsed_seconds = figures.elapsed.total_seconds()
    timer.state = figures.state
    timer.due_at = figures.due_at
    timer.warn_at = figures.warn_at
    timer.breached_at = figures.breached_at
    timer.stopped_at = figures.stopped_at
    timer.computed_at = now
    timer.applicable_rules = applicable
    if not applicable:
        timer.rule_times = {}
        timer.next_escalation_at = None
        return timer
    timer.rule_times = {rule.pk: figures.marks.get(rule.at_percent / 100) for rule in applicable}
    fired = set(timer.escalations_fired)
    pending = [at for pk, at in timer.rule_times.items() if at is not None and pk not in fired]
    # A stopped timer (met, or resolved late) escalates no further.
    running = figures.stopped_at is None
    timer.next_escalation_at = min(pending) if pending and running else None
    return timer


def update_intervals(ticket: TicketFacts, history: TicketHistory) -> list[Window]:
    """The "next update" intervals: from each time the customer was told
    something (the first response included) until the next such time, or
    until the ticket was resolved."""
    if ticket.first_response_at is None:
        return []
    stop = ticket.resolved_at if ticket.status in DONE else None
    starts = [ticket.first_response_at]
    for at in sorted(history.updates):
        # The event of a reply or call is written a moment after the time it
        # answered (a call is logged once it ends): the same update.
        if at - starts[-1] > SAME_UPDATE:
            starts.append(at)
    if stop is not None:
        starts = [at for at in starts if at < stop]
    ends: list[datetime | None] = [*starts[1:], stop]
    return [Window(start, end) for start, end in zip(starts, ends, strict=True)]


# One clock to measure: SLA or OLA, its policy and target, the group (OLA)
# and the window it runs in.
Clock = tuple[str, SlaPolicy, SlaTarget, int | None, Window]


def _sla_clocks(
    ticket: TicketFacts,
    history: TicketHistory,
    policies: list[SlaPolicy],
    resolution_stop: datetime | None,
) -> Iterator[Clock]:
    sla = sla_policy_for(ticket, [p for p in policies if p.kind == PolicyKind.SLA])
    if sla is None:
        return
    for target in _targets(sla):
        if target.metric == Metric.NEXT_UPDATE:
            for window in update_intervals(ticket, history):
                yield PolicyKind.SLA, sla, target, None, window
            continue
        stop = (
            ticket.first_response_at if target.metric == Metric.FIRST_RESPONSE else resolution_stop
        )
        yield PolicyKind.SLA, sla, target, None, Window(ticket.created_at, stop)


def _ola_clocks(
    ticket: TicketFacts,
    history: TicketHistory,
    policies: list[SlaPolicy],
    resolution_stop: datetime | None,
) -> Iterator[Clock]:
    olas = [p for p in policies if p.kind == PolicyKind.OLA]
    for stay in history.stays if olas else []:
        ola = ola_policy_for(stay.group_id, ticket, olas)
        if ola is None:
            continue
        stay_end = stay.end or resolution_stop
        for target in _targets(ola):
            if target.metric == Metric.NEXT_UPDATE:
                continue  # customers are updated under the SLA, not between groups
            if target.metric == Metric.FIRST_RESPONSE:
                # The receiving group responds by taking the ticket on.
                candidates = [m for m in (stay.picked_up_at, stay_end) if m is not None]
                stop = min(candidates) if candidates else None
            else:
                stop = stay_end
            yield PolicyKind.OLA, ola, target, stay.group_id, Window(stay.start, stop)


def recompute_ticket(
    *,
    ticket: TicketFacts,
    history: TicketHistory,
    timers: list[TimerRow],
    policies: list[SlaPolicy],
    rules: list[EscalationRule],
    now: datetime,
    known: Applicable | None = None,
) -> list[TimerRow]:
    """Every SLA and OLA timer of one ticket, recomputed in memory: the
    timers it had (updated), new ones (no pk yet) and cancelled ones.
    `known`: the applicable rules already worked out in this batch."""
    known = {} if known is None else known
    existing: dict[tuple[str, str, int | None, datetime], TimerRow] = {
        (t.kind, t.metric, t.group_id, t.started_at): t for t in timers
    }
    keep: list[TimerRow] = []
    resolution_stop = ticket.resolved_at if ticket.status in DONE else None
    clocks = chain(
        _sla_clocks(ticket, history, policies, resolution_stop),
        _ola_clocks(ticket, history, policies, resolution_stop),
    )
    for kind, policy, target, group_id, window in clocks:
        key = (kind, target.metric, group_id, window.start)
        timer = existing.pop(key, None) or TimerRow(
            pk=None,
            ticket_id=ticket.pk,
            kind=kind,
            metric=target.metric,
            group_id=group_id,
            started_at=window.start,
        )
        keep.append(
            _measure(
                timer=timer,
                ticket=ticket,
                policy=policy,
                target=target,
                spans=history.spans,
                window=window,
                rules=rules,
                now=now,
                known=known,
            )
        )

    # Timers of a policy that no longer applies are cancelled, not deleted:
    # their history stays visible on the ticket.
    for timer in existing.values():
        if timer.state != "cancelled":
            timer.state = "cancelled"
            timer.due_at = timer.warn_at = timer.next_escalation_at = None
            timer.stopped_at = timer.stopped_at or now
            timer.computed_at = now
        keep.append(timer)
    return keep
