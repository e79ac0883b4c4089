"""On PostgreSQL only the first few threads of a web process keep their
database connection between requests; the others close theirs."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client

from netdesk.core import connections


@pytest.fixture
def no_keepers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connections, "_keepers", [])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("kept", "open_after"), [(0, False), (4, True)])
def test_a_thread_past_the_kept_ones_closes_its_connection(
    client: Client, settings: Any, no_keepers: None, kept: int, open_after: bool
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite connections cost nothing while idle: all are kept")
    settings.NETDESK_DATABASE_CONNECTIONS_KEPT = kept
    connection.ensure_connection()
    assert client.get("/login/").status_code == 200
    assert (connection.connection is not None) is open_after
