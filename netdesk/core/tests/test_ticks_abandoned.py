"""A tick run left marked running by a killed worker is noticed after
ABANDONED_AFTER, marked failed, and the ticks are queued again; a run still
within its time, and tasks that are not ticks, are left alone."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from netdesk.core.management.commands.worker import ticks_start
from netdesk.core.ticks import ABANDONED_AFTER, tick_schedule, ticks_abandoned
from netdesk.sla.tasks import sla_tick

pytestmark = pytest.mark.django_db


@task()
def one_off() -> int:
    return 1


def _running(path: str, started_ago: timedelta) -> DBTaskResult[Any, Any]:
    now = timezone.now()
    return DBTaskResult.objects.create(
        task_path=path,
        status=TaskResultStatus.RUNNING,
        started_at=now - started_ago,
        run_after=now - started_ago,
        args_kwargs={"args": [], "kwargs": {}},
        backend_name="default",
        worker_ids=["killed-worker"],
    )


def test_a_tick_whose_worker_died_is_started_again():
    tick_schedule(sla_tick)
    DBTaskResult.objects.all().delete()
    dead = _running(sla_tick.module_path, ABANDONED_AFTER + timedelta(seconds=5))
    fresh = _running(sla_tick.module_path, timedelta(seconds=30))
    other = _running(one_off.module_path, ABANDONED_AFTER * 3)
    assert ticks_abandoned() == 1
    dead.refresh_from_db()
    fresh.refresh_from_db()
    other.refresh_from_db()
    assert dead.status == TaskResultStatus.FAILED
    assert dead.finished_at is not None
    assert (fresh.status, other.status) == (TaskResultStatus.RUNNING, TaskResultStatus.RUNNING)
    assert ticks_abandoned() == 0
    ticks_start()
    waiting = DBTaskResult.objects.filter(
        task_path=sla_tick.module_path, status=TaskResultStatus.READY
    )
    assert waiting.count() == 1
