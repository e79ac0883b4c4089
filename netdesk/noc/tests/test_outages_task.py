"""The nightly relearning of complaint baselines is queued once and requeues itself."""

from datetime import UTC, datetime

import pytest
from django_tasks_db.models import DBTaskResult

from netdesk.noc.tasks import _next_run, complaint_baselines_relearn, ensure_relearn

pytestmark = pytest.mark.django_db


def test_next_run_is_the_coming_three_oclock():
    assert _next_run(datetime(2026, 3, 1, 2, 0, tzinfo=UTC)) == datetime(
        2026, 3, 1, 3, 0, tzinfo=UTC
    )
    assert _next_run(datetime(2026, 3, 1, 4, 0, tzinfo=UTC)) == datetime(
        2026, 3, 2, 3, 0, tzinfo=UTC
    )


def test_worker_start_queues_one_relearn_and_running_it_queues_the_next():
    ensure_relearn()
    ensure_relearn()
    waiting = DBTaskResult.objects.filter(task_path=complaint_baselines_relearn.module_path)
    assert waiting.count() == 1
    complaint_baselines_relearn.call()
    assert waiting.filter(status="READY").count() == 1
