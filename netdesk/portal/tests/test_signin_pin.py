"""Signing in with the account number and the account's PIN: the PIN set by
`netdesk portal pin set` (printed once, kept hashed), the account's primary
contact signed in, wrong PINs counted per account and per client address
until a lockout."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from netdesk.core.errors import ValidationFailed
from netdesk.customers.models import Contact
from netdesk.portal.access import SESSION_CONTACT
from netdesk.portal.models import PortalAccess, PortalPin
from netdesk.portal.services.pins import portal_pin_set
from netdesk.portal.tests.helpers_signin import contact_of, subscriber
from tests import factories as f

pytestmark = pytest.mark.django_db


def pin_set(account: str) -> str:
    out = StringIO()
    call_command("portal", "pin", "set", "--account", account, stdout=out)
    return out.getvalue().strip()


def try_pin(client: Client, account: str, pin: str, next_path: str = "") -> int:
    answer = client.post(
        reverse("portal_pin_sign_in"), {"account": account, "pin": pin, "next": next_path}
    )
    return answer.status_code


def test_the_printed_pin_signs_in_the_primary_contact_and_is_kept_hashed():
    contact = subscriber(account_number="AC7000001")
    pin = pin_set("AC7000001")
    assert pin.isdigit()
    assert len(pin) == 8
    stored = PortalPin.objects.get(customer=contact.customer)
    assert pin not in stored.pin_hash
    assert check_password(pin, stored.pin_hash)
    client = Client()
    answer = client.post(
        reverse("portal_pin_sign_in"),
        {"account": "ac7000001", "pin": pin, "next": "/portal/preferences/"},
    )
    assert answer.status_code == 302
    assert answer["Location"] == "/portal/preferences/"
    assert client.session[SESSION_CONTACT] == contact.pk


def test_a_new_pin_replaces_the_old_one():
    subscriber(account_number="AC7000002")
    old = pin_set("AC7000002")
    new = pin_set("AC7000002")
    assert try_pin(Client(), "AC7000002", new) == 302
    if old != new:
        assert try_pin(Client(), "AC7000002", old) == 400


def test_a_pin_may_be_given_on_stdin_and_must_be_digits(monkeypatch):
    subscriber(account_number="AC7000003")
    monkeypatch.setattr("sys.stdin", StringIO("12345678\n"))
    out = StringIO()
    call_command("portal", "pin", "set", "--account", "AC7000003", "--stdin", stdout=out)
    assert out.getvalue().strip() == "12345678"
    monkeypatch.setattr("sys.stdin", StringIO("12ab\n"))
    with pytest.raises(CommandError, match="6 to 12 digits"):
        call_command("portal", "pin", "set", "--account", "AC7000003", "--stdin")
    with pytest.raises(CommandError, match="no customer has this number"):
        call_command("portal", "pin", "set", "--account", "NOPE")


def test_an_offsite_next_is_not_followed():
    subscriber(account_number="AC7000004")
    pin = pin_set("AC7000004")
    answer = Client().post(
        reverse("portal_pin_sign_in"),
        {"account": "AC7000004", "pin": pin, "next": "https://evil.example/portal/"},
    )
    assert answer["Location"] == reverse("portal_home")


@pytest.mark.parametrize("why", ["unverified", "barred"])
def test_without_a_usable_primary_contact_the_first_verified_one_signs_in(why: str):
    contact = subscriber(account_number="AC7000005")
    if why == "unverified":
        Contact.objects.filter(pk=contact.pk).update(verified=False)
    else:
        PortalAccess.objects.create(contact=contact, may_sign_in=False)
    other = contact_of(contact.customer, new=True)
    pin = pin_set("AC7000005")
    client = Client()
    assert try_pin(client, "AC7000005", pin) == 302
    assert client.session[SESSION_CONTACT] == other.pk


def test_a_right_pin_for_an_account_nobody_may_use_says_so():
    contact = subscriber(account_number="AC7000006")
    PortalAccess.objects.create(contact=contact, may_sign_in=False)
    pin = pin_set("AC7000006")
    client = Client()
    answer = client.post(reverse("portal_pin_sign_in"), {"account": "AC7000006", "pin": pin})
    assert answer.status_code == 400
    assert b"No contact of this account may use the portal" in answer.content
    assert SESSION_CONTACT not in client.session


def test_wrong_pins_lock_the_account_out(settings):
    settings.NETDESK_PORTAL_PIN_FAILURES = "3/hour"
    subscriber(account_number="AC7000007")
    pin = pin_set("AC7000007")
    client = Client()
    wrong = "000000" if pin != "000000" else "111111"
    answer = client.post(reverse("portal_pin_sign_in"), {"account": "AC7000007", "pin": wrong})
    assert answer.status_code == 400
    assert b"account number or the PIN is not right" in answer.content
    assert [try_pin(client, "AC7000007", wrong) for _ in range(2)] == [400, 400]
    # Locked out: even the right PIN, from any client, is not tried.
    other_client = Client(REMOTE_ADDR="192.0.2.9")
    refused = other_client.post(reverse("portal_pin_sign_in"), {"account": "AC7000007", "pin": pin})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert SESSION_CONTACT not in other_client.session


def test_wrong_pins_from_one_address_lock_that_address_out(settings):
    settings.NETDESK_PORTAL_PIN_ADDRESS_FAILURES = "3/hour"
    subscriber(account_number="AC7000008")
    pin = pin_set("AC7000008")
    client = Client()
    # An unknown account fails like a wrong PIN, and is counted alike.
    assert [try_pin(client, f"AC99{n}", "123456") for n in range(3)] == [400, 400, 400]
    assert try_pin(client, "AC7000008", pin) == 429
    assert try_pin(Client(REMOTE_ADDR="192.0.2.10"), "AC7000008", pin) == 302


def test_placeholder_customers_get_no_pin():
    placeholder = f.customer(is_placeholder=True)
    with pytest.raises(ValidationFailed, match="placeholder"):
        portal_pin_set(customer=placeholder, pin="12345678")


def test_pin_remove_stops_sign_in_by_pin():
    subscriber(account_number="AC7000009")
    pin = pin_set("AC7000009")
    out = StringIO()
    call_command("portal", "pin", "remove", "--account", "AC7000009", stdout=out)
    assert "PIN removed" in out.getvalue()
    assert try_pin(Client(), "AC7000009", pin) == 400


def test_the_pin_page_labels_its_fields():
    page = Client().get(reverse("portal_pin_sign_in"))
    html = page.content.decode()
    assert '<label for="id_account"' in html
    assert '<label for="id_pin"' in html
    assert 'type="password"' in html
