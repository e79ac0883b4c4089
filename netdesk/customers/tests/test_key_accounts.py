"""Sites of a group (key) account are key accounts wherever the flag is read,
and the group account's page lists its sites' open tickets."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from netdesk.accounts.models import Role
from netdesk.customers.models import Segment
from netdesk.customers.selectors import customer_360, customer_search
from netdesk.routing.selectors import ticket_facts
from netdesk.sla.models import BusinessCalendar, Metric, PolicyKind, SlaPolicy, SlaTarget, SlaTimer
from netdesk.sla.selectors import facts_of, facts_rows, policies_changed
from netdesk.tickets import services
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def group():
    manager = f.user(Role.ACCOUNT_MANAGER, groups=[], first_name="Kim", last_name="Keller")
    account = f.customer(
        Segment.KEY_ACCOUNT, account_manager=manager, name="Hauptstadt Bank AG", phone="+49 30 1"
    )
    site = f.customer(
        Segment.BUSINESS,
        account_manager=manager,
        name="Hauptstadt Bank – Mitte",
        parent_account=account,
        phone="+49 30 2000001",
    )
    other_site = f.customer(
        Segment.BUSINESS,
        account_manager=manager,
        name="Hauptstadt Bank – Spandau",
        parent_account=account,
    )
    return account, site, other_site


def test_a_site_of_a_key_account_is_a_key_account(group):
    account, site, _ = group
    plain_business = f.customer(Segment.BUSINESS)
    assert account.is_key_account
    assert site.is_key_account
    assert not plain_business.is_key_account
    assert site.served_segment == Segment.KEY_ACCOUNT
    assert plain_business.served_segment == Segment.BUSINESS


def test_the_sites_page_and_search_show_the_key_account(client, group):
    _, site, _ = group
    client.force_login(f.user())
    page = client.get(reverse("customer_detail", args=[site.pk])).content.decode()
    assert "Key account" in page
    assert "Hauptstadt Bank AG" in page
    results = client.get(reverse("customer_search"), {"q": "Hauptstadt Bank – Mitte"})
    assert 'title="Key account"' in results.content.decode()


def test_search_results_read_the_group_account_in_the_same_queries(group):
    user = f.user()
    with CaptureQueriesContext(connection) as one_site:
        found = customer_search(user=user, query="Hauptstadt Bank – Mitte")
        assert [c.is_key_account for c in found] == [True]
    with CaptureQueriesContext(connection) as all_sites:
        found = customer_search(user=user, query="Hauptstadt")
        assert [c.is_key_account for c in found] == [True, True, True]
    assert len(all_sites.captured_queries) == len(one_site.captured_queries)


def test_the_360_api_flags_the_site(group):
    _, site, _ = group
    client = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(f.user())}")
    answer = client.get(f"/api/v1/customers/{site.pk}").json()
    assert answer["is_key_account"] is True
    assert answer["parent_account"] == "Hauptstadt Bank AG"


def test_the_group_account_lists_its_sites_open_tickets(client, group):
    account, site, other_site = group
    operator = f.user()
    at_site = f.ticket(operator, site, title="ATM link down at Mitte")
    at_other = f.ticket(operator, other_site, title="Slow VPN at Spandau")
    resolved = f.ticket(operator, site, title="Fixed already")
    services.ticket_resolve(
        actor=operator, ticket=resolved, resolution_code="fixed", root_cause="software"
    )
    own = f.ticket(operator, account, title="Contract question")
    view = customer_360(user=operator, customer_id=account.pk)
    assert [t.pk for t in view.open_tickets] == [own.pk, at_other.pk, at_site.pk]
    # A site lists only its own.
    assert [t.pk for t in customer_360(user=operator, customer_id=site.pk).open_tickets] == [
        at_site.pk
    ]
    client.force_login(operator)
    page = client.get(reverse("customer_detail", args=[account.pk])).content.decode()
    assert "ATM link down at Mitte" in page
    assert "Slow VPN at Spandau" in page
    assert "Hauptstadt Bank – Mitte" in page  # which site each ticket is for
    assert "No open tickets" not in page
    api = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(operator)}")
    listed = api.get(f"/api/v1/customers/{account.pk}").json()["open_tickets"]
    assert [t["ref"] for t in listed] == [own.reference, at_other.reference, at_site.reference]
    assert listed[-1]["customer"] == "Hauptstadt Bank – Mitte"


def test_the_ticket_page_of_a_site_shows_the_key_account_badge(client, group):
    _, site, _ = group
    operator = f.user()
    ticket = f.ticket(operator, site)
    client.force_login(operator)
    page = client.get(reverse("ticket_detail", args=[ticket.reference])).content.decode()
    assert '<span class="badge key">Key account</span>' in page


def test_a_sites_ticket_gets_the_key_account_sla(group):
    _, site, _ = group
    SlaPolicy.objects.all().delete()
    calendar = BusinessCalendar.objects.create(name="test 24×7", always_open=True)
    key = SlaPolicy.objects.create(
        name="Key accounts", rank=1, calendar=calendar, match_segment=Segment.KEY_ACCOUNT
    )
    SlaTarget.objects.create(policy=key, metric=Metric.RESOLUTION, minutes=120)
    everyone = SlaPolicy.objects.create(name="Everyone else", rank=2, calendar=calendar)
    SlaTarget.objects.create(policy=everyone, metric=Metric.RESOLUTION, minutes=480)
    policies_changed()
    operator = f.user()
    ticket = f.ticket(operator, site)
    timer = SlaTimer.objects.get(ticket=ticket, kind=PolicyKind.SLA, metric=Metric.RESOLUTION)
    assert timer.policy == key
    # The bulk path (recomputing many tickets) reads the same segment.
    assert facts_rows([ticket.pk])[0].segment == facts_of(ticket).segment == Segment.KEY_ACCOUNT
    plain = f.ticket(operator, f.customer(Segment.BUSINESS))
    assert SlaTimer.objects.get(ticket=plain, metric=Metric.RESOLUTION).policy == everyone


def test_routing_rules_see_the_site_as_a_key_account(group):
    _, site, _ = group
    ticket = f.ticket(f.user(), site)
    assert ticket_facts(ticket).key_account is True
