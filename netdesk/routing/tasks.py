"""Routing in the background: a tick that re-routes waiting tickets as
their service-level time runs out (soft requirements relax), then queues
the next tick. Like the SLA clock, ticks are ordinary queued tasks. They
run only while some group routes by skill: enabling a group starts them,
and the last group switched off lets them stop."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from netdesk.core.ticks import tick_schedule
from netdesk.routing.models import GroupRouting
from netdesk.routing.services.tickets import routing_sweep

TICK_SECONDS = 60
BATCH = 200


@task()
def routing_tick() -> int:
    """One sweep over the waiting tickets, then the next tick."""
    if not _routing_used():
        return 0
    assigned = routing_sweep(limit=BATCH)
    schedule_routing_tick(delay=timedelta(seconds=TICK_SECONDS))
    return assigned


def schedule_routing_tick(*, delay: timedelta = timedelta(0)) -> None:
    """Queue the next tick unless one is waiting. Two workers racing here
    may queue two; the sweep locks each ticket, so that is harmless."""
    tick_schedule(routing_tick, run_after=timezone.now() + delay)


def _routing_used() -> bool:
    return GroupRouting.objects.filter(enabled=True).exists()


def ensure_routing_tick() -> None:
    """Called when a worker starts (NETDESK_WORKER_STARTUP) and when a group
    is set to route by skill."""
    if _routing_used():
        schedule_routing_tick()
