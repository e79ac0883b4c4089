"""The health check load balancers ask: no sign-in, one database round
trip, 503 when the database cannot be reached."""

import pytest
from django.db import DatabaseError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok_without_sign_in_in_one_query() -> None:
    with CaptureQueriesContext(connection) as queries:
        answer = Client().get("/healthz")
    assert answer.status_code == 200
    assert answer.content == b"ok\n"
    assert answer["Cache-Control"].startswith("max-age=0")
    assert [q["sql"] for q in queries.captured_queries if q["sql"] == "SELECT 1"] == ["SELECT 1"]


def test_healthz_is_503_when_the_database_is_unreachable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse() -> None:
        raise DatabaseError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    answer = Client().get("/healthz")
    assert answer.status_code == 503
    assert b"database unreachable" in answer.content


def test_healthz_refuses_writes() -> None:
    assert Client().post("/healthz").status_code == 405
