"""The API's answer with one ticket reads only the columns it names, and
answers exactly what it answered from the ticket page's whole read."""

from __future__ import annotations

import pytest
from django.test import Client

from netdesk.tickets.api.shapes import detail_out
from netdesk.tickets.models import Category
from netdesk.tickets.selectors import ticket_conversation, ticket_detail
from netdesk.tickets.services import ticket_assign, ticket_update
from tests import factories as f

pytestmark = pytest.mark.django_db


def _worked_ticket():
    operator = f.user(username="olga")
    engineer = f.user(username="erik")
    owner = f.customer()
    category = Category.objects.create(name="No internet", ticket_type="fault")
    ticket = f.ticket(
        operator,
        owner,
        service=f.service(owner),
        category=category,
        description="Modem shows no DSL sync since 07:00.",
        call={
            "direction": "inbound",
            "duration_seconds": 240,
            "summary": "No sync, modem restarted",
            "outcome": "ticket_created",
        },
    )
    ticket_assign(actor=operator, ticket=ticket, assignee=engineer)
    ticket_update(actor=operator, ticket=ticket, changes={"urgency": 1})
    return operator, ticket


def test_the_answer_is_what_the_page_read_gives() -> None:
    operator, ticket = _worked_ticket()
    answer = detail_out(ticket_conversation(user=operator, ref=ticket.reference))
    assert answer == detail_out(ticket_detail(user=operator, ref=ticket.reference))
    assert answer["assignee"] == "erik"
    assert answer["category"] == "No internet"
    assert answer["interactions"][0]["agent"] == "olga"
    assert {event["actor"] for event in answer["events"]} == {"olga"}


def test_the_answer_costs_three_queries(django_assert_num_queries) -> None:
    # A column left out of the read would be fetched one row at a time.
    operator, ticket = _worked_ticket()
    with django_assert_num_queries(3):
        detail_out(ticket_conversation(user=operator, ref=ticket.reference))


def test_the_api_answers_from_it() -> None:
    operator, ticket = _worked_ticket()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(operator)}")
    response = client.get(f"/api/v1/tickets/{ticket.reference}")
    assert response.status_code == 200
    body = response.json()
    assert (body["ref"], body["assignee"], body["urgency"]) == (ticket.reference, "erik", 1)
    assert body["description"] == "Modem shows no DSL sync since 07:00."
