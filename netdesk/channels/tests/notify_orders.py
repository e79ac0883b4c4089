"""Notify orders in tests: taken as a request takes them, then carried out
as a worker would run the queued tasks."""

from __future__ import annotations

from typing import Any

from django_tasks import TaskResultStatus
from django_tasks.base import Task
from django_tasks_db.models import DBTaskResult

from netdesk.channels.models import NotifyOrder
from netdesk.channels.tasks import incident_notify_send, incident_notify_start


def tasks_run(task: Task[Any, int]) -> int:
    """Run the waiting runs of `task`, oldest first, as a worker would; the
    sum of what they returned."""
    waiting = DBTaskResult.objects.filter(
        task_path=task.module_path, status=TaskResultStatus.READY
    ).order_by("enqueued_at")
    done = 0
    for row in waiting:
        done += task.call(*row.args_kwargs["args"])
        row.delete()
    return done


def notify(**options: Any) -> NotifyOrder:
    """Order the notice (`incident_notify_start`), run the task, and answer
    the order as it ended."""
    order = incident_notify_start(**options)
    tasks_run(incident_notify_send)
    order.refresh_from_db()
    return order
