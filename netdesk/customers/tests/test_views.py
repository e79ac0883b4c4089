"""Customer search and the customer 360 page of the agent UI."""

from __future__ import annotations

import pytest
from django.urls import reverse

from netdesk.accounts.models import Role
from netdesk.customers.models import Segment
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    agent = f.user()
    client.force_login(agent)
    return agent


def test_search_by_phone_in_another_format(client, operator):
    caller = f.customer(phone="+49 30 1234567", name="Erika Mustermann")
    response = client.get(reverse("customer_search"), {"q": "030 123 4567"})
    assert response.status_code == 200
    assert list(response.context["customers"]) == [caller]
    assert b"Erika Mustermann" in response.content


def test_search_by_service_id_and_account_number(client, operator):
    caller = f.customer()
    line = f.service(caller)
    for query in (line.service_id, caller.account_number):
        found = client.get(reverse("customer_search"), {"q": query}).context["customers"]
        assert list(found) == [caller]


def test_live_search_returns_only_the_results_fragment(client, operator):
    f.customer(name="Fibre Bakery GmbH")
    response = client.get(reverse("customer_search"), {"q": "Bakery"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert "Fibre Bakery GmbH" in page
    assert "<html" not in page


def test_search_without_match_says_what_to_try(client, operator):
    response = client.get(reverse("customer_search"), {"q": "nobody-like-this"})
    assert b"No customer matches" in response.content


def test_ticket_reference_in_the_search_box_opens_the_ticket(client, operator):
    ticket = f.ticket(operator)
    response = client.get(reverse("customer_search"), {"q": ticket.reference})
    assert response.status_code == 302
    assert response["Location"] == reverse("ticket_detail", args=[ticket.reference])


def test_customer_360_shows_account_services_tickets_and_contacts(client, operator):
    manager = f.user(Role.ACCOUNT_MANAGER, groups=[], first_name="Kim", last_name="Keller")
    owner = f.customer(
        Segment.KEY_ACCOUNT, account_manager=manager, contract_reference="GA-2026-07"
    )
    line = f.service(owner, product="Business Fibre 1G")
    ticket = f.ticket(
        operator,
        owner,
        call={"direction": "inbound", "summary": "Site down", "outcome": "ticket_created"},
    )
    response = client.get(reverse("customer_detail", args=[owner.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    for expected in (
        "Key account",
        "Kim Keller",
        "GA-2026-07",
        line.service_id,
        "Business Fibre 1G",
        ticket.reference,
        "Site down",
        "New ticket for this call",
        reverse("ticket_create", args=[owner.pk]),
    ):
        assert expected in page


def test_account_manager_sees_only_their_accounts(client):
    manager = f.user(Role.ACCOUNT_MANAGER, groups=[])
    other = f.customer(Segment.KEY_ACCOUNT)
    mine = f.customer(Segment.KEY_ACCOUNT, account_manager=manager)
    client.force_login(manager)
    assert client.get(reverse("customer_detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("customer_detail", args=[mine.pk])).status_code == 200


def test_search_needs_a_login(client):
    response = client.get(reverse("customer_search"), {"q": "x"})
    assert response.status_code == 302
