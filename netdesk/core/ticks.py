"""Ticks: periodic work as a queued task that queues its successor, so it
survives restarts without a separate scheduler. A tick missed while every
process was down runs when a worker comes back.

A worker killed while it runs a tick (SIGKILL, the machine lost) leaves
that run marked running for good, and its successor is never queued: the
other workers would go on without that tick until a worker starts. So each
worker looks every minute for tick runs started longer than
ABANDONED_AFTER ago and still marked running (`ticks_abandoned`), marks
them failed, and starts the ticks again as a starting worker does
(`netdesk worker`, NETDESK_WORKER_STARTUP)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks.base import Task
from django_tasks_db.models import DBTaskResult

# Longer than any tick runs (they work in budgets of seconds and queue the
# rest); a tick still running after this has lost its worker. Should one
# really run longer, a second run beside it is harmless (see tick_schedule).
ABANDONED_AFTER = timedelta(minutes=10)
ABANDONED_MESSAGE = "the worker running this tick stopped without finishing it"


class Abandoned(Exception):
    """Recorded as the failure of a tick run whose worker stopped mid-run."""


# The ticks this process has queued, by task path: a worker queues them all
# when it starts.
_ticks: set[str] = set()
# A worker's watch thread reads the set while its tasks may add to it.
_ticks_lock = threading.Lock()


def tick_schedule(tick: Task[[], Any], *, run_after: datetime | None = None) -> bool:
    """Queue `tick` to run at `run_after` (now when None) unless a run of it
    is already waiting; True when this call queued it. Two workers racing
    here may queue two runs, so a tick must be safe to run twice (claim its
    rows with a lock, or do work that repeats harmlessly)."""
    with _ticks_lock:
        _ticks.add(tick.module_path)
    waiting = DBTaskResult.objects.filter(
        task_path=tick.module_path, status=TaskResultStatus.READY
    ).exists()
    if waiting:
        return False
    tick.using(run_after=run_after or timezone.now()).enqueue()
    return True


def ticks_abandoned(*, now: datetime | None = None) -> int:
    """Mark as failed the runs of known ticks still marked running
    ABANDONED_AFTER after they started; how many. The caller then queues
    the ticks again (their successors were never queued)."""
    now = now or timezone.now()
    with _ticks_lock:
        paths = sorted(_ticks)
    return DBTaskResult.objects.filter(
        task_path__in=paths,
        status=TaskResultStatus.RUNNING,
        started_at__lt=now - ABANDONED_AFTER,
    ).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path="netdesk.core.ticks.Abandoned",
        traceback=ABANDONED_MESSAGE,
    )
