"""On SQLite a request borrows one of the process's kept connections for as
long as it holds its slot, whichever thread runs it, and gives it back with
the slot; a long poll gives it back while it waits."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.http import HttpResponse
from django.test import RequestFactory

from netdesk.core import lending
from netdesk.core.connections import RequestSlotsMiddleware, request_slot_set_aside

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL pools in Django"),
]


@pytest.fixture(autouse=True)
def empty_lending(monkeypatch: pytest.MonkeyPatch, settings) -> None:
    monkeypatch.setattr(lending, "_idle", [])
    monkeypatch.setattr(lending, "_made", 0)
    settings.NETDESK_DATABASE_CONNECTIONS_KEPT = 2


def on_a_fresh_thread(view: Callable[[Any], HttpResponse]) -> dict[str, Any]:
    """Run one GET through the slots on a new thread (one with no
    connection, as granian's are); what the view saw, and the thread's
    connection afterwards."""
    seen: dict[str, Any] = {}

    def run() -> None:
        def answered(request: Any) -> HttpResponse:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT 1")
            seen["raw"] = connections["default"].connection
            seen["lent"] = lending.lent()
            return view(request)

        RequestSlotsMiddleware(answered)(RequestFactory().get("/api/v1/tickets"))
        seen["after"] = connections["default"].connection
        seen["lent_after"] = lending.lent()
        connections.close_all()  # its own, if it opened one

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return seen


def test_requests_on_new_threads_use_the_same_connection_one_after_another() -> None:
    first = on_a_fresh_thread(lambda _request: HttpResponse())
    second = on_a_fresh_thread(lambda _request: HttpResponse())
    assert first["lent"]
    assert second["lent"]
    assert first["raw"] is not None
    assert second["raw"] is first["raw"]
    # Given back with the slot: the thread is left with no connection.
    assert first["after"] is None
    assert not first["lent_after"]
    assert len(lending._idle) == 1


def test_a_long_poll_gives_its_connection_back_while_it_waits() -> None:
    during: dict[str, Any] = {}

    def long_poll(request: Any) -> HttpResponse:
        with request_slot_set_aside():
            during["lent"] = lending.lent()
            during["idle"] = len(lending._idle)
        during["lent_again"] = lending.lent()
        return HttpResponse()

    seen = on_a_fresh_thread(long_poll)
    assert seen["lent"]
    assert during == {"lent": False, "idle": 1, "lent_again": True}


def test_no_more_connections_than_kept_and_the_rest_open_their_own() -> None:
    inside = threading.Barrier(3)
    results: list[dict[str, Any]] = []

    def hold(request: Any) -> HttpResponse:
        inside.wait(timeout=10)  # three requests at once, two kept connections
        return HttpResponse()

    threads = [threading.Thread(target=lambda: results.append(on_a_fresh_thread(hold)))]
    threads += [threading.Thread(target=lambda: results.append(on_a_fresh_thread(hold)))]
    threads += [threading.Thread(target=lambda: results.append(on_a_fresh_thread(hold)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r["lent"] for r in results) == [False, True, True]
    assert lending._made == 2
    assert len(lending._idle) == 2


def test_a_connection_left_in_a_transaction_is_closed_not_lent_on() -> None:
    def leaves_it_open(request: Any) -> HttpResponse:
        transaction.atomic().__enter__()  # a fault: never left
        return HttpResponse()

    seen = on_a_fresh_thread(leaves_it_open)
    assert seen["lent"]
    assert lending._idle == []
    assert lending._made == 0
    again = on_a_fresh_thread(lambda _request: HttpResponse())
    assert again["lent"]
    assert again["raw"] is not seen["raw"]
