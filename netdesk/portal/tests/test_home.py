"""The portal's home: the customer's own services and, for each, the known
outage on its path in the words customers are told (with its ETA and
reference) or "No known problem"; in the customer's language; a fixed
number of statements whatever the number of services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from netdesk.customers.models import Contact, Service, ServiceStatus
from netdesk.network.models import NetworkElement
from netdesk.network.selectors import topology, topology_changed
from netdesk.noc.models import DetectedBy
from netdesk.noc.services.incidents import incident_create, incident_update
from netdesk.portal.selectors import services_with_status
from netdesk.portal.tests.helpers_signin import signed_in_client, subscriber
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def net() -> dict[str, NetworkElement]:
    """core → agg → olt-down (under the outage), and olt-up elsewhere."""
    core = f.element("CORE-1")
    agg = f.element("AGG-1", upstream=core)
    down = f.element("OLT-DOWN", upstream=agg)
    up = f.element("OLT-UP", upstream=core)
    topology_changed()
    return {"core": core, "agg": agg, "down": down, "up": up}


def outage_on(element: NetworkElement, **extra: object):
    return incident_create(
        actor=None,
        title="LinkDown on AGG-1 (technical)",
        detected_by=DetectedBy.ALARM,
        root_element=element,
        technical_description="Line card 3 dead, RMA opened",
        **extra,  # type: ignore[arg-type]
    )


def test_a_service_under_an_outage_shows_its_text_eta_and_reference(net):
    contact = subscriber()
    f.service(contact.customer, product="Fibre 500", access_element=net["down"])
    f.service(contact.customer, product="Fibre 100", access_element=net["up"])
    eta = timezone.now() + timedelta(hours=3)
    incident = outage_on(
        net["agg"], customer_description="A cable was cut by construction work.", eta=eta
    )
    page = signed_in_client(contact).get(reverse("portal_home")).content.decode()
    assert "Known outage" in page
    assert incident.reference in page
    assert "A cable was cut by construction work." in page
    assert eta.isoformat(timespec="seconds")[:16] in page
    assert "No known problem" in page
    # The NOC's own words never reach the customer.
    assert "Line card 3" not in page
    assert "(technical)" not in page
    # Fibre 100 is fine, Fibre 500 is down: each card says its own.
    cards = {card.split("</h2>")[0].rsplit(">", 1)[1]: card for card in page.split("<li ")[1:]}
    assert "No known problem" in cards["Fibre 100"]
    assert "Known outage" not in cards["Fibre 100"]
    assert "Known outage" in cards["Fibre 500"]


def test_the_latest_customer_message_is_shown(net):
    contact = subscriber()
    f.service(contact.customer, access_element=net["down"])
    incident = outage_on(net["agg"], customer_description="We are looking into it.")
    incident_update(
        actor=None, incident=incident, customer_message="Engineers are on site.", eta=None
    )
    rows = services_with_status(contact)
    assert rows[0].outage is not None
    assert rows[0].outage.message == "Engineers are on site."
    page = signed_in_client(contact).get(reverse("portal_home")).content.decode()
    assert "Engineers are on site." in page
    assert "We do not know yet when it will work again" in page


def test_without_an_outage_every_service_has_no_known_problem(net):
    contact = subscriber()
    f.service(contact.customer, access_element=net["down"], product="On the map")
    Service.objects.filter(product="On the map").update(installation_address="Elm St 4")
    f.service(contact.customer)  # not yet on the network map
    f.service(contact.customer, status=ServiceStatus.CEASED, product="Old DSL")
    page = signed_in_client(contact).get(reverse("portal_home")).content.decode()
    assert page.count("No known problem") == 2
    assert "Elm St 4" in page
    assert "Old DSL" not in page


def test_another_customers_services_and_outages_are_never_shown(net):
    contact = subscriber()
    f.service(contact.customer, product="Mine", access_element=net["up"])
    neighbour = subscriber()
    f.service(
        neighbour.customer,
        product="Neighbour's line",
        service_id="SID-NEIGHBOUR",
        access_element=net["down"],
    )
    Service.objects.filter(service_id="SID-NEIGHBOUR").update(installation_address="Secret Lane 9")
    outage_on(net["agg"], customer_description="Outage text")
    page = signed_in_client(contact).get(reverse("portal_home")).content.decode()
    assert "Mine" in page
    for other in ("Neighbour", "SID-NEIGHBOUR", "Secret Lane", "Outage text"):
        assert other not in page
    assert neighbour.customer.account_number not in page


@pytest.mark.parametrize("count", [1, 10])
def test_the_home_page_takes_a_fixed_number_of_statements(
    count: int, net, django_assert_num_queries
):
    contact = subscriber()
    for n in range(count):
        element = net["down"] if n % 2 == 0 else net["up"]
        f.service(contact.customer, access_element=element)
    outage_on(net["agg"], customer_description="Down", eta=timezone.now() + timedelta(hours=1))
    client = signed_in_client(contact)
    topology()  # the map is built once per process, not per page
    # Session, contact, services, whether any incident is active, the
    # network map's data version, the incidents rooted on the paths, the
    # incidents holding elements of the paths, the customer messages.
    with django_assert_num_queries(8):
        page = client.get(reverse("portal_home"))
    assert page.status_code == 200
    assert page.content.decode().count("Known outage") == (count + 1) // 2


@pytest.mark.parametrize(
    ("language", "shown"), [("de", "de"), ("DE-AT", "de"), ("xx", "en"), ("", "en")]
)
def test_the_page_speaks_the_customers_language(language: str, shown: str):
    contact = subscriber(language=language)
    page = signed_in_client(contact).get(reverse("portal_home")).content.decode()
    assert f'<html lang="{shown}">' in page


def test_the_menu_offers_the_portal_pages_and_sign_out_by_post():
    contact = subscriber()
    page = signed_in_client(contact).get(reverse("portal_home")).content.decode()
    assert 'aria-current="page">Services</a>' in page
    assert reverse("portal_preferences") in page
    assert f'<form action="{reverse("portal_sign_out")}" method="post">' in page
    assert contact.customer.account_number in page
    assert "<script" not in page
    # Nothing of the agent UI.
    assert 'href="/"' not in page
    assert reverse("customer_search") not in page
    assert "desk.css" not in page


def test_a_contact_of_an_account_without_services_is_told_so():
    contact = subscriber()
    Contact.objects.filter(pk=contact.pk).update(name="Ann")
    page = signed_in_client(contact).get(reverse("portal_home")).content.decode()
    assert "There are no services on this account." in page
    assert "Signed in as Ann" in page
