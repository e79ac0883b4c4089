"""PostgreSQL's kept connections: a connection that answered moments ago
is not checked with a SELECT 1 before each request; when its server went
away meanwhile (a restart) the request is answered 503 with Retry-After and
the next one connects afresh; an idle connection is still checked, so a
restart during a quiet spell costs no request."""

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


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Each health check Django makes (its SELECT 1 goes around the
    statement log, so it is counted here)."""
    made: list[bool] = []
    original = connection.is_usable

    def counted() -> bool:
        made.append(original())
        return made[-1]

    monkeypatch.setattr(connection, "is_usable", counted)
    return made


@pytest.mark.django_db(transaction=True)
def test_a_fresh_connection_skips_the_health_check(postgres: None, checks: list[bool]) -> None:
    assert connection.settings_dict["CONN_HEALTH_CHECKS"]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(f.user())}")
    assert api.get("/api/v1/tickets").status_code == 200
    request_boundary()
    checks.clear()
    assert api.get("/api/v1/tickets").status_code == 200
    assert checks == []


@pytest.mark.django_db(transaction=True)
def test_a_restart_moments_after_a_request_is_a_503_then_the_next_connects_afresh(
    postgres: None,
) -> None:
    api = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(f.user())}")
    assert api.get("/api/v1/tickets").status_code == 200
    server_restarted()
    request_boundary()
    lost = api.get("/api/v1/tickets")
    assert lost.status_code == 503
    assert lost["Retry-After"] == "5"
    assert lost.json()["title"] == "Busy"
    request_boundary()  # Django drops the broken connection
    again = api.get("/api/v1/tickets")
    assert again.status_code == 200
    assert isinstance(again.json()["items"], list)


@pytest.mark.django_db(transaction=True)
def test_a_restart_during_a_quiet_spell_costs_no_request(
    postgres: None, monkeypatch: pytest.MonkeyPatch, checks: list[bool]
) -> None:
    api = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(f.user())}")
    assert api.get("/api/v1/tickets").status_code == 200
    monkeypatch.setattr(kept, "TRUSTED_SECONDS", 0.0)  # the connection has been idle
    server_restarted()
    request_boundary()
    checks.clear()
    answer = api.get("/api/v1/tickets")
    assert answer.status_code == 200
    assert isinstance(answer.json()["items"], list)
    assert checks == [False]  # checked, found broken, connected afresh
