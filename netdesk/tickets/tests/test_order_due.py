"""GET /api/v1/tickets?order=due: earliest next due time first, tickets with
no running target last, on keyset pages and a fixed number of queries."""

import base64
import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from netdesk.tickets.models import Ticket
from tests import factories as f

pytestmark = pytest.mark.django_db


def api(agent) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(agent)}")


def due_in(ticket: Ticket, minutes: int | None, *, breached: bool = False) -> None:
    now = timezone.now()
    due = None if minutes is None else now + timedelta(minutes=minutes)
    Ticket.objects.filter(pk=ticket.pk).update(
        sla_next_due_at=due,
        sla_warn_at=None if due is None else due - timedelta(minutes=10),
        sla_paused=False,
        sla_breached=breached,
    )


def walk(client: Client, limit: int, **params: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        query: dict[str, str | int] = {"order": "due", "limit": limit, **params}
        if cursor:
            query["cursor"] = cursor
        answer = client.get("/api/v1/tickets", query)
        assert answer.status_code == 200, answer.content
        page = answer.json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return seen


def test_pages_follow_the_due_time_with_ties_and_no_target_last():
    operator = f.user()
    tickets = [f.ticket(operator, channel="email") for _ in range(7)]
    # due in 50, 5 (twice: a tie), late by 20, none (twice), 120 minutes
    for ticket, minutes in zip(tickets, [50, 5, 5, -20, None, None, 120], strict=True):
        due_in(ticket, minutes)

    items = walk(api(operator), limit=2)

    expected = [tickets[i].reference for i in (3, 1, 2, 0, 6, 4, 5)]
    assert [item["ref"] for item in items] == expected
    states = [item["sla_state"] for item in items]
    assert states == ["breached", "warning", "warning", "ok", "ok", "none", "none"]
    assert items[-1]["next_due_at"] is None
    assert items[0]["next_due_at"] is not None


def test_due_order_on_the_page_walks_each_ticket_once_with_filters():
    operator = f.user()
    tickets = [f.ticket(operator, channel="email") for _ in range(5)]
    for ticket, minutes in zip(tickets, [30, None, 30, 15, None], strict=True):
        due_in(ticket, minutes)
    items = walk(api(operator), limit=1, sla_state="ok")
    assert [i["ref"] for i in items] == [tickets[i].reference for i in (3, 0, 2)]


def test_bad_due_cursors_are_refused_clearly():
    operator = f.user()
    client = api(operator)
    for values in ([1, 2, 3], ["2026-01-01", 4], [2**61 * 3, 1]):
        cursor = base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")
        answer = client.get("/api/v1/tickets", {"order": "due", "cursor": cursor})
        assert answer.status_code == 422, values
        assert answer.json()["errors"][0]["field"] == "cursor"
    # Past the last date a cursor can hold, yet a whole number: refused, not a 500.
    cursor = base64.urlsafe_b64encode(json.dumps([2**61, 1]).encode()).decode().rstrip("=")
    answer = client.get("/api/v1/tickets", {"order": "due", "cursor": cursor})
    assert answer.status_code == 422


def test_due_order_costs_the_same_queries_for_one_ticket_and_many():
    operator = f.user()
    client = api(operator)
    due_in(f.ticket(operator, channel="email"), 30)
    client.get("/api/v1/tickets?order=due")  # warm caches
    with CaptureQueriesContext(connection) as one:
        assert len(client.get("/api/v1/tickets?order=due&limit=50").json()["items"]) == 1
    for minutes in range(30):
        due_in(f.ticket(operator, channel="email"), minutes if minutes % 3 else None)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/api/v1/tickets?order=due&limit=50").json()["items"]) == 31
    assert len(many.captured_queries) == len(one.captured_queries)
