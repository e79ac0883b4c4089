"""The service-level clock in the background: a tick that fires due
warnings and breaches, then queues the next tick. Ticks are ordinary queued
tasks, so they survive restarts; a tick missed while every process was down
runs when a worker comes back, and fires each overdue timer once."""

from __future__ import annotations

from datetime import timedelta
from time import monotonic

from django.utils import timezone
from django_tasks import task

from netdesk.core.ticks import tick_schedule
from netdesk.sla.firing import sla_claimable, sla_fire_due

TICK_SECONDS = 15


BATCH = 500
TICK_BUDGET_SECONDS = 10.0


@task()
def sla_tick() -> int:
    """Fire due batches for up to TICK_BUDGET_SECONDS, then queue the next
    tick: at once while a backlog remains, else after TICK_SECONDS. Other
    queued tasks get their turn between ticks."""
    started = monotonic()
    fired = claimed = 0
    while True:
        claimed = sla_claimable(limit=BATCH)
        if claimed:
            # Nothing due, no transaction: on SQLite even an empty one would
            # hold the database's writer turn.
            fired += sla_fire_due(limit=BATCH)
        if claimed < BATCH or monotonic() - started > TICK_BUDGET_SECONDS:
            break
    backlog = claimed >= BATCH
    schedule_sla_tick(delay=timedelta(seconds=0 if backlog else TICK_SECONDS))
    return fired


def schedule_sla_tick(*, delay: timedelta = timedelta(0)) -> None:
    """Queue the next tick unless one is already waiting. Two workers racing
    here may queue two ticks; that is harmless, as firing claims timers with
    SKIP LOCKED and marks them fired."""
    tick_schedule(sla_tick, run_after=timezone.now() + delay)


def ensure_sla_tick() -> None:
    """Called when a worker starts: make sure the clock is running."""
    schedule_sla_tick()
