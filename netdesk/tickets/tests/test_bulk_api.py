"""POST /api/v1/tickets/bulk: 200 with what changed, or 422 per ticket and nothing written."""

import pytest
from django.test import Client

from netdesk.accounts.models import Role
from netdesk.tickets.choices import Status
from netdesk.tickets.models import Ticket
from netdesk.tickets.services import ticket_resolve
from tests import factories as f

pytestmark = pytest.mark.django_db


def _client(agent):
    return Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(agent)}")


def _post(client, body, **headers):
    return client.post("/api/v1/tickets/bulk", body, content_type="application/json", **headers)


def test_bulk_assign_answers_the_summary_and_assigns():
    lead = f.user(Role.TEAM_LEAD)
    agent = f.user(username="omar")
    tickets = [f.ticket(lead) for _ in range(2)]

    response = _post(
        _client(lead),
        {"refs": [t.reference for t in tickets], "action": "assign", "assignee": agent.pk},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["applied"] is True
    assert body["changed"] == 2
    assert body["summary"] == "2 tickets changed."
    assert body["tickets"][0]["changes"] == ["status new → assigned", "assignee none → omar"]
    assert set(Ticket.objects.values_list("assignee_id", flat=True)) == {agent.pk}


def test_a_refused_ticket_gives_422_naming_it_and_nothing_changes():
    lead = f.user(Role.TEAM_LEAD)
    fine = f.ticket(lead)
    resolved = f.ticket(lead, ticket_type="information_request")
    ticket_resolve(actor=lead, ticket=resolved, resolution_code="information_given")

    response = _post(
        _client(lead),
        {
            "refs": [fine.reference, resolved.reference],
            "action": "status",
            "status": "pending_customer",
            "note": "Waiting for the customer",
        },
    )

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/bulk-refused")
    assert [e["ref"] for e in body["errors"]] == [resolved.reference]
    assert body["errors"][0]["field"] == "status"
    assert body["errors"][0]["value"] == "pending_customer"
    assert Ticket.objects.get(pk=fine.pk).status == Status.NEW


def test_a_bad_parameter_names_the_field():
    lead = f.user(Role.TEAM_LEAD)
    ticket = f.ticket(lead)
    response = _post(
        _client(lead), {"refs": [ticket.reference], "action": "status", "status": "done"}
    )
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "status"
    assert error["value"] == "done"
    assert "pending_customer" in error["accepted"]


def test_an_operator_may_not_change_in_bulk():
    operator = f.user()
    ticket = f.ticket(operator)
    response = _post(_client(operator), {"refs": [ticket.reference], "action": "note", "note": "x"})
    assert response.status_code == 403
    assert not ticket.comments.exists()


def test_the_same_idempotency_key_replays_instead_of_adding_notes_twice():
    lead = f.user(Role.TEAM_LEAD)
    ticket = f.ticket(lead)
    client = _client(lead)
    body = {"refs": [ticket.reference], "action": "note", "note": "Once"}
    first = _post(client, body, HTTP_IDEMPOTENCY_KEY="bulk-1")
    second = _post(client, body, HTTP_IDEMPOTENCY_KEY="bulk-1")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert ticket.comments.count() == 1
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW
