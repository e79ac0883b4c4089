"""Live events: published rows are read after a cursor, and a request
waiting on a stream wakes when another thread commits an event to it."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from netdesk.core import live
from netdesk.core.live import live_cursor, live_prune, live_publish, live_read, live_wait
from netdesk.core.models import LiveEvent
from tests import factories


@pytest.mark.django_db
def test_read_after_cursor_by_stream() -> None:
    start = live_cursor()
    first = live_publish(stream="chat:1", kind="message", payload={"text": "hello"})
    live_publish(stream="chat:2", kind="message", payload={"text": "other"})
    second = live_publish(stream="chat:1", kind="typing")
    items = live_read(streams=["chat:1"], after=start)
    assert [i.id for i in items] == [first, second]
    assert items[0].payload == {"text": "hello"}
    assert live_read(streams=["chat:1"], after=second) == []
    assert live_wait(streams=["chat:1"], after=start, timeout=0)[0].id == first


@pytest.mark.django_db
def test_wait_times_out_empty() -> None:
    began = time.monotonic()
    assert live_wait(streams=["nobody"], after=live_cursor(), timeout=0.3) == []
    assert time.monotonic() - began >= 0.3


@pytest.mark.django_db(transaction=True)
def test_wait_wakes_on_commit_from_another_thread() -> None:
    after = live_cursor()

    def later() -> None:
        time.sleep(0.3)
        live_publish(stream="agent:9", kind="call_ringing", payload={"call": "c1"})

    writer = threading.Thread(target=later)
    writer.start()
    began = time.monotonic()
    items = live_wait(streams=["agent:9", "agent:10"], after=after, timeout=10)
    waited = time.monotonic() - began
    writer.join()
    assert [i.kind for i in items] == ["call_ringing"]
    # Woken by the waker, not by the fallback read every few seconds.
    assert waited < 2.0


@pytest.mark.django_db(transaction=True)
def test_a_waker_that_failed_hands_out_what_was_committed_while_it_was_away(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The waker starts again from where it stood, not from the newest event
    then: a call ringing while it was away still wakes its agent at once
    rather than after the listener's own fallback read."""
    after = live_cursor()
    read_all_after = live.live_all_after
    failed = threading.Event()

    def fails_once(seen: int) -> list[live.LiveItem]:
        if not failed.is_set():
            failed.set()
            raise RuntimeError("the connection went away")
        return read_all_after(seen)

    monkeypatch.setattr(live, "live_all_after", fails_once)

    def while_away() -> None:
        failed.wait(5)
        live_publish(stream="agent:11", kind="call_ringing", payload={"call": "c2"})

    writer = threading.Thread(target=while_away)
    writer.start()
    began = time.monotonic()
    items = live_wait(streams=["agent:11"], after=after, timeout=30)
    waited = time.monotonic() - began
    writer.join()
    assert failed.is_set()
    assert [i.kind for i in items] == ["call_ringing"]
    # The waker's restart pause (1 s), well short of the fallback read.
    assert waited < live.FALLBACK_SECONDS / 2


@pytest.mark.django_db
def test_prune_keeps_recent_events() -> None:
    live_publish(stream="chat:1", kind="message")
    LiveEvent.objects.update(created_at=LiveEvent.objects.first().created_at - timedelta(hours=2))  # type: ignore[union-attr]
    live_publish(stream="chat:1", kind="message")
    assert live_prune(older_than=timedelta(hours=1)) == 1
    assert LiveEvent.objects.count() == 1


def test_stream_name_is_checked() -> None:
    with pytest.raises(ValueError, match="stream"):
        live_publish(stream="", kind="x")


@pytest.mark.django_db
def test_agent_live_view_hears_own_stream_only(client: Client) -> None:
    url = reverse("agent_live")
    assert client.get(url).status_code == 401
    agent = factories.user()
    other = factories.user()
    client.force_login(agent)
    cursor = client.get(url).json()["cursor"]
    live_publish(stream=f"agent:{other.pk}", kind="call_ringing", payload={"call": "x"})
    mine = live_publish(stream=f"agent:{agent.pk}", kind="call_ringing", payload={"call": "y"})
    queue = live_publish(stream="agents", kind="chat_queue_changed")
    body = client.get(url, {"after": cursor, "wait": 0}).json()
    assert [e["id"] for e in body["events"]] == [mine, queue]
    assert body["cursor"] == queue
    refused = client.get(url, {"after": "soon"})
    assert refused.status_code == 400
    assert "soon" in refused.json()["detail"]


@pytest.mark.django_db
def test_past_the_waiting_limit_a_listener_is_answered_after_a_pause(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(live, "_waiting", threading.BoundedSemaphore(1))
    assert live._waiting.acquire(blocking=False)  # the one waiting thread is busy
    began = time.monotonic()
    assert live_wait(streams=["chat:busy"], after=live_cursor(), timeout=20) == []
    assert 0.9 <= time.monotonic() - began < 5
