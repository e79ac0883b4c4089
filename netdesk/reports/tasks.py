"""Scheduled reports in the background: a tick every minute sends the
subscriptions that are due, then queues the next tick. Ticks are ordinary
queued tasks (netdesk.core.ticks), so they survive restarts; they run while
some subscription is active, and a new subscription starts them."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from netdesk.core.ticks import tick_schedule
from netdesk.reports.models import ReportSubscription
from netdesk.reports.sending import BATCH, subscriptions_send_due

TICK_SECONDS = 60


@task()
def report_subscriptions_tick() -> int:
    """Send the due subscriptions (a batch; at once again while more are
    due), then the next tick."""
    if not _subscriptions_active():
        return 0
    ran = subscriptions_send_due(limit=BATCH)
    schedule_report_tick(delay=timedelta(seconds=0 if ran >= BATCH else TICK_SECONDS))
    return ran


def schedule_report_tick(*, delay: timedelta = timedelta(0)) -> None:
    """Queue the next tick unless one is waiting. Two workers racing here
    may queue two; each subscription is claimed with SKIP LOCKED and moved
    to its next time in the same transaction, so none is sent twice."""
    tick_schedule(report_subscriptions_tick, run_after=timezone.now() + delay)


def _subscriptions_active() -> bool:
    return ReportSubscription.objects.filter(is_active=True).exists()


def ensure_report_tick() -> None:
    """Called when a worker starts (NETDESK_WORKER_STARTUP) and when a
    subscription is made."""
    if _subscriptions_active():
        schedule_report_tick()
