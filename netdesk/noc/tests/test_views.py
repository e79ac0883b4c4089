"""NOC screens and the network status customer service sees on the customer
360 and the ticket page."""

import pytest
from django.test import Client

from netdesk.accounts.models import Role, TierKind
from netdesk.network.selectors import topology_changed
from netdesk.noc.models import IncidentTicket, LiaisonRecord
from netdesk.noc.services.incidents import incident_create
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def outage():
    core = f.element("CORE-9")
    node = f.element("Node X", upstream=core)
    customer = f.customer(name="Anna Example")
    service = f.service(customer, access_element=node)
    topology_changed()
    noc = f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)])
    incident = incident_create(
        actor=noc,
        title="Fibre cut at Node X",
        detected_by="manual",
        root_element=node,
        customer_description="A cable was cut by roadworks; we expect service back at 14:30.",
    )
    return {"noc": noc, "customer": customer, "service": service, "incident": incident}


def login(user):
    client = Client()
    client.force_login(user)
    return client


def test_customer_360_loads_the_network_status_of_the_callers_path(outage):
    agent = login(f.user())
    page = agent.get(f"/customers/{outage['customer'].pk}/").content.decode()
    assert f"/noc/status/customer/{outage['customer'].pk}/" in page
    banner = agent.get(f"/noc/status/customer/{outage['customer'].pk}/").content.decode()
    ref = outage["incident"].reference
    assert f'Affected by <a href="/noc/incidents/{ref}/">{ref}</a>' in banner
    assert "Fibre cut at Node X at Node X" in banner
    assert "cable was cut by roadworks" in banner


def test_ticket_page_shows_its_incident_and_the_agent_can_unlink_with_a_reason(outage):
    operator = f.user()
    ticket = f.ticket(operator, outage["customer"], service=outage["service"])
    agent = login(operator)
    panel = agent.get(f"/noc/status/ticket/{ticket.reference}/").content.decode()
    assert f'Child of <a href="/noc/incidents/{outage["incident"].reference}/"' in panel
    response = agent.post(
        f"/noc/incidents/{outage['incident'].reference}/unlink/",
        {"ticket": ticket.reference, "reason": "Customer's own router"},
    )
    assert response.status_code == 302
    assert IncidentTicket.objects.get(ticket=ticket).unlink_reason == "Customer's own router"


def test_troubleshooting_request_and_result_from_the_ticket_page(outage):
    operator = f.user()
    ticket = f.ticket(
        operator, outage["customer"], service=outage["service"], ticket_type="complaint"
    )
    login(operator).post(
        f"/noc/tickets/{ticket.reference}/liaison/request/", {"body": "Please test the line."}
    )
    login(outage["noc"]).post(
        f"/noc/tickets/{ticket.reference}/liaison/result/", {"body": "Line sync lost at 09:12."}
    )
    assert list(LiaisonRecord.objects.filter(ticket=ticket).values_list("kind", flat=True)) == [
        "troubleshooting_request",
        "troubleshooting_result",
    ]
    # An operator may not record a NOC result.
    denied = login(operator).post(
        f"/noc/tickets/{ticket.reference}/liaison/result/", {"body": "Fake"}
    )
    assert denied.status_code == 403
    assert LiaisonRecord.objects.filter(ticket=ticket).count() == 2


def test_board_and_incident_page_and_an_update_through_the_form(outage):
    noc = login(outage["noc"])
    board = noc.get("/noc/").content.decode()
    assert outage["incident"].reference in board
    ref = outage["incident"].reference
    response = noc.post(
        f"/noc/incidents/{ref}/update/",
        {
            "update-state": "identified",
            "update-customer_message": "Crew on site.",
            "update-technical_note": "Splicing",
        },
    )
    assert response.status_code == 302
    page = noc.get(f"/noc/incidents/{ref}/").content.decode()
    assert "Crew on site." in page
    assert "Identified" in page
    # Agents see the page but not the forms.
    agent_page = login(f.user()).get(f"/noc/incidents/{ref}/").content.decode()
    assert "Post an update" not in agent_page
    assert login(f.user()).get("/noc/incidents/NI-999999/").status_code == 404
