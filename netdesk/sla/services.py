"""Writes for service levels: recomputing a ticket's timers after every
change, and firing warnings and breaches when they fall due.

Ticket services call `sla_refresh` explicitly after they change a ticket;
the figures come from the ticket's timeline, so elapsed time survives any
number of pauses, priority changes and policy changes, and a recompute at
any moment gives the same answer."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Field, QuerySet
from django.utils import timezone

from netdesk.sla.engine import Span, compute_timer
from netdesk.sla.models import EscalationRule, Metric, PolicyKind, SlaPolicy, SlaTarget, SlaTimer
from netdesk.sla.selectors import (
    TicketHistory,
    active_escalation_rules,
    active_policies,
    histories,
    ola_policy_for,
    rules_for,
    sla_policy_for,
    ticket_history,
    working_calendar,
)
from netdesk.tickets.models import Ticket

logger = logging.getLogger("netdesk.sla")
DONE = ("resolved", "closed")
COMPUTED_FIELDS = [
    "next_escalation_at",
    "policy",
    "target_seconds",
    "business_time",
    "elapsed_seconds",
    "state",
    "due_at",
    "warn_at",
    "breached_at",
    "stopped_at",
    "computed_at",
]


@dataclass(frozen=True)
class Window:
    """Where one timer's clock may run: from `start` until `stop` (if any)."""

    start: datetime
    stop: datetime | None


def _measure(
    *,
    timer: SlaTimer,
    ticket: Ticket,
    policy: SlaPolicy,
    target: SlaTarget,
    spans: list[Span],
    window: Window,
    rules: list[EscalationRule],
    now: datetime,
) -> SlaTimer:
    """Recompute one timer in place, with the escalation rules that apply."""
    timer.policy = policy
    applicable = rules_for(timer, ticket, rules)
    figures = compute_timer(
        calendar=working_calendar(policy.calendar),
        business_time=target.business_time,
        target=timedelta(minutes=target.minutes),
        warn_fraction=policy.warn_at_percent / 100,
        spans=spans,
        pause_statuses=frozenset(policy.pause_statuses or ()),
        window_start=window.start,
        stop_at=window.stop,
        now=now,
        marks=sorted({rule.at_percent / 100 for rule in applicable}),
    )
    timer.target_seconds = target.minutes * 60
    timer.business_time = target.business_time
    timer.elapsed_seconds = figures.elapsed.total_seconds()
    timer.state = figures.state
    timer.due_at = figures.due_at
    timer.warn_at = figures.warn_at
    timer.breached_at = figures.breached_at
    timer.stopped_at = figures.stopped_at
    timer.computed_at = now
    # When each applicable rule falls due; kept on the object for the worker.
    rule_times = {rule.pk: figures.marks.get(rule.at_percent / 100) for rule in applicable}
    timer.rule_times = rule_times  # type: ignore[attr-defined]
    timer.applicable_rules = applicable  # type: ignore[attr-defined]
    fired = set(timer.escalations_fired or [])
    pending = [at for pk, at in rule_times.items() if at is not None and pk not in fired]
    # A stopped timer (met, or resolved late) escalates no further.
    running = figures.stopped_at is None
    timer.next_escalation_at = min(pending) if pending and running else None
    return timer


def _recompute(
    *,
    ticket: Ticket,
    history: TicketHistory,
    timers: list[SlaTimer],
    policies: list[SlaPolicy],
    rules: list[EscalationRule],
    now: datetime,
) -> list[SlaTimer]:
    """Every SLA and OLA timer of one ticket, recomputed in memory: the
    timers it had (updated), new ones (no pk yet) and cancelled ones."""
    existing: dict[tuple[str, str, int | None, datetime], SlaTimer] = {
        (t.kind, t.metric, t.group_id, t.started_at): t for t in timers
    }
    keep: list[SlaTimer] = []
    resolution_stop = ticket.resolved_at if ticket.status in DONE else None

    def timer_for(kind: str, metric: str, group_id: int | None, start: datetime) -> SlaTimer:
        key = (kind, metric, group_id, start)
        found = existing.pop(key) if key in existing else None
        return found or SlaTimer(
            ticket=ticket, kind=kind, metric=metric, group_id=group_id, started_at=start
        )

    sla = sla_policy_for(ticket, [p for p in policies if p.kind == PolicyKind.SLA])
    for target in sla.targets.all() if sla is not None else []:
        assert sla is not None
        stop = (
            ticket.first_response_at if target.metric == Metric.FIRST_RESPONSE else resolution_stop
        )
        timer = timer_for(PolicyKind.SLA, target.metric, None, ticket.created_at)
        keep.append(
            _measure(
                timer=timer,
                ticket=ticket,
                policy=sla,
                target=target,
                spans=history.spans,
                window=Window(ticket.created_at, stop),
                rules=rules,
                now=now,
            )
        )

    olas = [p for p in policies if p.kind == PolicyKind.OLA]
    for stay in history.stays if olas else []:
        ola = ola_policy_for(stay.group_id, ticket, olas)
        if ola is None:
            continue
        stay_end = stay.end or resolution_stop
        for target in ola.targets.all():
            if target.metric == Metric.FIRST_RESPONSE:
                # The receiving group responds by taking the ticket on.
                candidates = [m for m in (stay.picked_up_at, stay_end) if m is not None]
                stop = min(candidates) if candidates else None
            else:
                stop = stay_end
            timer = timer_for(PolicyKind.OLA, target.metric, stay.group_id, stay.start)
            keep.append(
                _measure(
                    timer=timer,
                    ticket=ticket,
                    policy=ola,
                    target=target,
                    spans=history.spans,
                    window=Window(stay.start, stop),
                    rules=rules,
                    now=now,
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


@transaction.atomic
def sla_refresh(*, ticket: Ticket, now: datetime | None = None) -> list[SlaTimer]:
    """Recompute every SLA and OLA timer of the ticket from its timeline."""
    keep = _recompute(
        ticket=ticket,
        history=ticket_history(ticket),
        timers=list(SlaTimer.objects.filter(ticket=ticket)),
        policies=active_policies(),
        rules=active_escalation_rules(),
        now=now or timezone.now(),
    )
    for timer in keep:
        if timer.pk is None:
            timer.save()
        else:
            # Never write the fired marks here: the worker owns them, and a
            # recompute racing with it must not undo a firing.
            timer.save(update_fields=COMPUTED_FIELDS)
    return keep


def timers_update(timers: list[SlaTimer], names: list[str]) -> None:
    """One parameterised UPDATE per timer, sent with executemany: Django's
    bulk_update builds a CASE expression per row and field, which costs far
    more than the recomputation itself at this volume."""
    if not timers:
        return
    fields = [cast("Field[Any, Any]", SlaTimer._meta.get_field(name)) for name in names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(SlaTimer._meta.db_table)} SET {assignments} WHERE id = %s"  # noqa: S608
    rows = [
        [f.get_db_prep_save(getattr(t, f.attname), connection) for f in fields] + [t.pk]
        for t in timers
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def sla_recompute_many(
    *,
    tickets: QuerySet[Ticket],
    now: datetime | None = None,
    batch: int = 2000,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Recompute the timers of many tickets: a few queries per batch instead
    of several per ticket (after a policy change, an import, or the demo)."""
    now = now or timezone.now()
    policies, rules = active_policies(), active_escalation_rules()
    done = 0
    ids = list(tickets.order_by("pk").values_list("pk", flat=True))
    for offset in range(0, len(ids), batch):
        chunk = list(
            Ticket.objects.filter(pk__in=ids[offset : offset + batch]).select_related(
                "customer", "service"
            )
        )
        found: dict[int, list[SlaTimer]] = {t.pk: [] for t in chunk}
        for timer in SlaTimer.objects.filter(ticket_id__in=list(found)):
            found[timer.ticket_id].append(timer)
        history = histories(chunk)
        new: list[SlaTimer] = []
        changed: list[SlaTimer] = []
        for ticket in chunk:
            for timer in _recompute(
                ticket=ticket,
                history=history[ticket.pk],
                timers=found[ticket.pk],
                policies=policies,
                rules=rules,
                now=now,
            ):
                (changed if timer.pk else new).append(timer)
        with transaction.atomic():
            SlaTimer.objects.bulk_create(new, batch_size=1000)
            timers_update(changed, COMPUTED_FIELDS)
        done += len(chunk)
        if progress is not None:
            progress(len(chunk))
    return done
