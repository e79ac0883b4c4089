"""One call's events posted from several threads at once (a PBX retrying,
two bridges reporting the same call) make one call in a consistent state.
PostgreSQL only: there the requests truly run at once and the row lock and
the unique (endpoint, call_id) decide; SQLite runs one writer at a time."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from netdesk.accounts.models import Role
from netdesk.core.live import live_read
from netdesk.core.views_live import agent_stream
from netdesk.phone.models import Call, CtiEvent
from netdesk.phone.services.endpoints import cti_endpoint_create
from tests import factories as f

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"
    ),
]

THREADS = 12


def post_all_at_once(path: str, bodies: list[dict[str, Any]]) -> list[int]:
    start = threading.Barrier(len(bodies))
    codes: list[int] = [0] * len(bodies)

    def post(index: int, body: dict[str, Any]) -> None:
        try:
            start.wait()
            response = Client().post(path, data=json.dumps(body), content_type="application/json")
            codes[index] = response.status_code
        finally:
            connection.close()

    threads = [
        threading.Thread(target=post, args=(index, body)) for index, body in enumerate(bodies)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return codes


def test_the_same_calls_events_from_many_threads_make_one_consistent_call():
    agent = f.user(Role.HOTLINE_OPERATOR, username="emma")
    customer = f.customer(phone="+49 30 55501234")
    _, token = cti_endpoint_create(name="Main PBX")
    call = {"callId": "same", "direction": "in", "from": "493055501234", "to": "49302000"}
    kinds = [
        {"event": "newCall"},
        {"event": "answer", "user": "emma"},
        {"event": "hangup", "cause": "normalClearing"},
    ]
    bodies = [{**call, **kinds[n % 3]} for n in range(THREADS)]

    codes = post_all_at_once(f"/api/v1/cti/{token}", bodies)

    assert codes == [200] * THREADS
    made = Call.objects.get()
    assert made.customer_id == customer.pk
    assert made.answered_by_id == agent.pk
    assert made.answered_at is not None
    assert made.ended_at is not None
    assert made.started_at <= made.answered_at <= made.ended_at
    assert made.outcome == "answered"
    assert made.cause == "normalClearing"
    assert CtiEvent.objects.filter(call=made, problem="").count() == THREADS
    heard = [item.kind for item in live_read(streams=[agent_stream(agent.pk)], after=0)]
    assert heard.count("call_answered") <= 1
    assert heard.count("call_ended") <= 1


def test_first_events_of_many_calls_at_once_each_make_their_own_call():
    _, token = cti_endpoint_create(name="Main PBX")
    bodies = [
        {"event": "newCall", "callId": f"c-{n // 2}", "direction": "in", "from": f"4930555{n:05d}"}
        for n in range(THREADS)
    ]
    codes = post_all_at_once(f"/api/v1/cti/{token}", bodies)
    assert codes == [200] * THREADS
    assert Call.objects.count() == THREADS // 2
    assert CtiEvent.objects.count() == THREADS
