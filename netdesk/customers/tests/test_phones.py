"""Phone numbers are stored in E.164 whatever form they are written in, an
unreadable one is refused naming field, value and what is accepted, and
callers are still found by the end of their number or its national form."""

from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

from netdesk import config
from netdesk.core.errors import ValidationFailed
from netdesk.customers.models import Contact, Customer
from netdesk.customers.phones import phone_e164
from netdesk.customers.selectors import customer_search
from netdesk.customers.services import contact_create, customer_create
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("030 1234567", "+49301234567"),
        ("(030) 123-4567", "+49301234567"),
        ("+49 (0)30 1234567", "+49301234567"),
        ("0049 30 1234567", "+49301234567"),
        ("+44 20 7946 0958", "+442079460958"),
        ("0151 23456789", "+4915123456789"),
        ("  ", ""),
    ],
)
def test_a_number_in_any_written_form_is_stored_in_e164(written, stored):
    assert phone_e164(written) == stored


@pytest.mark.parametrize(
    ("written", "why"),
    [
        ("call me", "is not a phone number"),
        ("+49 1", "too short"),
        ("12", "lacks its area code"),
        ("+49 30 1234567890123456", "too long"),
        ("+49 30 1234567 ext. 12", "extension"),
        ("+999 1234567", "country code"),
    ],
)
def test_an_unreadable_number_is_refused_naming_field_value_and_forms(written, why):
    with pytest.raises(ValidationFailed) as refused:
        phone_e164(written, field="phone")
    error = refused.value
    assert error.field == "phone"
    assert error.value == written
    assert why in error.message
    assert repr(written) in error.message
    assert "+49 30 1234567" in error.accepted
    assert "national form of DE" in error.accepted


def test_without_a_region_only_the_international_form_is_accepted(settings):
    settings.NETDESK_PHONE_REGION = ""
    assert phone_e164("+49 30 1234567") == "+49301234567"
    with pytest.raises(ValidationFailed, match="national form and the desk has no phone region"):
        phone_e164("030 1234567")


def test_a_national_number_is_read_in_the_desks_region(settings):
    settings.NETDESK_PHONE_REGION = "GB"
    assert phone_e164("020 7946 0958") == "+442079460958"


def test_customers_and_contacts_are_written_in_e164_and_found_as_typed():
    account = customer_create(account_number="AC-E164", name="Kiez Bäckerei", phone="030 1234567")
    contact_create(customer=account, name="Ayşe", phone="0151 23456789", is_primary=True)
    account.refresh_from_db()
    assert (account.phone, account.phone_digits) == ("+49301234567", "49301234567")
    assert Contact.objects.get(customer=account).phone == "+4915123456789"
    user = f.user()
    for typed in ("030 1234567", "+49 30 1234567", "1234567", "030 123", "0151 234", "3456789"):
        assert customer_search(user=user, query=typed) == [account], typed


def test_a_refused_number_writes_nothing():
    with pytest.raises(ValidationFailed):
        customer_create(account_number="AC-BAD", name="Nobody", phone="not a number")
    assert not Customer.objects.filter(account_number="AC-BAD").exists()
    account = customer_create(account_number="AC-OK", name="Somebody")
    with pytest.raises(ValidationFailed):
        contact_create(customer=account, name="Nobody", phone="12")
    assert not account.contacts.exists()


def test_the_admin_form_shows_the_error_next_to_the_phone_and_stores_e164():
    admin = get_user_model().objects.create_superuser("root", "root@example.net", "pw-123456789")
    client = Client()
    client.force_login(admin)
    page = reverse("admin:customers_customer_add")
    form = {
        "account_number": "AC-ADMIN",
        "name": "Admin Made",
        "segment": "residential",
        "language": "en",
        "phone": "030 12 34 ext 9",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
    }
    refused = client.post(page, form)
    assert refused.status_code == 200
    assert "cannot be stored as a phone number" in refused.content.decode()
    assert not Customer.objects.filter(account_number="AC-ADMIN").exists()
    client.post(page, {**form, "phone": "030 7654321"})
    stored = Customer.objects.get(account_number="AC-ADMIN")
    assert (stored.phone, stored.phone_digits) == ("+49307654321", "49307654321")


def test_the_migration_normalises_what_it_can_read_and_leaves_the_rest():
    readable = f.customer(phone="030 7654321")
    unreadable = f.customer(phone="ask reception")
    Contact.objects.filter(customer=readable).update(phone="0049 40 1112223")
    migration = importlib.import_module("netdesk.customers.migrations.0004_phones_in_e164")
    migration.phones_in_e164(apps, None)
    readable.refresh_from_db()
    unreadable.refresh_from_db()
    assert (readable.phone, readable.phone_digits) == ("+49307654321", "49307654321")
    assert Contact.objects.get(customer=readable).phone == "+49401112223"
    assert unreadable.phone == "ask reception"


def test_the_region_follows_the_country_code_unless_set(monkeypatch):
    monkeypatch.delenv("NETDESK_PHONE_REGION", raising=False)
    monkeypatch.setenv("NETDESK_PHONE_COUNTRY_CODE", "44")
    assert config.phone_region(config.phone_country_code()) == "GB"
    monkeypatch.delenv("NETDESK_PHONE_COUNTRY_CODE")
    monkeypatch.setenv("NETDESK_PHONE_REGION", "at")
    assert (config.phone_country_code(), config.phone_region("43")) == ("43", "AT")


@pytest.mark.parametrize(
    ("region", "code", "named"),
    [("XX", None, "is not a region"), ("GB", "49", "dials +44")],
)
def test_a_region_that_cannot_be_used_fails_at_start_naming_it(monkeypatch, region, code, named):
    monkeypatch.setenv("NETDESK_PHONE_REGION", region)
    if code is None:
        monkeypatch.delenv("NETDESK_PHONE_COUNTRY_CODE", raising=False)
    else:
        monkeypatch.setenv("NETDESK_PHONE_COUNTRY_CODE", code)
    expected = re.escape(f"NETDESK_PHONE_REGION='{region}'") + ".*" + re.escape(named)
    with pytest.raises(ImproperlyConfigured, match=expected):
        config.phone_region(config.phone_country_code())
