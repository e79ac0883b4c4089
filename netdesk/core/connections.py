"""How many PostgreSQL connections a web process keeps between requests.

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
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponseBase

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
        if (
            connection.vendor == "postgresql"
            and connection.connection is not None
            and not connection.in_atomic_block
            and not keeps_connection(threading.current_thread())
        ):
            connection.close()
        return response
