"""GET /api/v1/cti/<token>/caller?number=…: who is calling and whether a
known outage lies on their services, for the IVR to announce; each lookup
is recorded so the call that follows counts as heard-and-waited."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from netdesk.accounts.models import Role
from netdesk.customers.models import Contact, Customer
from netdesk.noc.models import DetectedBy
from netdesk.noc.services.incidents import incident_create
from netdesk.phone.models import Call, CallerLookup, CtiEndpoint
from netdesk.phone.selectors import PhoneTail, callers_by_number
from netdesk.phone.services.endpoints import cti_endpoint_create
from tests import factories as f

pytestmark = pytest.mark.django_db

NUMBER = "+49 30 55501234"


@pytest.fixture
def endpoint() -> tuple[CtiEndpoint, str]:
    return cti_endpoint_create(name="IVR")


def lookup(token: str, number: str) -> Any:
    return Client().get(f"/api/v1/cti/{token}/caller", {"number": number})


def test_a_known_caller_without_an_outage_is_named_and_nothing_is_announced(endpoint):
    row, token = endpoint
    customer = f.customer(phone=NUMBER)

    answer = lookup(token, "004930 5550-1234")

    assert answer.status_code == 200
    body = answer.json()
    assert body["customer"]["id"] == customer.pk
    assert body["customer"]["account_number"] == customer.account_number
    assert body["known_outage"] is False
    assert body["incident"] is None
    assert body["message"]
    recorded = CallerLookup.objects.get()
    assert recorded.endpoint_id == row.pk
    assert recorded.customer_id == customer.pk
    assert recorded.incident_reference == ""


def test_a_caller_behind_a_failed_element_hears_the_incidents_customer_text(endpoint):
    _, token = endpoint
    olt = f.element()
    customer = f.customer(phone=NUMBER)
    f.service(customer, access_element=olt)
    incident = incident_create(
        actor=f.user(Role.NOC_ENGINEER),
        title="OLT down",
        detected_by=DetectedBy.MANUAL,
        root_element=olt,
        customer_description="A fibre cut in Berlin-Mitte affects internet and phone",
        eta=timezone.now() + timedelta(hours=2),
    )

    body = lookup(token, "030 55501234").json()

    assert body["known_outage"] is True
    assert body["incident"] == incident.reference
    assert body["message"].startswith("A fibre cut in Berlin-Mitte affects internet and phone.")
    assert "We expect it to be fixed by" in body["message"]
    assert CallerLookup.objects.get().incident_reference == incident.reference


def _outage(element, *, elements=(), text="Outage"):
    return incident_create(
        actor=None,
        title=text,
        detected_by=DetectedBy.MANUAL,
        root_element=element,
        elements=elements,
        customer_description=text,
    )


def test_the_newest_incident_on_the_callers_path_is_announced_not_one_elsewhere(endpoint):
    # Given an aggregation switch above the caller's OLT, an older incident
    # rooted elsewhere that holds the switch, and a newer one off the path.
    _, token = endpoint
    switch = f.element(name="AGG-1")
    olt = f.element(name="OLT-1", upstream=switch)
    elsewhere = f.element(name="OLT-9")
    f.service(f.customer(phone=NUMBER), access_element=olt)
    held = _outage(f.element(name="CORE-1"), elements=[switch], text="Core router down")
    _outage(elsewhere, text="Another town")

    body = lookup(token, NUMBER).json()

    # Then the incident that holds an element on the path answers.
    assert (body["incident"], body["message"]) == (held.reference, "Core router down.")

    # When a newer incident is rooted on the OLT itself, it is the one told.
    rooted = _outage(olt, text="Fibre cut")
    body = lookup(token, NUMBER).json()
    assert (body["incident"], body["message"]) == (rooted.reference, "Fibre cut.")


def test_the_outage_lookup_costs_the_same_however_many_incidents_are_open(
    endpoint, django_assert_num_queries
):
    _, token = endpoint
    switch = f.element(name="AGG-1")
    olt = f.element(name="OLT-1", upstream=switch)
    others = [f.element(name=f"OLT-X{n}") for n in range(40)]
    f.service(f.customer(phone=NUMBER), access_element=olt)
    _outage(others[0], elements=[switch], text="Held")
    assert lookup(token, NUMBER).json()["known_outage"] is True

    # Endpoint, rate count, the callers, the active incidents, the
    # caller's access elements, the data versions (topology), the incidents
    # holding a path element, the record.
    with django_assert_num_queries(8):
        assert lookup(token, NUMBER).json()["message"] == "Held."
    for n in range(1, 40, 2):
        _outage(others[n], elements=others[n + 1 : n + 2], text=f"Elsewhere {n}")
    with django_assert_num_queries(8):
        assert lookup(token, NUMBER).json()["message"] == "Held."
    # An incident rooted on the path needs no look at incidents' elements.
    _outage(olt, text="Rooted")
    with django_assert_num_queries(7):
        assert lookup(token, NUMBER).json()["message"] == "Rooted."


def test_a_shared_number_hears_the_outage_of_any_of_its_customers_at_the_same_cost(
    endpoint, django_assert_num_queries
):
    # Given a number three customers share; only the last one's line is
    # behind a failed element, held by an incident rooted elsewhere.
    _, token = endpoint
    olt = f.element(name="OLT-1")
    for n in range(3):
        f.service(f.customer(phone=NUMBER), access_element=olt if n == 2 else f.element())
    _outage(f.element(name="CORE-1"), elements=[olt], text="Core router down")
    assert lookup(token, NUMBER).json()["known_outage"] is True

    # Endpoint, rate count, the callers, the active incidents, the
    # customers' access elements, the data versions, the incidents on the
    # paths, the record: the same as for one customer.
    with django_assert_num_queries(8):
        body = lookup(token, NUMBER).json()

    assert body["customer"] is None
    assert body["message"] == "Core router down."


def test_a_caller_who_heard_the_notice_and_still_called_is_counted_on_the_call(endpoint):
    _, token = endpoint
    olt = f.element()
    customer = f.customer(phone=NUMBER)
    f.service(customer, access_element=olt)
    incident = incident_create(
        actor=f.user(Role.NOC_ENGINEER),
        title="OLT down",
        detected_by=DetectedBy.MANUAL,
        root_element=olt,
    )
    assert lookup(token, "493055501234").json()["known_outage"] is True

    Client().post(
        f"/api/v1/cti/{token}",
        data=json.dumps(
            {"event": "newCall", "callId": "x", "direction": "in", "from": "493055501234"}
        ),
        content_type="application/json",
    )

    assert Call.objects.get().heard_outage == incident.reference


def test_contacts_come_first_primary_ones_first_then_customers_own_numbers():
    # Given one number on a customer's own line, another customer's plain
    # contact, a third customer's primary contact and a second contact of
    # that same customer.
    own = f.customer(phone=NUMBER)
    Contact.objects.filter(customer=own).delete()
    plain_owner, primary_owner = f.customer(), f.customer()
    plain = Contact.objects.create(customer=plain_owner, name="Plain", phone="030 55501234")
    primary = Contact.objects.create(
        customer=primary_owner, name="Primary", phone="+4930 5550 1234", is_primary=True
    )
    Contact.objects.create(customer=primary_owner, name="Second", phone="030 5550 1234")

    matches = callers_by_number("0049 30 55501234")

    assert [(m.customer_id, m.contact_id) for m in matches] == [
        (primary_owner.pk, primary.pk),
        (plain_owner.pk, plain.pk),
        (own.pk, None),
    ]
    assert matches[2].name == own.name
    assert callers_by_number("12345") == []


def test_unknown_and_shared_numbers_name_no_customer(endpoint):
    _, token = endpoint
    f.customer(phone="+49 40 1111111")
    f.customer(phone="040 1111111")
    shared = lookup(token, "+49 40 1111111").json()
    unknown = lookup(token, "anonymous").json()
    assert shared["customer"] is None
    assert unknown == {
        "customer": None,
        "known_outage": False,
        "incident": None,
        "message": "The number is not one of a known customer.",
    }


def test_an_unknown_token_is_a_404_problem_and_a_missing_number_a_422(endpoint):
    _, token = endpoint
    assert lookup("cti_nosuch", NUMBER).status_code == 404
    missing = Client().get(f"/api/v1/cti/{token}/caller")
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "number"
    assert lookup(token, "1" * 65).status_code == 422


def test_a_caller_is_matched_in_one_query(endpoint, django_assert_num_queries):
    f.customer(phone=NUMBER)
    with django_assert_num_queries(1):
        assert len(callers_by_number("0049 30 55501234")) == 1


def test_the_lookup_costs_the_same_queries_however_many_customers_there_are(
    endpoint, django_assert_max_num_queries
):
    _, token = endpoint
    for _ in range(30):
        f.customer()
    f.customer(phone=NUMBER)
    # The window's first request also clears the endpoint's older counts.
    assert lookup(token, NUMBER).status_code == 200
    # Endpoint, rate count, the callers, the incidents, the record.
    with django_assert_max_num_queries(5):
        assert lookup(token, NUMBER).status_code == 200


def test_the_caller_queries_use_the_phone_tail_indexes(endpoint):
    # Given a planner told to avoid scans where it can: the index must serve.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET enable_seqscan = off")
        for rows, index in (
            (Contact.objects, "contact_phone_tail_idx"),
            (Customer.objects, "customer_phone_tail_idx"),
        ):
            query = rows.annotate(tail=PhoneTail("phone_digits")).filter(tail="305550123")
            sql, params = query.values_list("pk").query.sql_with_params()
            explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
            cursor.execute(explain + sql, params)
            plan = " ".join(str(row) for row in cursor.fetchall())
            assert index in plan, plan


def test_the_desk_counts_callers_told_of_an_outage_and_those_who_still_called(endpoint):
    _, token = endpoint
    olt = f.element()
    told = [f.customer(phone=f"+49 30 5550{n:04d}") for n in range(3)]
    for customer in told:
        f.service(customer, access_element=olt)
    incident = incident_create(
        actor=f.user(Role.NOC_ENGINEER),
        title="OLT down",
        detected_by=DetectedBy.MANUAL,
        root_element=olt,
    )
    for customer in told:
        assert lookup(token, customer.phone).json()["incident"] == incident.reference
    lookup(token, told[0].phone)  # asked twice: one caller
    f.user(Role.HOTLINE_OPERATOR, username="emma")
    for n, (kind, extra) in enumerate(
        [("answer", {"user": "emma"}), ("hangup", {"cause": "cancel"})]
    ):
        for event, more in (("newCall", {}), (kind, extra)):
            body = {"event": event, "callId": f"k{n}", "direction": "in", "from": told[n].phone}
            Client().post(
                f"/api/v1/cti/{token}",
                data=json.dumps({**body, **more}),
                content_type="application/json",
            )
    Client().post(
        f"/api/v1/cti/{token}",
        data=json.dumps({"event": "hangup", "callId": "k0", "cause": "normalClearing"}),
        content_type="application/json",
    )
    lead = f.user(Role.TEAM_LEAD)

    answer = Client().get(
        "/api/v1/calls/outage-notices", HTTP_AUTHORIZATION=f"Bearer {f.token_for(lead)}"
    )

    assert answer.status_code == 200
    assert answer.json()["incidents"] == [
        {
            "incident": incident.reference,
            "callers_told": 3,
            "still_called": 2,
            "answered": 1,
            "abandoned": 1,
        }
    ]
