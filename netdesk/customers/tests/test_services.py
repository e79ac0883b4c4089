"""The customers' bulk writes: a fixed number of statements however many
rows, the one-at-a-time rules (E.164 numbers) kept, nothing half-written."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from netdesk.core.errors import ValidationFailed
from netdesk.customers.models import Contact, Customer, Segment, Service
from netdesk.customers.services import NewCustomer, customers_ensure, customers_insert
from tests import factories as f

pytestmark = pytest.mark.django_db


def _new(count: int, prefix: str) -> list[NewCustomer]:
    return [NewCustomer(f"{prefix}{n:05d}", f"Caller {n}") for n in range(count)]


def test_ensuring_customers_creates_only_the_missing_ones_in_fixed_queries():
    stored = f.customer(account_number="SN-00001", name="Kept As Is")
    with CaptureQueriesContext(connection) as few:
        ensured = customers_ensure(customers=_new(3, "SN-"))
    assert ensured.created == 2
    assert ensured.ids["SN-00001"] == stored.pk
    assert Customer.objects.get(pk=stored.pk).name == "Kept As Is"
    with CaptureQueriesContext(connection) as many:
        ensured = customers_ensure(customers=_new(300, "NB-"))
    assert ensured.created == 300
    assert len(ensured.ids) == 300
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_repeated_account_number_is_created_once_with_its_first_name():
    ensured = customers_ensure(
        customers=[
            NewCustomer("AC-1", "First", Segment.BUSINESS),
            NewCustomer("AC-1", "Second"),
        ]
    )
    assert ensured.created == 1
    created = Customer.objects.get(pk=ensured.ids["AC-1"])
    assert (created.name, created.segment) == ("First", Segment.BUSINESS)


def test_inserting_customers_stores_numbers_in_e164_with_their_digits():
    customers_insert(
        customers=[Customer(id=9001, account_number="D-1", name="Demo", phone="+49 30 1234567")],
        contacts=[Contact(id=9001, customer_id=9001, name="Demo", phone="0151 23456789")],
        services=[Service(id=9001, service_id="SV-1", customer_id=9001, product="Fibre 500")],
    )
    customer = Customer.objects.get(pk=9001)
    assert (customer.phone, customer.phone_digits) == ("+49301234567", "49301234567")
    contact = Contact.objects.get(pk=9001)
    assert (contact.phone, contact.phone_digits) == ("+4915123456789", "4915123456789")
    assert Service.objects.filter(customer_id=9001).count() == 1


def test_an_unreadable_number_stops_the_insert_naming_its_account():
    with pytest.raises(ValidationFailed, match="customer D-2 phone 'unknown'"):
        customers_insert(
            customers=[
                Customer(id=9002, account_number="D-1", name="Fine", phone="+49 30 1234567"),
                Customer(id=9003, account_number="D-2", name="Broken", phone="unknown"),
            ],
            contacts=[],
            services=[],
        )
    assert not Customer.objects.filter(account_number__in=["D-1", "D-2"]).exists()
