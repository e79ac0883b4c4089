"""The chat tick: silent visitors' chats end, chats nobody took in time
become tickets (the visitor is told), old live events go, and the tick
queues its successor once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from netdesk.chat.models import Chat, ChatState, EndedBy
from netdesk.chat.services.visitor import chat_time_out
from netdesk.chat.tasks import chat_tick, ensure_chat_tick
from netdesk.core.live import live_cursor, live_publish, live_read
from netdesk.core.models import LiveEvent
from tests import factories as f

pytestmark = pytest.mark.django_db


def start(client: Client, **fields: Any) -> Chat:
    response = client.post("/chat/v/start", fields, content_type="application/json")
    assert response.status_code == 201
    return Chat.objects.get(public_id=response.json()["chat"])


def test_a_silent_visitors_chat_ends_and_the_agent_hears_it(client: Client, settings) -> None:
    settings.NETDESK_CHAT_IDLE_MINUTES = 15
    with_agent = start(client)
    agent = f.user()
    silent = timezone.now() - timedelta(minutes=16)
    Chat.objects.filter(pk=with_agent.pk).update(
        agent=agent, state=ChatState.ACTIVE, last_visitor_at=silent
    )
    waiting_at_notice = start(client)
    Chat.objects.filter(pk=waiting_at_notice.pk).update(queued_at=None, last_visitor_at=silent)
    still_here = start(client)
    Chat.objects.filter(pk=still_here.pk).update(
        state=ChatState.ACTIVE, agent=agent, last_visitor_at=timezone.now() - timedelta(minutes=14)
    )
    cursor = live_cursor()

    assert chat_tick.call() == 2

    with_agent.refresh_from_db()
    assert (with_agent.state, with_agent.ended_by) == (ChatState.ENDED, EndedBy.TIMEOUT)
    waiting_at_notice.refresh_from_db()
    assert (waiting_at_notice.state, waiting_at_notice.ended_by) == (
        ChatState.ABANDONED,
        EndedBy.TIMEOUT,
    )
    still_here.refresh_from_db()
    assert still_here.state == ChatState.ACTIVE
    heard = live_read(streams=[f"agent:{agent.pk}"], after=cursor)
    assert [(e.kind, e.payload["chat"], e.payload["state"]) for e in heard] == [
        ("chat_state", with_agent.public_id, "ended")
    ]


def test_a_visitor_who_wrote_meanwhile_keeps_the_chat(client: Client) -> None:
    chat = start(client)
    checked_at = timezone.now()
    # The tick read the chat as silent; the visitor wrote before it locked.
    assert chat_time_out(chat=chat, silent_since=checked_at - timedelta(minutes=15)) is False
    chat.refresh_from_db()
    assert chat.state == ChatState.QUEUED


def test_a_chat_nobody_took_in_time_becomes_a_ticket(client: Client, settings) -> None:
    settings.NETDESK_CHAT_QUEUE_WAIT_SECONDS = 120
    customer = f.customer()
    late = start(client, account=customer.account_number, email="ann@example.net")
    late.messages.create(sender="visitor", body="My line is down", created_at=timezone.now())
    Chat.objects.filter(pk=late.pk).update(queued_at=timezone.now() - timedelta(seconds=121))
    recent = start(client)
    at_notice = start(client)
    Chat.objects.filter(pk=at_notice.pk).update(
        queued_at=None, started_at=timezone.now() - timedelta(hours=1)
    )
    cursor = live_cursor()

    assert chat_tick.call() == 1

    late.refresh_from_db()
    assert late.state == ChatState.UNANSWERED
    assert late.ticket is not None
    assert late.ticket.customer == customer
    assert "My line is down" in late.ticket.description
    told = live_read(streams=[f"chat:{late.public_id}"], after=cursor)
    assert [e.kind for e in told] == ["message", "state"]
    assert late.ticket.reference in told[0].payload["body"]
    recent.refresh_from_db()
    at_notice.refresh_from_db()
    assert recent.state == ChatState.QUEUED
    assert at_notice.state == ChatState.QUEUED


def test_old_live_events_go_and_the_tick_queues_its_successor_once() -> None:
    old = live_publish(stream="chat:CH-old", kind="message")
    LiveEvent.objects.filter(pk=old).update(created_at=timezone.now() - timedelta(hours=2))
    kept = live_publish(stream="chat:CH-new", kind="message")

    ensure_chat_tick()
    ensure_chat_tick()
    waiting = DBTaskResult.objects.filter(
        task_path=chat_tick.module_path, status=TaskResultStatus.READY
    )
    assert waiting.count() == 1
    DBTaskResult.objects.all().delete()

    assert chat_tick.call() == 0
    assert list(LiveEvent.objects.values_list("pk", flat=True)) == [kept]
    [successor] = waiting
    assert successor.run_after > timezone.now() + timedelta(seconds=10)
