from typing import Any

import pytest
from django.test import Client

from netdesk.accounts.models import Role, TierKind
from netdesk.tickets.models import Ticket
from tests import factories as f

pytestmark = pytest.mark.django_db


def api(agent=None):
    headers: dict[str, Any] = {}
    if agent is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {f.token_for(agent)}"
    client = Client(**headers)
    return client


def test_create_ticket_from_a_call_and_read_it_back():
    operator = f.user()
    owner = f.customer()
    svc = f.service(owner)
    client = api(operator)
    response = client.post(
        "/api/v1/tickets",
        {
            "customer_id": owner.pk,
            "ticket_type": "fault",
            "channel": "phone",
            "title": "No sync",
            "service_id": svc.service_id,
            "impact": 1,
            "urgency": 2,
            "call": {"summary": "Modem shows no DSL sync", "duration_seconds": 300},
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["ref"].startswith("TT-")
    assert body["priority"] == 2
    detail = client.get(f"/api/v1/tickets/{body['ref']}").json()
    assert detail["interactions"][0]["summary"] == "Modem shows no DSL sync"
    assert [e["kind"] for e in detail["events"]][:2] == ["created", "interaction_logged"]


def test_idempotency_key_replays_instead_of_creating_twice():
    operator = f.user()
    owner = f.customer()
    client = api(operator)
    payload = {
        "customer_id": owner.pk,
        "ticket_type": "billing_inquiry",
        "channel": "email",
        "title": "Invoice twice",
    }
    first = client.post(
        "/api/v1/tickets", payload, content_type="application/json", HTTP_IDEMPOTENCY_KEY="abc-1"
    )
    second = client.post(
        "/api/v1/tickets", payload, content_type="application/json", HTTP_IDEMPOTENCY_KEY="abc-1"
    )
    assert first.status_code == second.status_code == 201
    assert first.json()["ref"] == second.json()["ref"]
    assert Ticket.objects.count() == 1
    other = client.post(
        "/api/v1/tickets",
        {**payload, "title": "Different"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="abc-1",
    )
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"


def test_bad_input_is_a_problem_document_naming_field_value_and_accepted():
    operator = f.user()
    owner = f.customer()
    response = api(operator).post(
        "/api/v1/tickets",
        {"customer_id": owner.pk, "ticket_type": "outage??", "channel": "phone", "title": "x"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    error = response.json()["errors"][0]
    assert error["field"] == "ticket_type"
    assert error["value"] == "outage??"
    assert "fault" in str(error["accepted"])
    assert Ticket.objects.count() == 0


def test_service_of_another_customer_is_refused():
    operator = f.user()
    owner, stranger = f.customer(), f.customer()
    svc = f.service(stranger)
    response = api(operator).post(
        "/api/v1/tickets",
        {
            "customer_id": owner.pk,
            "ticket_type": "fault",
            "channel": "phone",
            "title": "x",
            "service_id": svc.service_id,
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "service_id"


def test_no_token_is_401_and_bad_token_too():
    assert Client().get("/api/v1/tickets").status_code == 401
    bad = Client(HTTP_AUTHORIZATION="Bearer ndk_nope").get("/api/v1/tickets")
    assert bad.status_code == 401
    assert bad["Content-Type"] == "application/problem+json"


def test_escalate_resolve_and_invalid_transition_via_api():
    operator = f.user()
    noc_group = f.group(TierKind.SECOND_LINE)
    ticket = f.ticket(operator)
    client = api(operator)
    ref = ticket.reference
    missing = client.post(
        f"/api/v1/tickets/{ref}/escalate",
        {"kind": "functional", "reason": "x"},
        content_type="application/json",
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "group_id"
    done = client.post(
        f"/api/v1/tickets/{ref}/escalate",
        {"kind": "functional", "reason": "Line test red", "group_id": noc_group.pk},
        content_type="application/json",
    )
    assert done.status_code == 200
    assert done.json()["group"]["name"] == noc_group.name
    resolved = client.post(
        f"/api/v1/tickets/{ref}/resolve",
        {"resolution_code": "fixed", "root_cause": "hardware"},
        content_type="application/json",
    )
    assert resolved.json()["status"] == "resolved"
    refused = client.patch(
        f"/api/v1/tickets/{ref}", {"status": "pending_customer"}, content_type="application/json"
    )
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["accepted"] == ["closed", "in_progress"]


def test_keyset_pagination_walks_every_ticket_once():
    operator = f.user()
    owner = f.customer()
    refs = {f.ticket(operator, owner, impact=(i % 3) + 1).reference for i in range(7)}
    client = api(operator)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, "order": "priority"}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/api/v1/tickets", params).json()
        seen += [t["ref"] for t in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(refs)
    assert len(seen) == 7
    garbage = client.get("/api/v1/tickets", {"cursor": "!!!"})
    assert garbage.status_code == 422
    assert garbage.json()["errors"][0]["field"] == "cursor"


def test_list_does_a_fixed_number_of_queries(django_assert_max_num_queries):
    operator = f.user()
    client = api(operator)
    for _ in range(5):
        f.ticket(operator)
    client.get("/api/v1/tickets")  # warm caches (content types, token touch)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert len(client.get("/api/v1/tickets?limit=50").json()["items"]) == 5
    for _ in range(45):
        f.ticket(operator)
    with CaptureQueriesContext(connection) as large:
        assert len(client.get("/api/v1/tickets?limit=50").json()["items"]) == 50
    assert len(large.captured_queries) == len(small.captured_queries)


def test_account_manager_sees_only_their_accounts():
    manager = f.user(Role.ACCOUNT_MANAGER, groups=[f.group(TierKind.ACCOUNT_MANAGEMENT)])
    operator = f.user()
    mine = f.customer("key_account", account_manager=manager)
    theirs = f.customer()
    own_ticket = f.ticket(operator, mine)
    other_ticket = f.ticket(operator, theirs)
    client = api(manager)
    listed = {t["ref"] for t in client.get("/api/v1/tickets").json()["items"]}
    assert listed == {own_ticket.reference}
    assert client.get(f"/api/v1/tickets/{other_ticket.reference}").status_code == 404
    assert client.get(f"/api/v1/customers/{theirs.pk}").status_code == 404
    assert client.get(f"/api/v1/customers/{mine.pk}").status_code == 200


def test_customer_search_by_phone_any_format_and_service_id():
    operator = f.user()
    owner = f.customer(phone="+49 30 1234567", name="Ada Lovelace")
    svc = f.service(owner, service_id="FTTH-0042")
    client = api(operator)
    for query in ("030 1234567", "0049301234567", "Lovelace", "FTTH-0042", owner.account_number):
        found = client.get("/api/v1/customers", {"q": query}).json()
        assert [c["id"] for c in found] == [owner.pk], query
    view = client.get(f"/api/v1/customers/{owner.pk}").json()
    assert view["services"][0]["service_id"] == svc.service_id


def test_openapi_schema_is_served():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert "/api/v1/tickets" in response.json()["paths"]


def test_deescalation_via_api_is_recorded_with_its_reason():
    lead = f.user(Role.TEAM_LEAD)
    ticket = f.ticket(lead)
    client = api(lead)
    up = client.post(
        f"/api/v1/tickets/{ticket.reference}/escalate",
        {"kind": "hierarchical", "reason": "Customer threatens to cancel"},
        content_type="application/json",
    )
    assert up.json()["hierarchical_level"] == 1
    down = client.post(
        f"/api/v1/tickets/{ticket.reference}/deescalate",
        {"reason": "Agreed a visit"},
        content_type="application/json",
    )
    assert down.json()["hierarchical_level"] == 0
    again = client.post(
        f"/api/v1/tickets/{ticket.reference}/deescalate",
        {"reason": "x"},
        content_type="application/json",
    )
    assert again.status_code == 409


@pytest.mark.parametrize("ref", ["TT-³", "%C2%B3", "TT-" + "9" * 30, "abc"])
def test_odd_references_are_not_found_not_errors(ref):
    response = api(f.user()).get(f"/api/v1/tickets/{ref}")
    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "ref"


def test_ids_beyond_the_database_range_are_refused_not_errors():
    client = api(f.user())
    response = client.get("/api/v1/customers/" + "9" * 30)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "customer_id"
