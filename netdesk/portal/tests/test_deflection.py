"""A new ticket for a service a known outage covers: the outage is told
first; "Tell me when it is fixed" is counted and puts the customer on the
outage's notice list (the all-clear included); "Open a ticket anyway" is
counted with the ticket; the incident page shows both counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from netdesk.accounts.models import Role, TierKind
from netdesk.channels.models import OutboundKind, OutboundMessage
from netdesk.channels.selectors_notices import latest_update
from netdesk.channels.services.incident_notices import (
    incident_all_clear,
    incident_notify,
    incident_notify_step,
)
from netdesk.noc.models import NetworkIncident
from netdesk.noc.services.incidents import incident_create, incident_resolve, incident_update
from netdesk.portal.models import Deflection, DeflectionOutcome
from netdesk.portal.selectors_tickets import deflection_counts
from netdesk.portal.tests.test_tickets import portal_contact, sign_in
from netdesk.tickets.models import Ticket
from tests import factories as f

pytestmark = pytest.mark.django_db

WORDING = "A digger cut a cable in Main Street; we are splicing it."


@pytest.fixture
def noc():
    return f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)])


@pytest.fixture
def outage(noc):
    """A contact signed in whose fibre hangs off a node an incident covers."""
    node = f.element("Node Main Street")
    contact = portal_contact()
    service = f.service(contact.customer, product="Fibre 250", access_element=node)
    incident = incident_create(
        actor=noc, title="Cable cut Main Street", detected_by="manual", root_element=node
    )
    incident_update(
        actor=noc,
        incident=incident,
        state="identified",
        customer_message=WORDING,
        eta=timezone.now() + timedelta(hours=3),
    )
    return contact, service, incident


def _notify(client, service, incident: NetworkIncident):
    return client.post(
        reverse("portal_ticket_new_notify"),
        {"service": service.service_id, "incident": incident.reference},
    )


def test_outage_is_told_before_the_form(client, outage):
    contact, service, _incident = outage
    sign_in(client, contact)

    page = client.get(reverse("portal_ticket_new"), {"service": service.service_id})
    text = page.content.decode()

    assert WORDING in text
    assert "Expected back" in text
    assert "Tell me when it is fixed" in text
    assert "Open a ticket anyway" in text
    assert "Tell us what happened" not in text  # no form yet
    # A ticket posted without having been told shows the outage, opens nothing.
    posted = client.post(
        reverse("portal_ticket_new"),
        {"service": service.service_id, "ticket_type": "fault", "description": "Down"},
    )
    assert WORDING in posted.content.decode()
    assert not Ticket.objects.exists()


def test_tell_me_counts_once_and_queues_the_current_notice(client, outage):
    contact, service, incident = outage
    sign_in(client, contact)

    first = _notify(client, service, incident)
    again = _notify(client, service, incident)

    assert first.status_code == 200
    assert contact.email in first.content.decode()
    assert again.status_code == 200
    notified = Deflection.objects.get(outcome=DeflectionOutcome.NOTIFIED)
    assert (notified.contact, notified.service, notified.incident) == (contact, service, incident)
    notice = OutboundMessage.objects.get(kind=OutboundKind.INCIDENT_NOTICE)
    assert (notice.customer_id, notice.incident_id) == (contact.customer_id, incident.pk)
    assert contact.email in notice.to_addresses
    assert not Ticket.objects.exists()


def test_the_all_clear_reaches_the_contact_who_asked(client, outage, noc):
    contact, service, incident = outage
    sign_in(client, contact)
    _notify(client, service, incident)

    incident_resolve(
        actor=noc,
        incident=incident,
        root_cause="fibre_cut",
        customer_message="Back up. Sorry for the outage.",
    )
    resolution = latest_update(incident)
    assert resolution is not None
    incident_all_clear(incident=incident, update=resolution, actor=None)

    clear = OutboundMessage.objects.get(kind=OutboundKind.ALL_CLEAR)
    assert contact.email in clear.to_addresses


def test_a_customer_the_noc_told_already_gets_no_second_notice(client, outage, noc):
    contact, service, incident = outage
    order, _new = incident_notify(actor=noc, incident=incident)
    incident_notify_step(order_id=order.pk)
    sign_in(client, contact)

    page = _notify(client, service, incident)

    assert OutboundMessage.objects.filter(kind=OutboundKind.INCIDENT_NOTICE).count() == 1
    assert contact.email in page.content.decode()
    assert "current update by email now" not in page.content.decode()
    assert deflection_counts(incident).notified == 1


def test_open_anyway_opens_the_ticket_and_counts_it(client, outage):
    contact, service, incident = outage
    sign_in(client, contact)

    form = client.get(
        reverse("portal_ticket_new"),
        {"service": service.service_id, "incident": incident.reference},
    )
    response = client.post(
        reverse("portal_ticket_new"),
        {
            "service": service.service_id,
            "incident": incident.reference,
            "ticket_type": "fault",
            "description": "My line is down and I work from home.",
        },
    )

    assert "Tell us what happened" in form.content.decode()
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    deflection = Deflection.objects.get()
    assert (deflection.outcome, deflection.ticket, deflection.incident) == (
        DeflectionOutcome.OPENED_ANYWAY,
        ticket,
        incident,
    )
    assert deflection_counts(incident).opened_anyway == 1


def test_an_outage_no_longer_on_the_service_is_refused(client, outage, noc):
    contact, service, incident = outage
    sign_in(client, contact)
    incident_resolve(actor=noc, incident=incident, root_cause="fibre_cut", customer_message="Ok")

    response = _notify(client, service, incident)

    assert response.status_code == 302
    assert not Deflection.objects.exists()


def test_incident_page_shows_the_portal_counts(client, outage, noc, django_assert_num_queries):
    contact, service, incident = outage
    portal = sign_in(client, contact)
    _notify(portal, service, incident)

    with django_assert_num_queries(1):
        counts = deflection_counts(incident)
    client.force_login(noc)
    page = client.get(reverse("noc_incident", args=[incident.reference])).content.decode()

    assert (counts.notified, counts.opened_anyway) == (1, 0)
    assert "<strong>1</strong> subscribers told of this outage in the portal" in page
    assert "<strong>0</strong> opened a ticket anyway" in page
