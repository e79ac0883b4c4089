"""PostgreSQL's connections come from the process's pool: a request
borrows one and gives it back at its end, and the pool checks a connection
before lending it, so a server restart between requests costs no request.
A connection lost in the middle of a request is answered 503 with
Retry-After (busy, not a fault)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import OperationalError, connection, connections
from django.test import Client

from netdesk.core import connections as kept
from netdesk.core.connections import database_busy
from tests import factories as f

LOST = (
    "consuming input failed: server closed the connection unexpectedly",
    "terminating connection due to administrator command",
    "the connection is closed",
)


@pytest.mark.parametrize("text", LOST)
def test_a_lost_connection_is_busy_not_a_fault(text: str) -> None:
    assert database_busy(OperationalError(text))


@pytest.fixture
def postgres(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite connections are not health-checked")
    monkeypatch.setattr(kept, "_keepers", [])
    settings.NETDESK_DATABASE_CONNECTIONS_KEPT = 8


def server_restarted() -> None:
    """The server ends this thread's connection, as a restart does; then
    what Django does when the next request starts (the test client leaves
    that out)."""
    pid = connection.connection.info.backend_pid
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()


def request_boundary() -> None:
    connection.close_if_unusable_or_obsolete()


@pytest.mark.django_db(transaction=True)
def test_connections_come_from_the_pool_which_checks_them(postgres: None) -> None:
    pool = connection.pool  # type: ignore[attr-defined]  # PostgreSQL's wrapper has one
    assert pool is not None
    assert connection.settings_dict["CONN_MAX_AGE"] == 0
    api = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(f.user())}")
    assert api.get("/api/v1/tickets").status_code == 200
    request_boundary()  # given back to the pool, not closed
    assert connection.connection is None
    opened = pool.pop_stats().get("connections_num", 0)
    for _ in range(3):
        assert api.get("/api/v1/tickets").status_code == 200
        request_boundary()
    stats = pool.get_stats()
    assert stats.get("connections_num", 0) == 0, (opened, stats)  # none opened since
    assert stats["requests_num"] >= 3  # each request borrowed one


@pytest.mark.django_db(transaction=True)
def test_a_restart_between_requests_costs_no_request(postgres: None) -> None:
    api = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(f.user())}")
    assert api.get("/api/v1/tickets").status_code == 200
    backend = connection.connection.info.backend_pid
    server_restarted()
    request_boundary()  # the broken connection goes back and is dropped
    answer = api.get("/api/v1/tickets")
    assert answer.status_code == 200
    assert isinstance(answer.json()["items"], list)
    assert connection.connection.info.backend_pid != backend  # connected afresh
