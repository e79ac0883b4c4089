"""Free text on tickets has one length limit per field, the same in the API
and the agent UI, and a refusal names the field and the limit; the
documented list filters take their values from query strings."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from netdesk.tickets.models import Ticket
from netdesk.tickets.schemas import TEXT_LIMITS
from tests import factories as f

pytestmark = pytest.mark.django_db
HUGE = "x" * 100_000


def api(agent) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(agent)}")


def new_ticket_form(**changes: str) -> dict[str, str]:
    return {
        "ticket_type": "fault",
        "channel": "phone",
        "impact": "2",
        "urgency": "2",
        "title": "No internet",
        "description": "Router LOS light red",
        "call_direction": "inbound",
        "call_minutes": "1",
        "call_seconds": "0",
        "call_summary": "Customer reports LOS",
        "call_outcome": "ticket_created",
        **changes,
    }


@pytest.mark.parametrize(
    ("field", "limit_of"), [("description", "description"), ("call_summary", "summary")]
)
def test_new_ticket_page_refuses_overlong_text_naming_field_and_limit(client, field, limit_of):
    client.force_login(f.user())
    owner = f.customer()
    response = client.post(
        reverse("ticket_create", args=[owner.pk]), new_ticket_form(**{field: HUGE})
    )
    assert response.status_code == 422
    (message,) = response.context["form"].errors[field]
    assert f"{TEXT_LIMITS[limit_of]:,}" in message
    assert "100,000" in message
    assert not Ticket.objects.filter(customer=owner).exists()


@pytest.mark.parametrize(
    ("action", "field", "limit_of"),
    [
        ("contact", "summary", "summary"),
        ("comment", "body", "comment"),
        ("resolve", "notes", "notes"),
        ("escalate-up", "reason", "reason"),
        ("status", "note", "note"),
    ],
)
def test_ticket_actions_refuse_overlong_text(client, action, field, limit_of):
    operator = f.user()
    client.force_login(operator)
    ticket = f.ticket(operator)
    # Each action's form is prefixed with the action's name.
    response = client.post(
        reverse("ticket_action", args=[ticket.reference, action]), {f"{action}-{field}": HUGE}
    )
    assert response.status_code == 422
    errors = response.context["failed_form"].errors[field]
    assert any(f"{TEXT_LIMITS[limit_of]:,}" in e for e in errors)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"description": HUGE}, "description"),
        ({"call": {"summary": HUGE}}, "call.summary"),
    ],
)
def test_api_refuses_overlong_text_naming_field_and_limit(body, field):
    owner = f.customer()
    payload = {
        "customer_id": owner.pk,
        "ticket_type": "fault",
        "channel": "phone",
        "title": "No sync",
        **body,
    }
    if "call" in payload:
        payload["call"] = {**payload["call"], "duration_seconds": 60}
    response = api(f.user()).post("/api/v1/tickets", payload, content_type="application/json")
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == field
    assert str(TEXT_LIMITS[field.rsplit(".", 1)[-1]]) in str(error["accepted"])


def test_api_resolution_notes_have_the_same_limit():
    operator = f.user()
    ticket = f.ticket(operator)
    response = api(operator).post(
        f"/api/v1/tickets/{ticket.reference}/resolve",
        {"resolution_code": "fixed", "root_cause": "hardware", "notes": HUGE},
        content_type="application/json",
    )
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == "notes"
    assert str(TEXT_LIMITS["notes"]) in str(error["accepted"])


def test_priority_filter_takes_numbers_from_the_query_string():
    operator = f.user()
    urgent = f.ticket(operator, impact=1, urgency=1)
    f.ticket(operator, impact=3, urgency=3)
    client = api(operator)
    response = client.get("/api/v1/tickets", {"priority": urgent.priority})
    assert response.status_code == 200, response.content
    assert [t["ref"] for t in response.json()["items"]] == [urgent.reference]
    both = client.get("/api/v1/tickets?priority=1&priority=5&order=priority")
    assert [t["priority"] for t in both.json()["items"]] == [1, 5]
    for bad in ("0", "6", "high"):
        refused = client.get("/api/v1/tickets", {"priority": bad})
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"].startswith("priority")
