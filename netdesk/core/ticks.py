"""Ticks: periodic work as a queued task that queues its successor, so it
survives restarts without a separate scheduler. A tick missed while every
process was down runs when a worker comes back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks.base import Task
from django_tasks_db.models import DBTaskResult


def tick_schedule(tick: Task[[], Any], *, run_after: datetime | None = None) -> bool:
    """Queue `tick` to run at `run_after` (now when None) unless a run of it
    is already waiting; True when this call queued it. Two workers racing
    here may queue two runs, so a tick must be safe to run twice (claim its
    rows with a lock, or do work that repeats harmlessly)."""
    waiting = DBTaskResult.objects.filter(
        task_path=tick.module_path, status=TaskResultStatus.READY
    ).exists()
    if waiting:
        return False
    tick.using(run_after=run_after or timezone.now()).enqueue()
    return True
