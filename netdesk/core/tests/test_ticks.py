"""A tick is queued once however often it is asked for, at the time asked,
and queued again once the waiting run has been taken."""

from datetime import UTC, datetime
from typing import Any

import pytest
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from netdesk.core.ticks import tick_schedule

pytestmark = pytest.mark.django_db


@task()
def sample_tick() -> int:
    return 1


def waiting_runs() -> list[DBTaskResult[Any, Any]]:
    return list(
        DBTaskResult.objects.filter(
            task_path=sample_tick.module_path, status=TaskResultStatus.READY
        )
    )


def test_a_tick_asked_for_twice_is_queued_once_at_the_time_asked():
    at = datetime(2030, 1, 1, 3, 0, tzinfo=UTC)

    assert tick_schedule(sample_tick, run_after=at) is True
    assert tick_schedule(sample_tick) is False

    [run] = waiting_runs()
    assert run.run_after == at


def test_a_tick_is_queued_again_once_the_waiting_run_is_taken():
    tick_schedule(sample_tick)
    DBTaskResult.objects.filter(task_path=sample_tick.module_path).update(
        status=TaskResultStatus.RUNNING
    )

    assert tick_schedule(sample_tick) is True
    assert len(waiting_runs()) == 1
