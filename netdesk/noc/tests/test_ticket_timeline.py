"""What the NOC does to an incident reaches the timelines of its tickets,
each as its own kind of event, and the ticket page shows it with a link to
the incident."""

from __future__ import annotations

import pytest
from django.test import Client

from netdesk.accounts.models import Role, TierKind
from netdesk.network.selectors import topology_changed
from netdesk.noc.services.incidents import (
    incident_create,
    incident_resolve,
    incident_unlink_ticket,
    incident_update,
)
from netdesk.noc.services.liaison import troubleshooting_request, troubleshooting_result
from netdesk.tickets.models import TicketEvent
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def outage():
    noc = f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)])
    operator = f.user()
    olt = f.element("OLT-TL-1")
    customers = [f.customer(), f.customer()]
    services = [f.service(c, access_element=olt) for c in customers]
    topology_changed()
    incident = incident_create(
        actor=noc,
        title="OLT-TL-1 down",
        detected_by="manual",
        root_element=olt,
        customer_description="Internet outage in your street.",
    )
    tickets = [f.ticket(operator, c, service=s) for c, s in zip(customers, services, strict=True)]
    return {"noc": noc, "operator": operator, "incident": incident, "tickets": tickets}


def kinds(ticket):
    return list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))


def page(user, ticket):
    client = Client()
    client.force_login(user)
    answer = client.get(f"/tickets/{ticket.reference}/")
    assert answer.status_code == 200
    return answer.content.decode()


def test_each_incident_event_has_its_own_kind(outage):
    noc, incident = outage["noc"], outage["incident"]
    first, second = outage["tickets"]
    incident_update(
        actor=noc, incident=incident, state="identified", customer_message="Crew on site."
    )
    incident_unlink_ticket(
        actor=outage["operator"], incident=incident, ticket=second, reason="Own router broken"
    )
    incident_resolve(
        actor=noc, incident=incident, root_cause="hardware", customer_message="Restored."
    )

    assert kinds(first)[-3:] == ["incident_linked", "incident_updated", "incident_resolved"]
    assert "incident_unlinked" in kinds(second)
    assert "incident_resolved" not in kinds(second)  # no longer its incident
    assert not TicketEvent.objects.filter(kind="note_added").exists()


def test_the_ticket_page_shows_incident_updates_with_a_link_to_the_incident(outage):
    noc, incident = outage["noc"], outage["incident"]
    ticket = outage["tickets"][0]
    incident_update(
        actor=noc,
        incident=incident,
        state="identified",
        customer_message="Cable cut by roadworks; repair expected by 14:30.",
    )

    shown = page(outage["operator"], ticket)

    assert "Cable cut by roadworks; repair expected by 14:30." in shown
    assert "Network incident update" in shown
    assert f'href="/noc/incidents/{incident.reference}/"' in shown


def test_remote_troubleshooting_is_shown_on_the_ticket(outage):
    ticket = outage["tickets"][0]
    request = troubleshooting_request(
        actor=outage["operator"], ticket=ticket, body="Please test the line of flat 3."
    )
    troubleshooting_result(
        actor=outage["noc"], ticket=ticket, body="ONT dark since 09:12.", request=request
    )

    assert kinds(ticket)[-2:] == ["troubleshooting_requested", "troubleshooting_answered"]
    shown = page(outage["operator"], ticket)
    assert "Please test the line of flat 3." in shown
    assert "ONT dark since 09:12." in shown
