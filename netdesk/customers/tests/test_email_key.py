"""A contact's address is kept in the form every spelling of the mailbox
shares (`email_key`), whichever way the contact was written: saved one by
one, inserted in bulk, or already stored before the key existed."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from netdesk.customers.models import Contact, Customer, email_key
from netdesk.customers.services import contact_create, customer_create
from netdesk.customers.services.bulk import customers_insert

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("Ann.Lee+ISP@Example.NET", "ann.lee@example.net"),
        ("<ann@example.net>", "ann@example.net"),
        ("+tag@example.net", "+tag@example.net"),
        ("", ""),
    ],
)
def test_email_key(address, key):
    assert email_key(address) == key


def test_a_saved_contact_keeps_its_key_also_when_only_the_address_changes():
    customer = customer_create(account_number="C-1", name="Ann Lee")
    contact = contact_create(customer=customer, name="Ann", email="Ann+Home@Example.net")
    assert Contact.objects.get(pk=contact.pk).email_key == "ann@example.net"
    contact.email = "ann.lee@example.org"
    contact.save(update_fields=["email"])
    assert Contact.objects.get(pk=contact.pk).email_key == "ann.lee@example.org"


def test_contacts_inserted_in_bulk_get_their_key():
    customer = Customer(id=900, account_number="C-900", name="Bulk")
    contact = Contact(id=901, customer_id=900, name="Ben", email="Ben+x@Example.net")
    customers_insert(customers=[customer], contacts=[contact], services=[])
    assert Contact.objects.get(pk=901).email_key == "ben@example.net"


def test_the_migration_fills_the_key_of_contacts_stored_before_it():
    customer = customer_create(account_number="C-2", name="Old")
    stored = [
        contact_create(customer=customer, name=f"c{n}", email=f"C{n}+old@Example.net")
        for n in range(3)
    ]
    Contact.objects.update(email_key="")
    migration = importlib.import_module("netdesk.customers.migrations.0006_contact_email_key")
    migration.fill_email_keys(apps, None)
    keys = dict(Contact.objects.values_list("pk", "email_key"))
    assert [keys[contact.pk] for contact in stored] == [f"c{n}@example.net" for n in range(3)]
