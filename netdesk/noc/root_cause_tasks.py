"""The root-cause ranking relearns this network's alarm history every night
(type priors and precedence from the last 90 days of incidents). A queued
task that queues its successor, like the complaint baselines
(`netdesk.noc.tasks`), so it survives restarts without a separate
scheduler."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone
from django_tasks import task

from netdesk.core.ticks import tick_schedule
from netdesk.noc.services.root_cause import root_cause_learn

LEARN_DAYS = 90
LEARN_AT = time(3, 30)  # UTC, after the complaint baselines


def _next_run(now: datetime) -> datetime:
    run = datetime.combine(now.date(), LEARN_AT, tzinfo=now.tzinfo)
    return run if run > now else run + timedelta(days=1)


@task()
def root_cause_relearn() -> int:
    """Returns the number of alarms learned from (0: nothing to learn yet)."""
    now = timezone.now()
    model = root_cause_learn(since=now - timedelta(days=LEARN_DAYS), until=now, now=now)
    schedule_root_cause_relearn()
    return model.alarms if model is not None else 0


def schedule_root_cause_relearn() -> None:
    tick_schedule(root_cause_relearn, run_after=_next_run(timezone.now()))


def ensure_root_cause_relearn() -> None:
    """Called when a worker starts: make sure the nightly relearning is queued."""
    schedule_root_cause_relearn()
