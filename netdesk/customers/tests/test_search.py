"""Finding callers by the start of their number, as operators type it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from netdesk import config
from netdesk.customers.models import Contact, Customer
from netdesk.customers.selectors import customer_search, phone_prefix_matches
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def callers():
    """Numbers stored as they were given: international, with 00, national."""
    return {
        "berlin_plus": f.customer(phone="+49 30 1234567", name="Berlin Plus"),
        "berlin_00": f.customer(phone="0049 30 2223334", name="Berlin Double Zero"),
        "berlin_national": f.customer(phone="030 7654321", name="Berlin National"),
        "hamburg": f.customer(phone="+49 40 1112223", name="Hamburg"),
        "mobile": f.customer(phone="+49 151 23456789", name="Mobile"),
    }


def _names(found):
    return {customer.name for customer in found}


@pytest.mark.parametrize("query", ["030", "+49 30", "+4930", "0049 30", "(030)", "+49 (0)30"])
def test_an_area_code_in_any_spelling_finds_its_callers(callers, query):
    found = customer_search(user=f.user(), query=query)
    assert _names(found) >= {"Berlin Plus", "Berlin Double Zero", "Berlin National"}
    assert "Hamburg" not in _names(found)
    assert "Mobile" not in _names(found)


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("030 12", "Berlin Plus"),
        ("030 222", "Berlin Double Zero"),
        ("+49 30 765", "Berlin National"),
        ("0151 234", "Mobile"),
        ("040-111", "Hamburg"),
    ],
)
def test_leading_digits_narrow_to_the_caller(callers, query, name):
    assert _names(customer_search(user=f.user(), query=query)) == {name}


def test_a_contacts_number_finds_their_account(callers):
    account = f.customer(phone="", name="Site Office")
    Contact(customer=account, name="Janitor", phone="+49 33 9998887").save()
    assert _names(customer_search(user=f.user(), query="033 999")) == {"Site Office"}


def test_an_account_manager_finds_only_their_own_callers(callers):
    manager = f.user("account_manager", groups=[])
    mine = f.customer(phone="+49 30 5550001", name="Mine", account_manager=manager)
    assert customer_search(user=manager, query="030") == [mine]


def test_the_readme_example_finds_callers_through_the_api(callers):
    hotline = f.user()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(hotline)}")
    answer = client.get("/api/v1/customers", {"q": "030"})
    assert answer.status_code == 200
    assert {"Berlin Plus", "Berlin Double Zero", "Berlin National"} <= {
        row["name"] for row in answer.json()
    }


def test_the_end_of_a_number_finds_its_caller_but_an_account_number_does_not(callers):
    assert _names(customer_search(user=f.user(), query="7654321")) == {"Berlin National"}
    assert _names(customer_search(user=f.user(), query="76-54-321")) == {"Berlin National"}
    # Letters make it an identifier: looked up exactly, never as a number's end.
    assert customer_search(user=f.user(), query="A7654321") == []
    account = f.customer(phone="+49 89 5550000", name="Munich", account_number="A7654321")
    assert _names(customer_search(user=f.user(), query="A7654321")) == {account.name}


def test_partial_number_search_costs_the_same_queries_for_few_and_many_callers():
    user = f.user()
    for n in range(3):
        f.customer(phone=f"+49 30 600{n:04d}")
    with CaptureQueriesContext(connection) as few:
        assert len(customer_search(user=user, query="030 600")) == 3
    for n in range(3, 40):
        f.customer(phone=f"+49 30 600{n:04d}")
    with CaptureQueriesContext(connection) as many:
        assert len(customer_search(user=user, query="030 600", limit=20)) == 20
    assert len(many.captured_queries) == len(few.captured_queries)


def test_prefix_lookups_are_index_range_scans():
    """Each spelling is a range on the indexed digits column: no table scan."""
    f.customer(phone="+49 30 1234567")
    for model in (Customer, Contact):
        lookup = phone_prefix_matches(model.objects.all(), "030")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET enable_seqscan = off")  # the table is tiny
            plan = lookup.explain()
            assert "Index" in plan, plan
            assert "Seq Scan" not in plan, plan
        else:
            plan = lookup.explain()
            assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, plan
            assert "SCAN" not in plan.replace("USING", ""), plan


def test_without_a_home_country_a_trunk_0_matches_numbers_written_so(callers, settings):
    settings.NETDESK_PHONE_COUNTRY_CODE = ""
    assert _names(customer_search(user=f.user(), query="030")) == {"Berlin National"}
    assert _names(customer_search(user=f.user(), query="+49 30 1")) == {"Berlin Plus"}


@pytest.mark.parametrize("raw", ["DE", "+4a", "12345"])
def test_a_country_code_that_is_not_one_fails_at_start_naming_it(monkeypatch, raw):
    monkeypatch.setenv("NETDESK_PHONE_COUNTRY_CODE", raw)
    with pytest.raises(ImproperlyConfigured, match="NETDESK_PHONE_COUNTRY_CODE"):
        config.phone_country_code()
