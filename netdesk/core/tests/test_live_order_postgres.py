"""On PostgreSQL an event written early by a transaction that commits late
is still heard: events are numbered at commit, so a listener's cursor never
passes one still to come."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from netdesk.core.live import (
    READ_EVERY_SECONDS,
    live_cursor,
    live_publish,
    live_publish_many,
    live_read,
    live_wait,
)


@pytest.mark.django_db(transaction=True)
def test_an_event_committed_late_is_not_skipped() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite commits one writer at a time")
    start = live_cursor()
    written = threading.Event()
    commit_now = threading.Event()

    def slow_writer() -> None:
        with transaction.atomic():
            live_publish(stream="chat:order", kind="message", payload={"n": "early"})
            written.set()
            commit_now.wait(10)
        connection.close()

    slow = threading.Thread(target=slow_writer)
    slow.start()
    assert written.wait(10)
    # Given a later event committed while the early one's transaction is open
    live_publish(stream="chat:order", kind="message", payload={"n": "late"})
    first = live_read(streams=["chat:order"], after=start)
    assert [item.payload["n"] for item in first] == ["late"]
    cursor = first[-1].id
    # When the early transaction commits
    commit_now.set()
    slow.join(10)
    # Then a listener at the cursor hears it, by reading and by waiting
    assert [item.payload["n"] for item in live_read(streams=["chat:order"], after=cursor)] == [
        "early"
    ]
    assert [
        item.payload["n"] for item in live_wait(streams=["chat:order"], after=cursor, timeout=5)
    ] == ["early"]


@pytest.mark.django_db(transaction=True)
def test_the_waker_hands_a_waiting_request_its_event() -> None:
    after = live_cursor()

    def later() -> None:
        threading.Event().wait(0.4)
        live_publish(stream="agent:77", kind="call_answered", payload={"call": 1})
        live_publish(stream="agent:78", kind="call_answered", payload={"call": 2})
        connection.close()

    writer = threading.Thread(target=later)
    writer.start()
    items = live_wait(streams=["agent:77"], after=after, timeout=8)
    writer.join()
    assert [item.payload for item in items] == [{"call": 1}]


@pytest.mark.django_db(transaction=True)
def test_an_announcement_of_several_events_wakes_the_waiter_at_once() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's waker polls")
    # The INSERT and its NOTIFY go in one statement (live_publish_many):
    # the waiter hears it long before the waker's fallback read.
    after = live_cursor()

    def later() -> None:
        threading.Event().wait(0.4)
        live_publish_many(
            events=[("agent:81", "call_answered", {"call": 3}), ("agent:82", "x", {})]
        )
        connection.close()

    writer = threading.Thread(target=later)
    writer.start()
    began = time.monotonic()
    items = live_wait(streams=["agent:81"], after=after, timeout=8)
    waited = time.monotonic() - began
    writer.join()
    assert [item.payload for item in items] == [{"call": 3}]
    assert waited < 0.4 + READ_EVERY_SECONDS - 0.5
