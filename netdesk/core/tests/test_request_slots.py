"""Request slots bound how many requests of a web process work (and hold a
database connection) at once; a database with no room answers 503."""

import threading

import pytest
from django.db import OperationalError
from django.test import Client, RequestFactory

from netdesk.core import connections as slots_module
from netdesk.core.connections import RequestSlots, database_busy, request_slot_set_aside
from netdesk.core.views import server_error
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_slot(monkeypatch: pytest.MonkeyPatch, settings) -> RequestSlots:
    settings.NETDESK_REQUEST_QUEUE_SECONDS = 1
    slots = RequestSlots(1)
    monkeypatch.setattr(slots_module, "_slots", slots)
    return slots


def test_a_request_waits_for_a_slot_and_is_answered_503_when_none_frees(one_slot) -> None:
    one_slot.acquire()
    try:
        busy = Client().get("/login/")
        api_busy = Client().get("/api/v1/tickets")
        # The load balancer's check never waits: a busy process is alive.
        health = Client().get("/healthz")
    finally:
        one_slot.release()
    assert busy.status_code == 503
    assert busy["Retry-After"] == "5"
    assert health.status_code == 200
    assert api_busy.status_code == 503
    assert api_busy.json()["title"] == "Busy"
    assert Client().get("/healthz").status_code == 200
    # The slot came back after each request: two more fit in turn.
    assert one_slot.acquire(blocking=False)
    one_slot.release()


def test_a_request_waiting_for_a_slot_gets_it_when_the_holder_finishes(one_slot) -> None:
    one_slot.acquire()
    threading.Timer(0.3, one_slot.release).start()
    assert Client().get("/healthz").status_code == 200


def test_a_long_poll_sets_its_slot_aside_while_it_waits(one_slot) -> None:
    slots_module._holding.slot = True
    one_slot.acquire()
    try:
        with request_slot_set_aside():
            # Another request may take the slot meanwhile.
            assert one_slot.acquire(blocking=False)
            one_slot.release()
        assert not one_slot.acquire(blocking=False)
    finally:
        one_slot.release()
        slots_module._holding.slot = False


def test_busy_database_errors_are_told_apart_from_faults() -> None:
    assert database_busy(OperationalError("FATAL:  sorry, too many clients already"))
    assert database_busy(OperationalError("database is locked"))
    assert not database_busy(OperationalError("no such table: tickets_ticket"))
    assert not database_busy(ValueError("too many clients"))


def test_out_of_connections_is_a_503_on_the_api_and_on_pages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def out_of_connections(**kwargs: object) -> None:
        raise OperationalError("FATAL:  sorry, too many clients already")

    agent = f.user()
    monkeypatch.setattr("netdesk.tickets.api.tickets.ticket_rows", out_of_connections)
    answer = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(agent)}").get("/api/v1/tickets")
    assert answer.status_code == 503
    assert answer["Retry-After"] == "5"
    assert answer.json()["title"] == "Busy"


def test_django_500_handler_answers_503_for_a_busy_database_and_500_for_a_fault() -> None:
    request = RequestFactory().get("/")
    try:
        raise OperationalError("FATAL:  sorry, too many clients already")
    except OperationalError:
        busy = server_error(request)
    try:
        raise OperationalError("no such column: tickets_ticket.nonsense")
    except OperationalError:
        fault = server_error(request)
    assert busy.status_code == 503
    assert busy["Retry-After"] == "5"
    assert fault.status_code == 500
