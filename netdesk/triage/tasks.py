"""Triage's background work: the classifier is trained again on the desk's
resolved tickets every `retrain_hours` of the policy. A queued task that
queues its successor (netdesk.core.ticks), so it survives restarts without
a separate scheduler."""

from __future__ import annotations

import importlib
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone
from django_tasks import task

from netdesk.core.ticks import tick_schedule
from netdesk.triage.selectors import active_model, policy

if TYPE_CHECKING:
    from netdesk.triage.learning import Training

logger = logging.getLogger("netdesk.triage")


def _next_run(now: datetime) -> datetime:
    """`retrain_hours` after the active model was trained; now when none was."""
    model = active_model()
    if model is None:
        return now
    return max(now, model.trained_at + timedelta(hours=policy().retrain_hours))


@task()
def triage_retrain() -> int:
    """Train, then queue the next training; the tickets trained on."""
    now = timezone.now()
    training = _train(now)
    logger.info("Triage training: %s", training.note)
    schedule_retrain(after=now + timedelta(hours=policy().retrain_hours))
    return training.tickets


def _train(now: datetime) -> Training:
    """Training, loaded when a worker runs it: a web process imports this
    module to queue a training ("Train now"), and learning brings
    scikit-learn (about 1.5 s and tens of megabytes) that no request needs."""
    learning = importlib.import_module("netdesk.triage.learning")
    training: Training = learning.triage_train(now=now)
    return training


def schedule_retrain(*, after: datetime | None = None) -> bool:
    """Queue the next scheduled training (unless one waits already)."""
    return tick_schedule(triage_retrain, run_after=after or _next_run(timezone.now()))


def triage_train_soon() -> None:
    """A manager's "Train now": a run beside the scheduled one, which stays."""
    triage_retrain.enqueue()


def ensure_triage_retrain() -> None:
    """Called when a worker starts: make sure the retraining is queued."""
    schedule_retrain()
