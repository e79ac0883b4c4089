"""How many database connections a web process keeps between requests.

`netdesk serve` runs hundreds of threads per web process (most of them wait
in long polls, holding no connection: `netdesk.core.live`). Django keeps a
connection per thread for CONN_MAX_AGE; with hundreds of threads that would
be hundreds of idle server connections per process and PostgreSQL's
`max_connections` would run out. So only the first
NETDESK_DATABASE_CONNECTIONS_KEPT threads of a process keep theirs; any
other thread closes its connection when its request ends. This only saves
reconnecting: nothing correct depends on which thread keeps one."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseBase

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

_slots_lock = threading.Lock()
_slots: threading.BoundedSemaphore | None = None
_holding = threading.local()


def _request_slots() -> threading.BoundedSemaphore:
    global _slots  # one per process, made at first use so `serve` can size it first
    with _slots_lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(settings.NETDESK_WEB_THREADS)
        return _slots


@contextmanager
def request_slot_set_aside() -> Iterator[None]:
    """Give this request's slot to another while the caller waits without
    the database (a long poll), and take one again afterwards."""
    if not getattr(_holding, "slot", False):
        yield
        return
    slots = _request_slots()
    slots.release()
    _holding.slot = False
    try:
        yield
    finally:
        slots.acquire()
        _holding.slot = True


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
BUSY_WORDS = ("too many clients", "database is locked", "the database system is starting up")
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
        if not slots.acquire(timeout=settings.NETDESK_REQUEST_QUEUE_SECONDS):
            return busy_response(request)
        _holding.slot = True
        try:
            return self.get_response(request)
        finally:
            _holding.slot = False
            slots.release()
