"""How many database connections a web process keeps between requests.

`netdesk serve` runs hundreds of threads per web process (most of them wait
in long polls, holding no connection: `netdesk.core.live`). Django keeps a
connection per thread for CONN_MAX_AGE; with hundreds of threads that would
be hundreds of idle server connections per process and PostgreSQL's
`max_connections` would run out. So only the first
NETDESK_DATABASE_CONNECTIONS_KEPT threads of a process keep theirs; any
other thread closes its connection when its request ends. This only saves
reconnecting: nothing correct depends on which thread keeps one. Most
requests hold no connection of their thread's own: on SQLite they borrow
one of the process's kept ones with their slot (core.lending), on
PostgreSQL one from Django's pool (netdesk.config)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from netdesk.core.lending import connection_borrow, connection_give_back, lent
from netdesk.core.refusals import Refusal, problem_response

_lock = threading.Lock()
_keepers: list[threading.Thread] = []


def keeps_connection(thread: threading.Thread) -> bool:
    """Whether `thread` is one of the process's threads that keep their
    connection (a place is given to the first threads that ask; a place of
    a thread that ended is given again)."""
    with _lock:
        if thread in _keepers:
            return True
        _keepers[:] = [kept for kept in _keepers if kept.is_alive()]
        if len(_keepers) < settings.NETDESK_DATABASE_CONNECTIONS_KEPT:
            _keepers.append(thread)
            return True
        return False


class KeptConnectionsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        # SQLite too: each connection holds its own page cache (up to 64 MiB,
        # netdesk.config), so a thread per request past the kept ones would
        # let a web process grow by that much per thread it ever started.
        if (
            connection.connection is not None
            and not connection.in_atomic_block
            and not lent()
            and not keeps_connection(threading.current_thread())
        ):
            connection.close()
        return response


# Request slots: how many requests of a web process work at once.
#
# `netdesk serve` gives each web process its request threads plus
# NETDESK_LIVE_WAITERS threads for long polls, and granian starts threads
# as requests queue up. Under a backlog every one of those threads would
# run an ordinary request, each with its own database connection: two
# processes could open several hundred and PostgreSQL refuses connections
# past `max_connections` ("too many clients"). So an ordinary request first
# takes one of NETDESK_WEB_THREADS slots; the others wait for one holding no
# connection. A long poll gives its slot back while it waits (core.live).
# The slots bound load, nothing correct depends on them.

# Reads first: a request that only reads (GET, HEAD, OPTIONS) waiting for a
# slot is let in before a waiting write. Writes (a ticket create) cost many
# times a read, and reads are what agents wait on while they work a queue,
# so a backlog is worked off reads first. A write is passed over for at
# most WRITE_PATIENCE_SECONDS, then takes its turn like a read: writes are
# delayed, never starved. NETDESK_WEB_WRITE_THREADS (0: no bound) caps the
# writes one process works on at once, so several CPU-heavy writes never
# hold all of its slots (and its interpreter lock) while reads wait.

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITE_PATIENCE_SECONDS = 1.0


class RequestSlots:
    """`size` slots of one web process, reads let in before writes."""

    def __init__(
        self, size: int, write_limit: int = 0, write_patience: float | None = None
    ) -> None:
        self.size = size
        self.write_limit = write_limit if 0 < write_limit < size else size
        self.write_patience = WRITE_PATIENCE_SECONDS if write_patience is None else write_patience
        self._changed = threading.Condition(threading.Lock())
        self._free = size
        self._writes = 0
        self._reads_waiting = 0
        self._overdue_writes = 0

    def acquire(
        self, blocking: bool = True, timeout: float | None = None, *, read: bool = True
    ) -> bool:
        """Take a slot; False when none came within `timeout` (or at once,
        when not `blocking`)."""
        now = time.monotonic()
        deadline = None if timeout is None else now + timeout
        patience = now + self.write_patience
        overdue = False
        with self._changed:
            self._reads_waiting += read
            try:
                while True:
                    now = time.monotonic()
                    if not read and not overdue and now >= patience:
                        # From now on reads wait for this write, not it for them.
                        overdue = True
                        self._overdue_writes += 1
                    if self._may_enter(read, overdue):
                        break
                    if not blocking or (deadline is not None and now >= deadline):
                        return False
                    self._changed.wait(self._wait_for(now, deadline, patience, read or overdue))
            finally:
                self._reads_waiting -= read
                self._overdue_writes -= overdue
            self._free -= 1
            self._writes += not read
            if self._free > 0:
                # Reads held back for this write may go on.
                self._changed.notify_all()
            return True

    @staticmethod
    def _wait_for(
        now: float, deadline: float | None, patience: float, patient: bool
    ) -> float | None:
        """How long to sleep until something changes: the deadline, and
        for a write still being passed over, the end of its patience."""
        ends = [end for end in (deadline, None if patient else patience) if end is not None]
        return max(min(ends) - now, 0.001) if ends else None

    def _may_enter(self, read: bool, overdue: bool) -> bool:
        if self._free <= 0:
            return False
        if read:
            return self._overdue_writes == 0 or self._writes >= self.write_limit
        if self._writes >= self.write_limit:
            return False
        return overdue or self._reads_waiting == 0

    def release(self, *, read: bool = True) -> None:
        """Give back a slot taken for a read (or a write)."""
        with self._changed:
            if self._free >= self.size:
                raise ValueError("request slot released more often than taken")
            self._free += 1
            if not read:
                self._writes -= 1
            self._changed.notify_all()


_slots_lock = threading.Lock()
_slots: RequestSlots | None = None
_holding = threading.local()


def _request_slots() -> RequestSlots:
    global _slots  # one per process, made at first use so `serve` can size it first
    with _slots_lock:
        if _slots is None:
            _slots = RequestSlots(
                settings.NETDESK_WEB_THREADS,
                settings.NETDESK_WEB_WRITE_THREADS,
                settings.NETDESK_WEB_WRITE_PATIENCE_MS / 1000,
            )
        return _slots


@contextmanager
def request_slot_set_aside() -> Iterator[None]:
    """Give this request's slot to another while the caller waits without
    the database (a long poll), and take one again afterwards (as a read:
    a long poll only reads)."""
    if not getattr(_holding, "slot", False):
        yield
        return
    slots = _request_slots()
    # Its lent connection (SQLite) goes with the slot, and comes back with one.
    connection_give_back()
    slots.release(read=getattr(_holding, "read", True))
    _holding.slot = False
    try:
        yield
    finally:
        slots.acquire()
        _holding.slot, _holding.read = True, True
        connection_borrow()


def database_busy(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot take this request now (out of
    connections, starting up or shutting down, a write lock held too long),
    as opposed to a fault: such a request is answered 503, to be retried."""
    if not isinstance(exc, OperationalError):
        return False
    sqlstate = getattr(exc.__cause__, "sqlstate", None)
    if sqlstate in BUSY_SQLSTATES:
        return True
    text = str(exc).lower()
    return any(words in text for words in BUSY_WORDS)


# too_many_connections, cannot_connect_now, admin_shutdown
BUSY_SQLSTATES = {"53300", "57P03", "57P01"}
BUSY_WORDS = (
    "too many clients",
    "database is locked",
    "the database system is starting up",
    # A kept connection whose server went away (a restart): the next
    # request connects afresh.
    "server closed the connection",
    "terminating connection",
    "connection is closed",
    "connection is lost",
    "consuming input failed",
)
RETRY_AFTER_SECONDS = 5
HEALTH_CHECK_PATH = "/healthz"


def busy_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After, built without the database (it is the one short
    of room), as a problem document under /api/ and a plain page elsewhere."""
    detail = "The desk is busy; try again in a few seconds."
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = problem_response(request, Refusal(503, "Busy", detail, "busy"))
    else:
        response = HttpResponse(detail, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class RequestSlotsMiddleware:
    """First in the chain: a request waits for a slot before it can open a
    connection, and is answered 503 if none is free within
    NETDESK_REQUEST_QUEUE_SECONDS."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path == HEALTH_CHECK_PATH:
            # One SELECT 1, asked every second or so by the load balancer: a
            # busy process must not look dead (both would be taken out).
            return self.get_response(request)
        slots = _request_slots()
        read = request.method in READ_METHODS
        if not slots.acquire(timeout=settings.NETDESK_REQUEST_QUEUE_SECONDS, read=read):
            return busy_response(request)
        _holding.slot, _holding.read = True, read
        connection_borrow()
        try:
            return self.get_response(request)
        finally:
            connection_give_back()
            _holding.slot = False
            slots.release(read=_holding.read)
