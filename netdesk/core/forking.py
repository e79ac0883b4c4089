"""Before a process forks: no database connection may be inherited.

A child that used a connection of its parent's (the same socket to
PostgreSQL, the same SQLite handle) would interleave its statements with
the parent's and corrupt both. Django's `connections.close_all()` is not
enough since connections are pooled: on PostgreSQL it gives a connection
back to the process's pool, which keeps it open, and on SQLite the
connections lent to requests (core.lending) stay open between requests."""

from __future__ import annotations

from django.db import connections

from netdesk.core.lending import lent_connections_close


def connections_close_before_fork() -> None:
    """Close this thread's connections, the process's PostgreSQL pools and
    its idle lent SQLite connections: the child opens its own."""
    connections.close_all()
    for wrapper in connections.all():
        if wrapper.alias in getattr(wrapper, "_connection_pools", {}):  # PostgreSQL's
            wrapper.close_pool()  # type: ignore[attr-defined]  # only PostgreSQL's has it
    lent_connections_close()
