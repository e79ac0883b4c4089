"""Reports in the background: the rollup tick keeps the dashboards'
precomputed figures current (the last NETDESK_ROLLUP_DAYS days, every
NETDESK_ROLLUP_MINUTES minutes), and once a day it sends the report of each
service plan whose period ended (`netdesk.reports.plans`)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone
from django_tasks import task

from netdesk.core.ticks import tick_schedule
from netdesk.reports.plans import plans_report_due
from netdesk.reports.rollups import rollup_days
from netdesk.tickets import kpis

logger = logging.getLogger(__name__)


def rollup_recent(*, now: datetime | None = None) -> int:
    """Recompute the figures of the last NETDESK_ROLLUP_DAYS days (today
    included); the number of figure rows they have (written only where
    they changed)."""
    today = timezone.localdate(now) if now else timezone.localdate()
    # A resolution's hold is decided when its window has passed: the days
    # recomputed reach back past the window, so the stored day learns it.
    days = max(settings.NETDESK_ROLLUP_DAYS, kpis.held_window().days + 2)
    first = today - timedelta(days=days - 1)
    return rollup_days(first=first, last=today, now=now)


@task()
def rollup_tick() -> int:
    """Recompute the recent days, send the plan reports that are due, then
    queue the next tick. Both steps repeat harmlessly: the days are
    replaced, and a plan's report is claimed under a lock."""
    try:
        written = rollup_recent()
    except IntegrityError:
        # Another worker's tick replaced the same days at the same moment:
        # its figures are the same, so this run's are not needed.
        logger.info("rollup tick: the recent days were being replaced by another worker")
        written = 0
    plans_report_due(now=timezone.now())
    schedule_rollup_tick(delay=timedelta(minutes=settings.NETDESK_ROLLUP_MINUTES))
    return written


def schedule_rollup_tick(*, delay: timedelta = timedelta(0)) -> None:
    tick_schedule(rollup_tick, run_after=timezone.now() + delay)


def ensure_rollup_tick() -> None:
    """Called when a worker starts (NETDESK_WORKER_STARTUP)."""
    schedule_rollup_tick()
