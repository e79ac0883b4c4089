"""Chats in the background: a tick that ends chats whose visitor went
silent, turns chats nobody took in time into tickets, and drops live events
nobody will read any more, then queues the next tick. Several workers may
run it at once: each chat is re-checked under its lock before it changes."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from netdesk.chat.models import Chat, ChatState
from netdesk.chat.services.transcript import chat_unanswered
from netdesk.chat.services.visitor import chat_time_out
from netdesk.core.live import live_prune
from netdesk.core.ticks import tick_schedule

logger = logging.getLogger(__name__)

TICK_SECONDS = 15
# Chats one tick changes of each kind; a full batch brings the next tick at once.
BATCH = 100
# A widget replays at most this much of its chat after a reload; agents'
# pages catch up from their own reads.
LIVE_EVENTS_KEPT = timedelta(hours=1)


def chats_time_out(*, now: datetime, limit: int = BATCH) -> int:
    """End the open chats whose visitor has been silent for
    NETDESK_CHAT_IDLE_MINUTES; how many ended."""
    silent_since = now - timedelta(minutes=settings.NETDESK_CHAT_IDLE_MINUTES)
    silent = Chat.objects.filter(
        state__in=[ChatState.QUEUED, ChatState.ACTIVE], last_visitor_at__lt=silent_since
    ).order_by("last_visitor_at", "id")[:limit]
    return sum(chat_time_out(chat=chat, silent_since=silent_since) for chat in silent)


def chats_unanswered(*, now: datetime, limit: int = BATCH) -> int:
    """Hand the chats that waited in the queue longer than
    NETDESK_CHAT_QUEUE_WAIT_SECONDS to a ticket (the visitor is told);
    how many were handed over."""
    waited_since = now - timedelta(seconds=settings.NETDESK_CHAT_QUEUE_WAIT_SECONDS)
    waiting = Chat.objects.filter(state=ChatState.QUEUED, queued_at__lt=waited_since).order_by(
        "queued_at", "id"
    )[:limit]
    handed = 0
    for chat in waiting:
        try:
            # Re-checked under the chat's lock: one taken meanwhile stays.
            handed += chat_unanswered(chat=chat).state == ChatState.UNANSWERED
        except Exception:
            # One chat that cannot become a ticket must not hold up the others.
            logger.exception("chat %s: could not be handed to a ticket", chat.public_id)
    return handed


@task()
def chat_tick() -> int:
    """Time out silent chats, hand over unanswered ones, prune old live
    events; how many chats changed."""
    changed = 0
    full = False
    try:
        now = timezone.now()
        timed_out = chats_time_out(now=now)
        handed = chats_unanswered(now=now)
        changed = timed_out + handed
        full = timed_out >= BATCH or handed >= BATCH
        live_prune(older_than=LIVE_EVENTS_KEPT)
    finally:
        schedule_chat_tick(delay=timedelta(seconds=0 if full else TICK_SECONDS))
    return changed


def schedule_chat_tick(*, delay: timedelta = timedelta(0)) -> None:
    """Queue the next tick unless one is waiting; two racing workers may
    queue two, which is harmless (each chat is checked under its lock)."""
    tick_schedule(chat_tick, run_after=timezone.now() + delay)


def ensure_chat_tick() -> None:
    """Called when a worker starts (NETDESK_WORKER_STARTUP)."""
    schedule_chat_tick()
