"""Live events: what a browser waiting on a long poll hears at once (a chat
message, a visitor typing, a call ringing at an agent's extension).

The `LiveEvent` rows are the truth. A request waits in `live_wait` for rows
of its streams after a cursor; a per-process waker thread only tells waiting
requests *when* to read again:

- on PostgreSQL it LISTENs on one channel; `live_publish` sends a NOTIFY in
  the writer's transaction, so it is heard at commit, by every web process;
- on SQLite (one machine, writes serialised, ids committed in order) it
  reads the newest rows every `POLL_SECONDS` from its own connection.

A lost wake-up (the listening connection dropped, a process busy) only
delays delivery: a waiting request reads again every `FALLBACK_SECONDS`
anyway. Nothing that correctness depends on lives in the process; any web
process can serve any listener.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from django.conf import settings
from django.db import OperationalError, connection, connections
from django.utils import timezone

from netdesk.core.models import LiveEvent

logger = logging.getLogger("netdesk.live")

CHANNEL = "netdesk_live"
POLL_SECONDS = 0.05
FALLBACK_SECONDS = 3.0
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
    transaction commits (at once outside one). Returns the event's id."""
    if not stream or len(stream) > STREAM_MAX:
        raise ValueError(f"stream {stream!r}: 1 to {STREAM_MAX} characters")
    row = LiveEvent.objects.create(
        stream=stream, kind=kind, payload=payload or {}, created_at=timezone.now()
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, stream])
    return row.pk


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
    for the first. The request's database connection is closed while it
    waits, so hundreds of waiting listeners hold no database connections."""
    found = live_read(streams=streams, after=after)
    if found or timeout <= 0:
        return found
    if not _waiting.acquire(blocking=False):
        # Every thread kept for waiting is busy: the listener is answered
        # after a short pause rather than held, so the desk's other requests
        # keep their threads and an overloaded process degrades to polling.
        time.sleep(min(timeout, OVERFLOW_PAUSE_SECONDS))
        return live_read(streams=streams, after=after)
    try:
        return _wait(streams=streams, after=after, timeout=timeout)
    finally:
        _waiting.release()


def _wait(*, streams: Sequence[str], after: int, timeout: float) -> list[LiveItem]:
    bell = threading.Event()
    _waker().listen(streams, bell)
    try:
        # Read once more now that the bell hangs: an event committed between
        # the first read and the listening would otherwise wait for the
        # fallback read.
        found = live_read(streams=streams, after=after)
        if found:
            return found
        deadline = time.monotonic() + timeout
        while True:
            if connection.vendor == "postgresql" and not connection.in_atomic_block:
                # A PostgreSQL connection per waiting request would exhaust
                # the server's; SQLite's cost nothing while idle.
                connection.close()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            bell.wait(min(remaining, FALLBACK_SECONDS))
            bell.clear()
            found = live_read(streams=streams, after=after)
            if found:
                return found
    finally:
        _waker().forget(streams, bell)


class _Waker:
    """Rings the bells of the requests waiting on a stream when an event of
    that stream is committed. One per process, started on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bells: dict[str, set[threading.Event]] = {}
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def listen(self, streams: Iterable[str], bell: threading.Event) -> None:
        with self._lock:
            for stream in streams:
                self._bells.setdefault(stream, set()).add(bell)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="live-waker", daemon=True)
                self._thread.start()

    def forget(self, streams: Iterable[str], bell: threading.Event) -> None:
        with self._lock:
            for stream in streams:
                bells = self._bells.get(stream)
                if bells is not None:
                    bells.discard(bell)
                    if not bells:
                        del self._bells[stream]

    def ring(self, streams: Iterable[str]) -> None:
        with self._lock:
            for stream in streams:
                for bell in self._bells.get(stream, ()):
                    bell.set()

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

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                if connections["default"].vendor == "postgresql":
                    self._listen_postgres()
                else:
                    self._poll_sqlite()
            except Exception:
                # The waiting requests still read every FALLBACK_SECONDS.
                logger.exception("live events: the waker failed; it starts again in 1 s")
                time.sleep(1.0)
            finally:
                connections["default"].close()

    def _listen_postgres(self) -> None:
        params = connections["default"].get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        with psycopg.connect(**params, autocommit=True) as listener:
            listener.execute(f"LISTEN {CHANNEL}")
            while not self._stopping.is_set():
                # notifies() yields each notification as it comes and ends
                # after the timeout, when the loop looks at _stopping.
                for note in listener.notifies(timeout=STOP_CHECK_SECONDS):
                    self.ring((note.payload,))

    def _poll_sqlite(self) -> None:
        seen = live_cursor()
        while not self._stopping.is_set():
            time.sleep(POLL_SECONDS)
            try:
                rows = list(
                    LiveEvent.objects.filter(pk__gt=seen)
                    .order_by("pk")
                    .values_list("pk", "stream")[:1000]
                )
            except OperationalError:
                # A shared-cache database (the test suite's in-memory one)
                # locks the table while another connection writes: read again.
                continue
            if rows:
                seen = rows[-1][0]
                self.ring({stream for _, stream in rows})


_the_waker = _Waker()
# `netdesk serve` gives each web process this many threads on top of its
# request threads (NETDESK_LIVE_WAITERS).
_waiting = threading.BoundedSemaphore(settings.NETDESK_LIVE_WAITERS)


def _waker() -> _Waker:
    return _the_waker


def live_waker_stop() -> None:
    if _the_waker.running():
        _the_waker.stop()
