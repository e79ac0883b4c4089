"""Resolving an incident: the NOC is asked to confirm while its alarms still
fire, the ETA goes, and troubleshooting requests of the tickets resolved
with it (or by hand) are closed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from netdesk.accounts.models import Role, TierKind
from netdesk.core.errors import ConfirmationNeeded
from netdesk.network.selectors import topology_changed
from netdesk.noc.models import IncidentState, LiaisonKind, LiaisonRecord, NetworkIncident
from netdesk.noc.selectors import open_troubleshooting_requests
from netdesk.noc.services.alarms import AlarmIn, alarms_ingest
from netdesk.noc.services.incidents import incident_resolve, incident_update
from netdesk.noc.services.liaison import troubleshooting_request
from netdesk.tickets.models import TicketEvent
from netdesk.tickets.services import ticket_resolve
from tests import factories as f

pytestmark = pytest.mark.django_db


def alarm(element: str, name: str, *, firing: bool = True, minutes: float = 0) -> AlarmIn:
    return AlarmIn(
        source="generic",
        name=name,
        element_ref=element,
        severity=1,
        firing=firing,
        at=timezone.now() + timedelta(minutes=minutes),
        summary=f"{name} on {element}",
    )


@pytest.fixture
def outage():
    """AGG-R above OLT-R, one customer under it; two alarms open the incident."""
    agg = f.element("AGG-R")
    olt = f.element("OLT-R", upstream=agg)
    customer = f.customer()
    service = f.service(customer, access_element=olt)
    topology_changed()
    alarms_ingest(alarms=[alarm("AGG-R", "LinkDown"), alarm("AGG-R", "PowerSupplyFailed")])
    incident = NetworkIncident.objects.get()
    noc = f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)])
    incident_update(actor=noc, incident=incident, eta=timezone.now() + timedelta(hours=2))
    operator = f.user()
    ticket = f.ticket(operator, customer, service=service)
    return {"incident": incident, "noc": noc, "operator": operator, "ticket": ticket}


def test_resolving_while_alarms_fire_asks_for_confirmation_naming_them(outage):
    with pytest.raises(ConfirmationNeeded) as asked:
        incident_resolve(actor=outage["noc"], incident=outage["incident"], root_cause="power")

    assert asked.value.status == 409
    assert asked.value.field == "confirm"
    assert asked.value.items == ["LinkDown on AGG-R", "PowerSupplyFailed on AGG-R"]
    assert "LinkDown on AGG-R" in asked.value.message
    assert NetworkIncident.objects.get().state != IncidentState.RESOLVED

    incident_resolve(
        actor=outage["noc"], incident=outage["incident"], root_cause="power", confirm=True
    )
    assert NetworkIncident.objects.get().state == IncidentState.RESOLVED


def test_cleared_alarms_need_no_confirmation_and_the_eta_goes(outage):
    assert NetworkIncident.objects.get().eta is not None
    alarms_ingest(
        alarms=[
            alarm("AGG-R", "LinkDown", firing=False, minutes=1),
            alarm("AGG-R", "PowerSupplyFailed", firing=False, minutes=1),
        ]
    )
    incident_resolve(actor=outage["noc"], incident=outage["incident"], root_cause="power")

    resolved = NetworkIncident.objects.get()
    assert (resolved.state, resolved.eta) == (IncidentState.RESOLVED, None)


def test_troubleshooting_requests_of_tickets_resolved_with_the_incident_are_closed(outage):
    ticket = outage["ticket"]
    request = troubleshooting_request(
        actor=outage["operator"], ticket=ticket, body="Please test the line."
    )
    assert open_troubleshooting_requests(user=None) == [request]

    incident_resolve(
        actor=outage["noc"],
        incident=outage["incident"],
        root_cause="power",
        customer_message="Power is back.",
        resolve_children=True,
        confirm=True,
    )

    assert open_troubleshooting_requests(user=None) == []
    closing = LiaisonRecord.objects.get(answers=request)
    assert closing.kind == LiaisonKind.REQUEST_CLOSED
    assert ticket.reference in closing.body
    assert TicketEvent.objects.filter(ticket=ticket, kind="troubleshooting_closed").count() == 1


def test_a_ticket_resolved_by_hand_closes_its_request_too(outage):
    ticket = outage["ticket"]
    troubleshooting_request(actor=outage["operator"], ticket=ticket, body="Please test the line.")
    ticket_resolve(
        actor=outage["operator"],
        ticket=ticket,
        resolution_code="customer_equipment",
        root_cause="customer_side",
    )
    assert open_troubleshooting_requests(user=None) == []
    assert TicketEvent.objects.filter(ticket=ticket, kind="troubleshooting_closed").exists()


def test_the_api_answers_409_naming_the_alarms_unless_confirmed(outage):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(outage['noc'])}")
    url = f"/api/v1/noc/incidents/{outage['incident'].reference}/resolve"

    refused = client.post(url, {"root_cause": "power"}, content_type="application/json")

    assert refused.status_code == 409
    assert refused["Content-Type"] == "application/problem+json"
    (error,) = refused.json()["errors"]
    assert error["field"] == "confirm"
    assert error["items"] == ["LinkDown on AGG-R", "PowerSupplyFailed on AGG-R"]

    done = client.post(
        url, {"root_cause": "power", "confirm": True}, content_type="application/json"
    )
    assert done.status_code == 200, done.content
    assert done.json()["incident"]["state"] == "resolved"
    assert done.json()["incident"]["eta"] is None


def test_the_resolve_form_comes_back_with_the_alarms_and_a_box_to_confirm(outage):
    client = Client()
    client.force_login(outage["noc"])
    url = f"/noc/incidents/{outage['incident'].reference}/resolve/"
    typed = {"resolve-root_cause": "power", "resolve-customer_message": "Power is back."}

    asked = client.post(url, typed)

    assert asked.status_code == 422
    page = asked.content.decode()
    assert "LinkDown on AGG-R" in page
    assert "PowerSupplyFailed on AGG-R" in page
    assert 'type="checkbox" name="resolve-confirm"' in page
    assert "Power is back." in page  # the form as typed
    assert NetworkIncident.objects.get().state != IncidentState.RESOLVED

    done = client.post(url, {**typed, "resolve-confirm": "on"})

    assert done.status_code == 302
    assert NetworkIncident.objects.get().state == IncidentState.RESOLVED
