"""Live events: what a browser waiting on a long poll hears at once (a chat
message, a visitor typing, a call ringing at an agent's extension).

The `LiveEvent` rows are the truth. A request waits in `live_wait` for rows
of its streams after a cursor (an event id). Per web process one waker
thread reads what was committed since it last looked and hands each waiting
request the events of its streams, so a hundred waiting requests cost one
query, and none of them holds a database connection:

- on PostgreSQL it LISTENs on one channel; `live_publish` sends a NOTIFY in
  the writer's transaction, heard at commit by every web process. Events are
  numbered again at commit (migration core 0005), so ids grow in the order
  events become visible and a cursor never passes one still to come;
- on SQLite (one machine, writes serialised, ids committed in order) it
  reads the newest rows every `POLL_SECONDS`.

A lost wake-up (the listening connection dropped, the waker restarting)
only delays delivery: the waker reads every `READ_EVERY_SECONDS` anyway, and
a waiting request reads for itself after `FALLBACK_SECONDS` without word.
Nothing that correctness depends on lives in the process; any web process
can serve any listener.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection, connections, transaction
from django.utils import timezone

from netdesk.core.compiled import CompiledInsert
from netdesk.core.connections import request_slot_set_aside
from netdesk.core.models import LiveEvent

logger = logging.getLogger("netdesk.live")

CHANNEL = "netdesk_live"
POLL_SECONDS = 0.05
FALLBACK_SECONDS = 10.0
READ_EVERY_SECONDS = 2.0
WAKER_READ_LIMIT = 1000
STOP_CHECK_SECONDS = 0.5
OVERFLOW_PAUSE_SECONDS = 1.0
READ_LIMIT = 200
STREAM_MAX = 100


@dataclass(frozen=True)
class LiveItem:
    id: int
    stream: str
    kind: str
    payload: dict[str, Any]
    at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "stream": self.stream,
            "kind": self.kind,
            "payload": self.payload,
            "at": self.at.isoformat(),
        }


def live_publish(*, stream: str, kind: str, payload: dict[str, Any] | None = None) -> int:
    """Record an event for the listeners of `stream`; heard when the current
    transaction commits (at once outside one). Returns the id it was written
    with; on PostgreSQL the event is numbered again when its transaction
    commits (migration core 0005), so ids grow in the order events become
    visible and a listener's cursor never passes one still to come."""
    if not stream or len(stream) > STREAM_MAX:
        raise ValueError(f"stream {stream!r}: 1 to {STREAM_MAX} characters")
    row = LiveEvent.objects.create(
        stream=stream, kind=kind, payload=payload or {}, created_at=timezone.now()
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, stream])
    return row.pk


# Every change's announcement: the statement built once from LiveEvent's _meta.
_EVENTS_INSERT = CompiledInsert(LiveEvent)


def live_publish_many(*, events: Sequence[tuple[str, str, dict[str, Any]]]) -> int:
    """Record several events (stream, kind, payload) in one INSERT and one
    wake-up: what a batch of changes costs whatever its size. Returns how
    many were written."""
    if not events:
        return 0
    for stream, _, _ in events:
        if not stream or len(stream) > STREAM_MAX:
            raise ValueError(f"stream {stream!r}: 1 to {STREAM_MAX} characters")
    now = timezone.now()
    rows = [
        LiveEvent(stream=stream, kind=kind, payload=payload, created_at=now)
        for stream, kind, payload in events
    ]
    if connection.vendor != "postgresql":
        _EVENTS_INSERT.insert(rows)
        return len(events)
    # The INSERT and the wake-up in one statement (a data-modifying WITH
    # runs to its end whatever the query reads of it): one round trip
    # after each commit instead of two. The waker reads every stream's new
    # rows on any notification.
    insert, params = _EVENTS_INSERT.statement(rows)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH added AS ({insert}) SELECT pg_notify(%s, %s)",
            [*params, CHANNEL, events[0][0]],
        )
    return len(events)


class _AfterCommit:
    """The events a transaction asked to publish after its commit, one per
    (stream, kind), the last payload winning."""

    def __init__(self) -> None:
        self.events: dict[tuple[str, str], dict[str, Any]] = {}
        self.flushed = False

    def flush(self) -> None:
        self.flushed = True
        events, self.events = self.events, {}
        live_publish_many(
            events=[(stream, kind, payload) for (stream, kind), payload in events.items()]
        )


_after_commit = threading.local()


Merge = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]


def live_publish_on_commit(
    *,
    stream: str,
    kind: str,
    payload: dict[str, Any] | None = None,
    merge: Merge | None = None,
) -> None:
    """Publish once the current transaction commits (at once outside one):
    the same (stream, kind) asked for many times in a transaction (a bulk
    change notifying one agent 500 times) is one event (the last payload,
    or `merge(earlier, new)`), and all of a transaction's are one INSERT. A batch whose publish went (committed,
    or dropped with a rollback) is never reused, so nothing of a
    transaction rolled back is published."""
    if not connection.in_atomic_block:
        live_publish_many(events=[(stream, kind, payload or {})])
        return
    batch: _AfterCommit | None = getattr(_after_commit, "batch", None)
    if (
        batch is None
        or batch.flushed
        or not any(batch.flush in entry for entry in connection.run_on_commit)
    ):
        batch = _AfterCommit()
        _after_commit.batch = batch
        transaction.on_commit(batch.flush)
    new = payload or {}
    earlier = batch.events.get((stream, kind))
    batch.events[(stream, kind)] = merge(earlier, new) if merge and earlier is not None else new


def live_read(*, streams: Sequence[str], after: int, limit: int = READ_LIMIT) -> list[LiveItem]:
    """The events of `streams` with an id above `after`, oldest first."""
    rows = LiveEvent.objects.filter(stream__in=list(streams), pk__gt=after).order_by("pk")[:limit]
    return [
        LiveItem(id=r.pk, stream=r.stream, kind=r.kind, payload=r.payload, at=r.created_at)
        for r in rows
    ]


def live_cursor() -> int:
    """The newest event id: where a listener that wants only what comes next starts."""
    newest = LiveEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    return newest or 0


def live_prune(*, older_than: timedelta) -> int:
    """Delete events older than `older_than` (listeners catch up from their
    own records, not from old events). Returns how many went."""
    deleted, _ = LiveEvent.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted


def live_wait(*, streams: Sequence[str], after: int, timeout: float) -> list[LiveItem]:
    """The events of `streams` after `after`, waiting up to `timeout` seconds
    for the first. While it waits the request holds no database connection
    on PostgreSQL: the process's waker reads new events once for all its
    waiting requests and hands each its own."""
    found = live_read(streams=streams, after=after)
    if found or timeout <= 0:
        return found
    if not _waiting.acquire(blocking=False):
        # Every thread kept for waiting is busy: the listener is answered
        # after a short pause rather than held, so the desk's other requests
        # keep their threads and an overloaded process degrades to polling.
        with request_slot_set_aside():
            time.sleep(min(timeout, OVERFLOW_PAUSE_SECONDS))
        return live_read(streams=streams, after=after)
    try:
        return _wait(streams=streams, after=after, timeout=timeout)
    finally:
        _waiting.release()


class _Listener:
    """One waiting request: its streams, its cursor, what it was handed."""

    def __init__(self, streams: Sequence[str], after: int) -> None:
        self.streams = tuple(streams)
        self.after = after
        self.bell = threading.Event()
        self.items: list[LiveItem] = []


def _wait(*, streams: Sequence[str], after: int, timeout: float) -> list[LiveItem]:
    listener = _Listener(streams, after)
    _waker().listen(listener)
    try:
        # Read once more now that the listener is registered: an event
        # committed between the first read and the registering was handed
        # to nobody.
        found = live_read(streams=streams, after=after)
        if found:
            return found
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            # A PostgreSQL connection per waiting request would exhaust the
            # server's; SQLite's cost nothing while idle.
            connection.close()
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            # The request's slot is another's while it waits (core.connections).
            with request_slot_set_aside():
                rang = listener.bell.wait(min(remaining, FALLBACK_SECONDS))
            if rang:
                handed = _waker().taken(listener)
                if handed:
                    return handed
            else:
                # No word from the waker for a while (it may be restarting):
                # read for ourselves.
                found = live_read(streams=streams, after=after)
                if found:
                    return found
    finally:
        _waker().forget(listener)


class _Waker:
    """Reads the events committed since it last looked, once per process,
    and hands each to the requests waiting on its stream. It looks when
    PostgreSQL notifies (and every READ_EVERY_SECONDS anyway), or every
    POLL_SECONDS on SQLite. One per process, started on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: dict[str, set[_Listener]] = {}
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        # The newest event the waker has handed out. It is taken once, by
        # the first listener before its second read, and kept when the
        # thread fails and starts again: a waker that took the newest id
        # for itself, later, would skip what was committed in between and
        # leave its listeners to their fallback read (FALLBACK_SECONDS).
        self._seen: int | None = None

    def listen(self, listener: _Listener) -> None:
        with self._lock:
            if self._seen is None:
                self._seen = live_cursor()
            for stream in listener.streams:
                self._listeners.setdefault(stream, set()).add(listener)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="live-waker", daemon=True)
                self._thread.start()

    def forget(self, listener: _Listener) -> None:
        with self._lock:
            for stream in listener.streams:
                waiting = self._listeners.get(stream)
                if waiting is not None:
                    waiting.discard(listener)
                    if not waiting:
                        del self._listeners[stream]

    def taken(self, listener: _Listener) -> list[LiveItem]:
        with self._lock:
            handed, listener.items = listener.items, []
            listener.bell.clear()
        return sorted(handed, key=lambda item: item.id)

    def hand_out(self, items: Iterable[LiveItem]) -> None:
        with self._lock:
            for item in items:
                for listener in self._listeners.get(item.stream, ()):
                    if item.id > listener.after:
                        listener.items.append(item)
                        listener.bell.set()

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Stop the waker thread and close its connections (the test suite
        does before it drops its database); the next wait starts it again."""
        with self._lock:
            thread = self._thread
            self._thread = None
        if thread is not None and thread.is_alive():
            self._stopping.set()
            thread.join(timeout=STOP_CHECK_SECONDS + 5)
        self._stopping.clear()
        self._seen = None

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                if connections["default"].vendor == "postgresql":
                    self._listen_postgres()
                else:
                    self._poll_sqlite()
            except Exception:
                # The waiting requests read for themselves meanwhile.
                logger.exception("live events: the waker failed; it starts again in 1 s")
                time.sleep(1.0)
            finally:
                connections["default"].close()

    def _read_new(self) -> None:
        """Hand out the events committed since the last read."""
        while True:
            rows = live_all_after(self._seen or 0)
            if rows:
                self.hand_out(rows)
                self._seen = rows[-1].id
            if len(rows) < WAKER_READ_LIMIT:
                return

    def _listen_postgres(self) -> None:
        params = connections["default"].get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        # psycopg is loaded here, on PostgreSQL only: a process on SQLite
        # never needs it, and importing it cost every start about 0.1 s.
        psycopg = importlib.import_module("psycopg")
        with psycopg.connect(**params, autocommit=True) as listener:
            listener.execute(f"LISTEN {CHANNEL}")
            # Listening first, then a read from where the waker stood:
            # nothing committed before the LISTEN (while the waker started
            # or was away) goes unheard.
            self._read_new()
            last_read = time.monotonic()
            while not self._stopping.is_set():
                # notifies() ends after the timeout, when the loop looks at
                # _stopping; a burst of notifications is one read.
                heard = list(listener.notifies(timeout=STOP_CHECK_SECONDS, stop_after=1))
                if heard or time.monotonic() - last_read >= READ_EVERY_SECONDS:
                    self._read_new()
                    last_read = time.monotonic()

    def _poll_sqlite(self) -> None:
        while not self._stopping.is_set():
            time.sleep(POLL_SECONDS)
            try:
                self._read_new()
            except OperationalError:
                # A shared-cache database (the test suite's in-memory one)
                # locks the table while another connection writes: read again.
                continue


def live_all_after(seen: int) -> list[LiveItem]:
    """Every stream's events after `seen`, oldest first (the waker's read)."""
    rows = LiveEvent.objects.filter(pk__gt=seen).order_by("pk")[:WAKER_READ_LIMIT]
    return [
        LiveItem(id=r.pk, stream=r.stream, kind=r.kind, payload=r.payload, at=r.created_at)
        for r in rows
    ]


_the_waker = _Waker()
# `netdesk serve` gives each web process this many threads on top of its
# request threads (NETDESK_LIVE_WAITERS).
_waiting = threading.BoundedSemaphore(settings.NETDESK_LIVE_WAITERS)


def _waker() -> _Waker:
    return _the_waker


def live_waker_stop() -> None:
    if _the_waker.running():
        _the_waker.stop()
