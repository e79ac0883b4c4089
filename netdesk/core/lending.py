"""SQLite connections lent to whichever thread runs a request.

Django keeps a database connection per thread. granian runs a web
process's requests on threads it starts as requests queue up (dozens under
load, each waiting for a request slot, `netdesk.core.connections`), so a
request often runs on a thread that has no connection: only the first
NETDESK_DATABASE_CONNECTIONS_KEPT threads keep theirs, and every other
request opened a connection (the PRAGMAs, the schema read again, a cold
page cache) and closed it at its end. At 16 connections on the queue API
that cost a quarter of the web process's CPU (docs/benchmarks.md,
"Connections borrowed per request").

Here the process holds up to NETDESK_DATABASE_CONNECTIONS_KEPT connections
(Django's connection objects, marked shareable between threads) and lends
one to each request for as long as it holds its slot: it becomes the
thread's `connections["default"]`, and goes back when the slot does. Only
one thread uses a lent connection at a time, and one goes back only
outside a transaction (else it is closed). PostgreSQL has Django's own
pool for this (`netdesk.config`)."""

from __future__ import annotations

import threading

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper

_lock = threading.Lock()
_idle: list[BaseDatabaseWrapper] = []
_made = 0
_lent = threading.local()


def lending_applies() -> bool:
    return bool(connections[DEFAULT_DB_ALIAS].vendor == "sqlite")


def connection_borrow() -> bool:
    """Give this thread a kept connection for its request, unless it has an
    open one of its own already or none is free (then it opens its own, as
    without lending). True when one was lent."""
    if getattr(_lent, "wrapper", None) is not None or not lending_applies():
        return False
    own = connections[DEFAULT_DB_ALIAS]
    if own.connection is not None:
        return False
    global _made
    with _lock:
        if _idle:
            wrapper = _idle.pop()
        elif _made < settings.NETDESK_DATABASE_CONNECTIONS_KEPT:
            _made += 1
            wrapper = connections.create_connection(DEFAULT_DB_ALIAS)
            # Used by one thread at a time, but by many in turn.
            wrapper.inc_thread_sharing()
        else:
            return False
    _lent.wrapper, _lent.own = wrapper, own
    connections[DEFAULT_DB_ALIAS] = wrapper
    return True


def connection_give_back() -> None:
    """Take the lent connection back from this thread (its own returns)."""
    wrapper = getattr(_lent, "wrapper", None)
    if wrapper is None:
        return
    connections[DEFAULT_DB_ALIAS] = _lent.own
    _lent.wrapper = _lent.own = None
    global _made
    if wrapper.in_atomic_block:
        # A request that left a transaction open (a fault): its connection
        # is closed, which rolls the transaction back, and never lent on;
        # a fresh one takes its place. The rollback comes first: Django
        # leaves an in-memory database (the tests') open when asked to close
        # it, and the rollback gives back the writer turn (core.sqlite).
        try:
            if wrapper.connection is not None:
                wrapper._rollback()  # atomic() forbids rollback() here
        finally:
            wrapper.close()
        with _lock:
            _made -= 1
        return
    # What Django does with a thread's connection when a request ends: one
    # that failed or passed CONN_MAX_AGE is closed (and opened again by its
    # next borrower).
    wrapper.close_if_unusable_or_obsolete()
    with _lock:
        _idle.append(wrapper)


def lent() -> bool:
    """Whether this thread's connection is a lent one."""
    return getattr(_lent, "wrapper", None) is not None


def lent_connections_close() -> None:
    """Close the idle kept connections (before a fork: core.forking); each
    opens again when next lent."""
    with _lock:
        for wrapper in _idle:
            wrapper.close()
