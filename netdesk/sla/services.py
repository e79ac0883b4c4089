"""Writes for service levels: recomputing a ticket's timers after every
change, and firing warnings and breaches when they fall due.

Ticket services call `sla_refresh` explicitly after they change a ticket;
the figures come from the ticket's timeline, so elapsed time survives any
number of pauses, priority changes and policy changes, and a recompute at
any moment gives the same answer."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from netdesk.sla.engine import Span, TimerFigures, compute_timer
from netdesk.sla.models import Metric, PolicyKind, SlaPolicy, SlaTarget, SlaTimer
from netdesk.sla.selectors import (
    active_policies,
    due_timers,
    ola_policy_for,
    sla_policy_for,
    ticket_history,
    working_calendar,
)
from netdesk.tickets.models import Ticket, TicketEvent
from netdesk.tickets.models.timeline import EventKind

logger = logging.getLogger("netdesk.sla")
DONE = ("resolved", "closed")
COMPUTED_FIELDS = [
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


def _figures(
    *,
    policy: SlaPolicy,
    target: SlaTarget,
    spans: list[Span],
    window_start: datetime,
    stop_at: datetime | None,
    now: datetime,
) -> TimerFigures:
    return compute_timer(
        calendar=working_calendar(policy.calendar),
        business_time=target.business_time,
        target=timedelta(minutes=target.minutes),
        warn_fraction=policy.warn_at_percent / 100,
        spans=spans,
        pause_statuses=frozenset(policy.pause_statuses or ()),
        window_start=window_start,
        stop_at=stop_at,
        now=now,
    )


def _apply(
    timer: SlaTimer, policy: SlaPolicy, target: SlaTarget, figures: TimerFigures, now: datetime
) -> SlaTimer:
    timer.policy = policy
    timer.target_seconds = target.minutes * 60
    timer.business_time = target.business_time
    timer.elapsed_seconds = figures.elapsed.total_seconds()
    timer.state = figures.state
    timer.due_at = figures.due_at
    timer.warn_at = figures.warn_at
    timer.breached_at = figures.breached_at
    timer.stopped_at = figures.stopped_at
    timer.computed_at = now
    return timer


@transaction.atomic
def sla_refresh(*, ticket: Ticket, now: datetime | None = None) -> list[SlaTimer]:
    """Recompute every SLA and OLA timer of the ticket from its timeline."""
    now = now or timezone.now()
    history = ticket_history(ticket)
    existing: dict[tuple[str, str, int | None, datetime], SlaTimer] = {
        (t.kind, t.metric, t.group_id, t.started_at): t
        for t in SlaTimer.objects.filter(ticket=ticket)
    }
    keep: list[SlaTimer] = []
    resolution_stop = ticket.resolved_at if ticket.status in DONE else None

    policies = active_policies()
    sla = sla_policy_for(ticket, [p for p in policies if p.kind == PolicyKind.SLA])
    if sla is not None:
        for target in sla.targets.all():
            stop = (
                ticket.first_response_at
                if target.metric == Metric.FIRST_RESPONSE
                else (resolution_stop)
            )
            figures = _figures(
                policy=sla,
                target=target,
                spans=history.spans,
                window_start=ticket.created_at,
                stop_at=stop,
                now=now,
            )
            key: tuple[str, str, int | None, datetime] = (
                PolicyKind.SLA,
                target.metric,
                None,
                ticket.created_at,
            )
            timer = (existing.pop(key) if key in existing else None) or SlaTimer(
                ticket=ticket,
                kind=PolicyKind.SLA,
                metric=target.metric,
                started_at=ticket.created_at,
            )
            keep.append(_apply(timer, sla, target, figures, now))

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
            figures = _figures(
                policy=ola,
                target=target,
                spans=history.spans,
                window_start=stay.start,
                stop_at=stop,
                now=now,
            )
            key = (PolicyKind.OLA, target.metric, stay.group_id, stay.start)
            timer = (existing.pop(key) if key in existing else None) or SlaTimer(
                ticket=ticket,
                kind=PolicyKind.OLA,
                metric=target.metric,
                group_id=stay.group_id,
                started_at=stay.start,
            )
            keep.append(_apply(timer, ola, target, figures, now))

    # Timers of a policy that no longer applies are cancelled, not deleted:
    # their history stays visible on the ticket.
    for timer in existing.values():
        if timer.state != "cancelled":
            timer.state = "cancelled"
            timer.due_at = timer.warn_at = None
            timer.stopped_at = timer.stopped_at or now
            timer.computed_at = now
            keep.append(timer)
    for timer in keep:
        if timer.pk is None:
            timer.save()
        else:
            # Never write the fired marks here: the worker owns them, and a
            # recompute racing with it must not undo a firing.
            timer.save(update_fields=COMPUTED_FIELDS)
    return keep


def _fire(timer: SlaTimer, *, kind: EventKind, now: datetime, message: str) -> None:
    TicketEvent.objects.create(
        ticket_id=timer.ticket_id,
        actor=None,
        at=now,
        kind=kind,
        field=f"{timer.kind}.{timer.metric}",
        message=message,
    )


def _describe(timer: SlaTimer) -> str:
    whose = f"OLA of {timer.group}" if timer.kind == PolicyKind.OLA else "SLA"
    return f"{whose} {timer.get_metric_display().lower()} ({timer.policy.name})"


def sla_fire_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Fire the warnings and breaches that are due. Safe with many workers:
    rows are claimed with SKIP LOCKED, re-checked after a recompute, and
    marked as fired in the same transaction as the timeline event."""
    now = now or timezone.now()
    fired = 0
    with transaction.atomic():
        claimed = list(
            due_timers(now)
            .select_for_update(skip_locked=True)
            .select_related("policy", "group")
            .order_by("due_at")[:limit]
        )
        tickets = {t.ticket_id for t in claimed}
        for ticket in Ticket.objects.filter(pk__in=tickets).select_related("customer", "service"):
            sla_refresh(ticket=ticket, now=now)
        for timer in SlaTimer.objects.filter(pk__in=[t.pk for t in claimed]).select_related(
            "policy", "group"
        ):
            breach_due = timer.breach_fired_at is None and timer.due_at and timer.due_at <= now
            if breach_due and timer.due_at is not None:
                timer.breach_fired_at = now
                # A worker catching up fires the breach alone: its warning is moot.
                timer.warning_fired_at = timer.warning_fired_at or now
                _fire(
                    timer,
                    kind=EventKind.SLA_BREACHED,
                    now=now,
                    message=f"{_describe(timer)} breached at {timer.due_at:%Y-%m-%d %H:%M} UTC",
                )
                fired += 1
            elif timer.warning_fired_at is None and timer.warn_at and timer.warn_at <= now:
                timer.warning_fired_at = now
                _fire(
                    timer,
                    kind=EventKind.SLA_WARNING,
                    now=now,
                    message=f"{_describe(timer)}: {timer.policy.warn_at_percent}% used, "
                    f"due {timer.due_at:%Y-%m-%d %H:%M} UTC",
                )
                fired += 1
            timer.save(update_fields=["warning_fired_at", "breach_fired_at"])
    if fired:
        logger.info("fired %d SLA warnings/breaches", fired)
    return fired
