"""NOC background work: the complaint-spike detector relearns what normal
looks like every night, from the last eight weeks of tickets, and every
minute the desk closes incidents whose alarms stayed clear (and splits off
parts that did). Queued tasks that queue their successor, like the
service-level tick, so they survive restarts without a separate scheduler."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone
from django_tasks import task

from netdesk.core.ticks import tick_schedule
from netdesk.noc.services.baselines import baselines_learn
from netdesk.noc.services.lifecycle import incidents_close_quiet

LEARN_DAYS = 56
LEARN_AT = time(3, 0)  # UTC, when desks are quiet


def _next_run(now: datetime) -> datetime:
    run = datetime.combine(now.date(), LEARN_AT, tzinfo=now.tzinfo)
    return run if run > now else run + timedelta(days=1)


@task()
def complaint_baselines_relearn() -> int:
    now = timezone.now()
    learned = baselines_learn(since=now - timedelta(days=LEARN_DAYS), until=now)
    schedule_relearn()
    return learned.complaints


def schedule_relearn() -> None:
    tick_schedule(complaint_baselines_relearn, run_after=_next_run(timezone.now()))


def ensure_relearn() -> None:
    """Called when a worker starts: make sure the nightly relearning is queued."""
    schedule_relearn()


# The hold time is 15 minutes; a minute late is close enough for closing.
QUIET_TICK = timedelta(minutes=1)


@task()
def incidents_quiet_tick() -> int:
    """Move incidents whose alarms all cleared to monitoring, resolve them
    after the hold time, split off parts that cleared; then queue the next
    run, whatever happened in this one. Safe to run twice at once: each
    incident is handled under its row lock, and a second pass finds it done."""
    try:
        result = incidents_close_quiet(now=timezone.now())
    finally:
        schedule_quiet_tick(delay=QUIET_TICK)
    return len(result.resolved) + len(result.split)


def schedule_quiet_tick(*, delay: timedelta = timedelta(0)) -> None:
    tick_schedule(incidents_quiet_tick, run_after=timezone.now() + delay)


def ensure_quiet_tick() -> None:
    """Called when a worker starts: make sure quiet incidents get closed."""
    schedule_quiet_tick()
