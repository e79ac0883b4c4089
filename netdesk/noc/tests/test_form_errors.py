"""A NOC form sent back with an error shows the page with its live data and
the form as typed, the error next to its field."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from netdesk.accounts.models import Role, TierKind
from netdesk.network.selectors import topology_changed
from netdesk.noc.models import NetworkIncident, SuspectedOutage
from netdesk.noc.services.alarms import AlarmIn, alarms_ingest
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def live():
    """A firing alarm on an OLT and the incident it opened."""
    olt = f.element("OLT-LIVE", upstream=f.element("CORE-LIVE"))
    f.service(f.customer(name="Berta Beispiel"), access_element=olt)
    topology_changed()
    alarms_ingest(
        alarms=[
            AlarmIn(
                source="generic",
                name="OltUnreachable",
                element_ref="OLT-LIVE",
                severity=1,
                firing=True,
                at=timezone.now(),
            )
        ]
    )
    noc = f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)])
    noc.time_zone = "Asia/Tokyo"
    noc.save(update_fields=["time_zone"])
    client = Client()
    client.force_login(noc)
    return {"client": client, "incident": NetworkIncident.objects.get()}


def test_opening_an_incident_with_an_empty_form_keeps_the_board_live(live):
    response = live["client"].post("/noc/incidents/", {})
    page = response.content.decode()
    assert response.status_code == 422
    assert live["incident"].reference in page
    assert "OltUnreachable" in page
    assert "No active incidents" not in page
    assert "No firing alarms" not in page
    assert 'data-field="title"' in page  # the error sits next to its field
    assert '<details class="card" open>' in page


def test_the_eta_fields_pick_a_time_in_the_readers_zone(live):
    board = live["client"].get("/noc/").content.decode()
    incident = live["client"].get(f"/noc/incidents/{live['incident'].reference}/")
    for page in (board, incident.content.decode()):
        assert 'type="datetime-local"' in page
        assert "YYYY-MM-DD HH:MM, Asia/Tokyo time" in page


@pytest.mark.parametrize(
    "eta",
    [
        "next tuesday",  # refused by the form
        "2001-01-01T10:00",  # refused by the service: before the incident began
    ],
)
def test_an_update_with_an_error_keeps_the_typed_message(live, eta):
    ref = live["incident"].reference
    response = live["client"].post(
        f"/noc/incidents/{ref}/update/",
        {
            "update-state": "identified",
            "update-customer_message": "A crew is on site; service back by 15:00.",
            "update-technical_note": "Splicing the feeder",
            "update-eta": eta,
        },
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert "A crew is on site; service back by 15:00.</textarea>" in page
    assert "Splicing the feeder</textarea>" in page
    assert 'data-field="eta"' in page
    assert "Berta Beispiel" in page  # the page keeps its lists
    assert live["incident"].updates.count() == 1  # the opening entry only


def test_a_refused_outage_decision_keeps_the_board_and_what_was_typed(live):
    outage = SuspectedOutage.objects.create(
        element=live["incident"].root_element,
        raised_at=timezone.now() - timedelta(minutes=5),
        window_start=timezone.now() - timedelta(minutes=30),
        complaints=7,
        expected=0.4,
        score=6.0,
    )
    response = live["client"].post(
        f"/noc/outages/{outage.pk}/decide/",
        {"decision": "confirm", "title": "x" * 201, "customer_description": "Area-wide fault"},
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert live["incident"].reference in page
    assert "OltUnreachable" in page
    assert 'value="Area-wide fault"' in page
    assert "title: Ensure this value has at most 200 characters" in page
    assert SuspectedOutage.objects.get().state == "open"
