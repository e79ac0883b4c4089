"""NOC background work: the complaint-spike detector relearns what normal
looks like every night, from the last eight weeks of tickets. A queued task
that queues its successor, like the service-level tick, so it survives
restarts without a separate scheduler."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone
from django_tasks import task

from netdesk.core.ticks import tick_schedule
from netdesk.noc.services.baselines import baselines_learn

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
