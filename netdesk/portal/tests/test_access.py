"""A portal session: a contact, never a Django user (no agent page, API or
live stream opens for it); a new session key at sign-in; sign-out by POST;
idle and absolute timeouts; which tickets a contact may see."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from netdesk.customers.models import Segment
from netdesk.portal.access import (
    SESSION_CONTACT,
    SESSION_SEEN_AT,
    SESSION_SIGNED_IN_AT,
    visible_tickets,
)
from netdesk.portal.services.access import portal_access_set
from netdesk.portal.tests.helpers_signin import (
    contact_of,
    link_secret,
    signed_in_client,
    subscriber,
)
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    ["/", "/customers/", "/noc/", "/calls/", "/chat/console/", "/reports/kpis/"],
)
def test_a_portal_session_opens_no_agent_page(path: str):
    try:
        resolve(path)
    except Resolver404:
        pytest.skip(f"{path} is not served by this desk")
    client = signed_in_client(subscriber())
    answer = client.get(path)
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("login"))


def test_a_portal_session_opens_neither_the_api_nor_live_events_nor_admin():
    client = signed_in_client(subscriber())
    assert client.get("/api/v1/tickets").status_code == 401
    assert client.get(reverse("agent_live")).status_code == 401
    admin = client.get("/admin/")
    assert admin.status_code == 302
    assert "/admin/login/" in admin["Location"]


def test_signed_out_portal_pages_lead_to_sign_in_and_back():
    client = Client()
    answer = client.get(reverse("portal_preferences"))
    assert answer.status_code == 302
    assert answer["Location"] == reverse("portal_sign_in") + "?next=%2Fportal%2Fpreferences%2F"


def test_an_agent_session_is_no_portal_session():
    client = Client()
    client.force_login(f.user())
    assert client.get(reverse("portal_home")).status_code == 302


def test_sign_in_gives_a_new_session_key_and_keeps_only_the_contact_and_times():
    contact = subscriber()
    client = Client()
    client.get(reverse("portal_sign_in"))
    session = client.session
    session["probe"] = 1
    session.save()
    before = session.session_key
    signed_in_client(contact, client)
    assert client.session.session_key != before
    portal_keys = {k for k, _v in client.session.items() if k.startswith("portal_")}
    assert portal_keys == {SESSION_CONTACT, SESSION_SIGNED_IN_AT, SESSION_SEEN_AT}
    assert client.session[SESSION_CONTACT] == contact.pk


def test_sign_out_is_a_post_and_ends_the_portal_session():
    client = signed_in_client(subscriber())
    key = client.session.session_key
    assert client.get(reverse("portal_sign_out")).status_code == 405
    answer = client.post(reverse("portal_sign_out"))
    assert answer.status_code == 302
    assert answer["Location"] == reverse("portal_sign_in")
    assert SESSION_CONTACT not in client.session
    assert client.session.session_key != key
    assert client.get(reverse("portal_home")).status_code == 302


def test_sign_out_keeps_csrf():
    client = signed_in_client(subscriber())
    client.handler.enforce_csrf_checks = True
    assert client.post(reverse("portal_sign_out")).status_code == 403


def _age_session(client: Client, **minutes: int) -> None:
    session = client.session
    now = timezone.now()
    for key, name in ((SESSION_SIGNED_IN_AT, "signed_in"), (SESSION_SEEN_AT, "seen")):
        if name in minutes:
            session[key] = (now - timedelta(minutes=minutes[name])).isoformat()
    session.save()


def test_a_session_left_idle_ends():
    client = signed_in_client(subscriber())
    idle = django_settings.NETDESK_PORTAL_IDLE_MINUTES
    _age_session(client, seen=idle - 1, signed_in=idle - 1)
    assert client.get(reverse("portal_home")).status_code == 200
    # The page just opened counts as activity.
    _age_session(client, signed_in=idle + 5)
    assert client.get(reverse("portal_home")).status_code == 200
    _age_session(client, seen=idle + 1)
    assert client.get(reverse("portal_home")).status_code == 302
    assert SESSION_CONTACT not in client.session


def test_a_session_ends_at_the_latest_hours_after_sign_in():
    client = signed_in_client(subscriber())
    hours = django_settings.NETDESK_PORTAL_SESSION_HOURS
    _age_session(client, signed_in=hours * 60 + 1, seen=0)
    assert client.get(reverse("portal_home")).status_code == 302


def test_a_contact_barred_while_signed_in_is_signed_out():
    contact = subscriber()
    client = signed_in_client(contact)
    portal_access_set(contact=contact, may_sign_in=False)
    assert client.get(reverse("portal_home")).status_code == 302


def test_a_residential_contact_sees_every_ticket_of_their_customer_only():
    agent = f.user()
    contact = subscriber()
    partner = contact_of(contact.customer, new=True)
    mine = f.ticket(agent, contact.customer, contact=contact)
    partners = f.ticket(agent, contact.customer, contact=partner)
    no_contact = f.ticket(agent, contact.customer)
    f.ticket(agent, f.customer())
    assert set(visible_tickets(contact)) == {mine, partners, no_contact}


def test_a_business_contact_sees_their_own_tickets_unless_allowed_all():
    agent = f.user()
    contact = subscriber(Segment.BUSINESS)
    colleague = contact_of(contact.customer, new=True)
    mine = f.ticket(agent, contact.customer, contact=contact)
    theirs = f.ticket(agent, contact.customer, contact=colleague)
    f.ticket(agent, subscriber(Segment.BUSINESS).customer)
    assert list(visible_tickets(contact)) == [mine]
    out = StringIO()
    call_command(
        "portal",
        "access",
        "set",
        "--account",
        contact.customer.account_number,
        "--email",
        contact.email.upper(),
        "--all-tickets",
        "yes",
        stdout=out,
    )
    assert "sees all tickets" in out.getvalue()
    assert set(visible_tickets(contact)) == {mine, theirs}
    # Allowing all is for the one contact, not the colleague.
    assert list(visible_tickets(colleague)) == [theirs]


def test_a_key_account_site_counts_as_business():
    agent = f.user()
    contact = subscriber(Segment.KEY_ACCOUNT)
    f.ticket(agent, contact.customer)
    assert list(visible_tickets(contact)) == []


def test_access_list_names_every_contact():
    contact = subscriber(Segment.BUSINESS)
    barred = contact_of(contact.customer, new=True)
    portal_access_set(contact=barred, may_sign_in=False)
    out = StringIO()
    call_command(
        "portal", "access", "list", "--account", contact.customer.account_number, stdout=out
    )
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(contact.email)
    assert "(primary): may sign in, sees own tickets" in lines[0]
    assert "may not sign in" in lines[1]


def test_a_link_of_a_placeholder_customer_does_not_sign_in():
    contact = contact_of(f.customer(is_placeholder=True))
    client = Client()
    assert client.post(reverse("portal_link", args=[link_secret(contact)])).status_code == 404
