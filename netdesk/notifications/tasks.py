"""Notifications in the background: a tick that deletes read notifications
older than NETDESK_NOTIFICATIONS_KEPT_DAYS (unread ones stay), then queues
the next. Running it twice at once is harmless: a delete of what is gone
deletes nothing."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from netdesk.core.ticks import tick_schedule
from netdesk.notifications.services import notifications_prune

TICK_HOURS = 6


@task()
def notifications_tick() -> int:
    """Prune old read notifications; how many went."""
    try:
        return notifications_prune(
            older_than=timedelta(days=settings.NETDESK_NOTIFICATIONS_KEPT_DAYS)
        )
    finally:
        tick_schedule(notifications_tick, run_after=timezone.now() + timedelta(hours=TICK_HOURS))


def ensure_notifications_tick() -> None:
    """Called when a worker starts (NETDESK_WORKER_STARTUP)."""
    tick_schedule(notifications_tick)
