"""GET /api/v1/calls: the call log in keyset pages, filtered, for those who
may see calls, each seeing only the calls of customers they may see."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from netdesk.accounts.models import Role, User
from netdesk.customers.models import Customer
from netdesk.phone.models import Call, CallOutcome, CtiEndpoint
from netdesk.phone.selectors import CallFilter, call_page
from netdesk.phone.services.endpoints import cti_endpoint_create
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint() -> CtiEndpoint:
    return cti_endpoint_create(name="Main PBX")[0]


def make_call(
    endpoint: CtiEndpoint,
    n: int,
    *,
    outcome: str = CallOutcome.ANSWERED,
    customer: Customer | None = None,
    direction: str = "in",
    answered_by: User | None = None,
) -> Call:
    started = timezone.now() - timedelta(minutes=100 - n)
    return Call.objects.create(
        endpoint=endpoint,
        call_id=f"call-{n}",
        from_number="493055501234",
        to_number="49302000",
        direction=direction,
        customer=customer,
        started_at=started,
        answered_at=started + timedelta(seconds=5) if outcome == "answered" else None,
        ended_at=started + timedelta(seconds=65),
        duration_seconds=60 if outcome == "answered" else 0,
        outcome=outcome,
        answered_by=answered_by,
    )


def calls(user: User, **query: Any) -> Any:
    return Client().get("/api/v1/calls", query, HTTP_AUTHORIZATION=f"Bearer {f.token_for(user)}")


def test_the_log_is_newest_first_in_keyset_pages_with_every_field(endpoint):
    operator = f.user(Role.HOTLINE_OPERATOR)
    customer = f.customer()
    ticket = f.ticket(operator, owner=customer)
    for n in range(5):
        make_call(endpoint, n, customer=customer, answered_by=operator)
    Call.objects.filter(call_id="call-4").update(ticket=ticket)

    first = calls(operator, limit=2).json()
    second = calls(operator, limit=2, cursor=first["next"]).json()
    third = calls(operator, limit=2, cursor=second["next"]).json()

    pages = [first, second, third]
    assert [[i["call_id"] for i in p["items"]] for p in pages] == [
        ["call-4", "call-3"],
        ["call-2", "call-1"],
        ["call-0"],
    ]
    assert third["next"] is None
    newest = first["items"][0]
    assert newest["from"] == "493055501234"
    assert newest["to"] == "49302000"
    assert newest["direction"] == "in"
    assert newest["customer"] == customer.pk
    assert newest["answered_by"] == operator.username
    assert newest["duration_seconds"] == 60
    assert newest["outcome"] == "answered"
    assert newest["ticket"] == ticket.reference
    assert {"started_at", "answered_at", "ended_at"} <= set(newest)


def test_filters_by_outcome_direction_customer_and_the_callback_list(endpoint):
    lead = f.user(Role.TEAM_LEAD)
    customer = f.customer()
    make_call(endpoint, 1, outcome=CallOutcome.MISSED, customer=customer)
    make_call(endpoint, 2, outcome=CallOutcome.ABANDONED)
    make_call(endpoint, 3, outcome=CallOutcome.BUSY, direction="out")
    make_call(endpoint, 4)
    Call.objects.filter(call_id="call-2").update(called_back_at=timezone.now())

    def ids(**query: Any) -> list[str]:
        return [i["call_id"] for i in calls(lead, **query).json()["items"]]

    assert ids(outcome="missed") == ["call-1"]
    assert ids(direction="out") == ["call-3"]
    assert ids(customer=customer.pk) == ["call-1"]
    assert ids(callbacks="true") == ["call-1"]


def test_account_managers_are_refused_the_log_and_scoped_to_their_customers(endpoint):
    manager = f.user(Role.ACCOUNT_MANAGER)
    theirs = f.customer(account_manager=manager)
    site = f.customer(parent_account=theirs)
    make_call(endpoint, 1, customer=theirs)
    make_call(endpoint, 2, customer=site)
    make_call(endpoint, 3, customer=f.customer())
    make_call(endpoint, 4)

    # Their role does not take calls: the API refuses them the log.
    assert calls(manager).status_code == 403
    # Should a desk let them see calls, the scope keeps to their accounts.
    rows, _ = call_page(user=manager, filters=CallFilter(), cursor=None, limit=50)
    assert [c.call_id for c in rows] == ["call-2", "call-1"]
    everyone, _ = call_page(
        user=f.user(Role.HOTLINE_OPERATOR), filters=CallFilter(), cursor=None, limit=50
    )
    assert len(everyone) == 4


def test_bad_filters_and_cursors_are_refused_naming_the_field(endpoint):
    lead = f.user(Role.TEAM_LEAD)
    for query, field in (
        ({"outcome": "lost"}, "outcome"),
        ({"direction": "sideways"}, "direction"),
        ({"limit": 201}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ):
        response = calls(lead, **query)
        assert response.status_code == 422, query
        assert response.json()["errors"][0]["field"] == field


def test_field_engineers_may_not_see_the_call_log(endpoint):
    assert calls(f.user(Role.FIELD_ENGINEER)).status_code == 403


def test_a_page_costs_the_same_queries_however_many_calls_it_lists(
    endpoint, django_assert_num_queries
):
    lead = f.user(Role.TEAM_LEAD)
    client = Client()
    auth = f"Bearer {f.token_for(lead)}"
    for n in range(3):
        make_call(endpoint, n, customer=f.customer(), answered_by=lead)
    client.get("/api/v1/calls", HTTP_AUTHORIZATION=auth)
    with django_assert_num_queries(3) as few:
        assert len(client.get("/api/v1/calls", HTTP_AUTHORIZATION=auth).json()["items"]) == 3
    for n in range(3, 40):
        make_call(endpoint, n, customer=f.customer(), answered_by=lead)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/calls", HTTP_AUTHORIZATION=auth).json()["items"]) == 40


def test_the_phone_endpoints_are_in_the_api_schema():
    schema = Client().get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/cti/{token}",
        "/api/v1/cti/{token}/caller",
        "/api/v1/calls",
        "/api/v1/calls/outage-notices",
    ):
        assert path in paths
    outcome = next(p for p in paths["/api/v1/calls"]["get"]["parameters"] if p["name"] == "outcome")
    assert "missed" in json.dumps(outcome)
