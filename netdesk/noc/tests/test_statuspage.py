"""The public status page: customer wording only, per-area states, the
Statuspage JSON shapes, and a fixed number of queries."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from netdesk.network.models import Area, ElementKind, NetworkElement
from netdesk.noc.models import IncidentState, IncidentUpdate, MaintenanceWindow, NetworkIncident
from netdesk.noc.statuspage.selectors import status_snapshot
from tests import factories as f

pytestmark = pytest.mark.django_db

# Words that exist only in internal fields: none may reach the public.
SECRETS = [
    "SECRET-TITLE",
    "SECRET-TECH",
    "SECRET-NOTE",
    "SECRET-CAUSE",
    "OLT-MITTE-7",
    "CR-BER-1",
    "Hauptstadt Bank",
    "4321",
    "NI-",
]


def area(code: str, name: str, parent: Area | None = None) -> Area:
    return Area.objects.create(code=code, name=name, parent=parent)


def element(name: str, where: Area, kind: str = ElementKind.OLT) -> NetworkElement:
    return NetworkElement.objects.create(name=name, kind=kind, area=where)


def incident(root: NetworkElement | None, **extra: object) -> NetworkIncident:
    now = timezone.now()
    fields: dict[str, object] = {
        "title": "SECRET-TITLE OLT down",
        "technical_description": "SECRET-TECH linecard 3 crashed",
        "customer_description": "Internet and TV are down in parts of the city.",
        "root_element": root,
        "detected_by": "alarm",
        "started_at": now - timedelta(hours=2),
        "detected_at": now - timedelta(hours=1, minutes=50),
        "root_cause": "SECRET-CAUSE fibre cut",
        "affected_customers": 4321,
        "affected_services": 4321,
    }
    fields.update(extra)
    return NetworkIncident.objects.create(**fields)


def window(title: str, starts_in: timedelta, hours: int = 2, **extra: Any) -> MaintenanceWindow:
    starts_at = timezone.now() + starts_in
    return MaintenanceWindow.objects.create(
        title=title,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        customer_description=extra.pop("customer_description", f"{title}: short interruptions."),
        **extra,
    )


@pytest.fixture
def network():
    """Berlin (districts Mitte and Pankow), Potsdam and Hamburg; a fault on
    an OLT in Mitte, a resolved one in Potsdam, maintenance in Hamburg."""
    berlin = area("BER", "Berlin")
    mitte = area("BER-MI", "Mitte", berlin)
    pankow = area("BER-PA", "Pankow", berlin)
    potsdam = area("POT", "Potsdam")
    hamburg = area("HAM", "Hamburg")
    core = element("CR-BER-1", berlin, ElementKind.CORE_ROUTER)
    olt = element("OLT-MITTE-7", mitte)
    bank = f.customer("key_account", name="Hauptstadt Bank")

    down = incident(olt, eta=timezone.now() + timedelta(hours=3))
    down.affected_key_accounts.add(bank)
    IncidentUpdate.objects.create(
        incident=down,
        at=timezone.now() - timedelta(hours=1),
        state=IncidentState.IDENTIFIED,
        technical_note="SECRET-NOTE replace linecard",
        customer_message="Engineers are on their way.",
    )
    IncidentUpdate.objects.create(
        incident=down,
        at=timezone.now() - timedelta(minutes=30),
        state=IncidentState.IDENTIFIED,
        technical_note="SECRET-NOTE internal only",
    )
    down.state = IncidentState.IDENTIFIED
    down.save()
    fixed = incident(
        element("OLT-POT-1", potsdam),
        state=IncidentState.RESOLVED,
        started_at=timezone.now() - timedelta(days=2, hours=3),
        detected_at=timezone.now() - timedelta(days=2, hours=2),
        resolved_at=timezone.now() - timedelta(days=2),
        customer_description="Potsdam had no service.",
    )
    old = incident(
        element("OLT-POT-2", potsdam),
        state=IncidentState.RESOLVED,
        resolved_at=timezone.now() - timedelta(days=10),
        customer_description="Long ago.",
    )
    running = window("Hamburg works", -timedelta(hours=1))
    running.areas.add(hamburg)
    upcoming = window("Potsdam works", timedelta(days=3))
    upcoming.elements.add(element("OLT-POT-3", potsdam))
    hidden = window("Quiet works", timedelta(days=1), public=False)
    hidden.areas.add(potsdam)
    return {
        "berlin": berlin,
        "mitte": mitte,
        "pankow": pankow,
        "potsdam": potsdam,
        "hamburg": hamburg,
        "core": core,
        "down": down,
        "fixed": fixed,
        "old": old,
    }


def states(snapshot):
    return {c.name: c.status for c in snapshot.flat_components}


def test_areas_show_the_worst_state_of_what_touches_them(network):
    snapshot = status_snapshot()
    assert states(snapshot) == {
        "Berlin": "partial_outage",
        "Mitte": "partial_outage",
        "Pankow": "operational",
        "Hamburg": "under_maintenance",
        "Potsdam": "operational",
    }
    assert snapshot.indicator == "major"
    assert [i.name for i in snapshot.active_incidents] == ["Service disruption in Mitte"]
    assert [i.name for i in snapshot.resolved_incidents] == ["Service disruption in Potsdam"]
    assert [m.name for m in snapshot.running_maintenance] == ["Planned maintenance in Hamburg"]
    assert [m.name for m in snapshot.upcoming_maintenance] == ["Planned maintenance in Potsdam"]


def test_a_core_failure_takes_down_the_areas_below_but_not_above(network):
    incident(network["core"])
    snapshot = status_snapshot()
    found = states(snapshot)
    # No customers on record to measure the share against: a partial outage
    # (test_statuspage_share.py has the states by share).
    assert found["Mitte"] == found["Pankow"] == found["Berlin"] == "partial_outage"
    assert found["Potsdam"] == "operational"
    assert snapshot.indicator == "major"
    assert snapshot.description == "Partial System Outage"


def test_monitoring_is_degraded_and_resolved_is_operational(network):
    down = network["down"]
    down.state = IncidentState.MONITORING
    down.save()
    snapshot = status_snapshot()
    assert states(snapshot)["Mitte"] == "degraded_performance"
    assert snapshot.indicator == "minor"
    down.state = IncidentState.RESOLVED
    down.resolved_at = timezone.now()
    down.save()
    snapshot = status_snapshot()
    assert states(snapshot)["Mitte"] == "operational"
    assert snapshot.description == "Service Under Maintenance"
    assert snapshot.resolved_incidents[0].impact == "major"


def test_the_page_is_public_and_shows_customer_wording_only(network):
    response = Client().get("/status/")
    assert response.status_code == 200
    page = response.content.decode()
    for wording in (
        "Internet and TV are down in parts of the city.",
        "Engineers are on their way.",
        "Hamburg works: short interruptions.",
        "Potsdam had no service.",
        "Partial outage",
        "Under maintenance",
        "expected back by",
    ):
        assert wording in page
    for secret in [*SECRETS, "Quiet works", "Long ago."]:
        assert secret not in page
    assert "max-age=30" in response["Cache-Control"]
    assert "public" in response["Cache-Control"]


def test_summary_has_statuspage_shape_and_no_internal_detail(network):
    response = Client().get("/status/api/v2/summary.json")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "max-age=30" in response["Cache-Control"]
    for secret in SECRETS:
        assert secret not in response.content.decode()
    body = response.json()
    assert set(body) == {"page", "components", "incidents", "scheduled_maintenances", "status"}
    assert set(body["page"]) == {"id", "name", "url", "time_zone", "updated_at"}
    assert body["page"]["url"] == "http://testserver/status/"
    assert body["status"] == {"indicator": "major", "description": "Partial System Outage"}

    berlin, mitte, pankow, hamburg, potsdam = body["components"]
    assert potsdam["status"] == "operational"
    assert berlin["name"] == "Berlin"
    assert berlin["group"] is True
    assert berlin["components"] == [mitte["id"], pankow["id"]]
    assert mitte["group_id"] == berlin["id"]
    assert mitte["group"] is False
    assert "components" not in mitte
    assert hamburg["status"] == "under_maintenance"
    assert hamburg["group_id"] is None
    assert [c["position"] for c in body["components"]] == [1, 2, 3, 4, 5]
    assert {
        "id",
        "name",
        "status",
        "created_at",
        "updated_at",
        "position",
        "description",
        "showcase",
        "start_date",
        "group_id",
        "page_id",
        "group",
        "only_show_if_degraded",
    } <= set(mitte)

    (active,) = body["incidents"]
    assert active["status"] == "identified"
    assert active["impact"] == "major"
    assert active["resolved_at"] is None
    assert active["shortlink"] == f"http://testserver/status/#incident-{active['id']}"
    assert [c["name"] for c in active["components"]] == ["Mitte"]
    updates = active["incident_updates"]
    assert [u["body"] for u in updates] == [
        "Engineers are on their way.",
        "Internet and TV are down in parts of the city.",
    ]
    assert set(updates[0]) == {
        "id",
        "status",
        "body",
        "incident_id",
        "created_at",
        "updated_at",
        "display_at",
        "affected_components",
        "deliver_notifications",
        "custom_tweet",
        "tweet_id",
    }
    assert updates[0]["incident_id"] == active["id"]
    assert str(network["down"].pk) != active["id"]

    running, upcoming = body["scheduled_maintenances"]
    assert running["status"] == "in_progress"
    assert upcoming["status"] == "scheduled"
    assert running["impact"] == "maintenance"
    assert [c["name"] for c in running["components"]] == ["Hamburg"]
    assert upcoming["components"][0]["name"] == "Potsdam"
    assert upcoming["scheduled_for"] < upcoming["scheduled_until"]
    assert upcoming["incident_updates"][0]["body"] == "Potsdam works: short interruptions."


def test_other_statuspage_endpoints(network):
    client = Client()
    status = client.get("/status/api/v2/status.json").json()
    assert set(status) == {"page", "status"}
    components = client.get("/status/api/v2/components.json").json()
    assert len(components["components"]) == 5
    unresolved = client.get("/status/api/v2/incidents/unresolved.json").json()
    assert [i["status"] for i in unresolved["incidents"]] == ["identified"]
    recent = client.get("/status/api/v2/incidents.json").json()
    assert [i["status"] for i in recent["incidents"]] == ["identified", "resolved"]
    resolved = recent["incidents"][1]
    assert resolved["incident_updates"][0]["status"] == "resolved"
    upcoming = client.get("/status/api/v2/scheduled-maintenances/upcoming.json").json()
    assert [m["status"] for m in upcoming["scheduled_maintenances"]] == ["scheduled"]
    active = client.get("/status/api/v2/scheduled-maintenances/active.json").json()
    assert [m["status"] for m in active["scheduled_maintenances"]] == ["in_progress"]
    assert client.post("/status/api/v2/summary.json").status_code == 405


def test_an_empty_desk_is_all_operational():
    body = Client().get("/status/api/v2/summary.json").json()
    assert body["status"] == {"indicator": "none", "description": "All Systems Operational"}
    assert body["components"] == body["incidents"] == body["scheduled_maintenances"] == []
    assert Client().get("/status/").status_code == 200


def test_an_unworded_incident_gets_a_neutral_message():
    where = area("X", "Xanten")
    incident(element("OLT-X", where), customer_description="")
    body = Client().get("/status/api/v2/incidents/unresolved.json").json()
    (only,) = body["incidents"]
    assert only["incident_updates"][0]["body"] == (
        "We are investigating a service disruption in this area."
    )


_numbers = itertools.count(1)


def _grow(network, count):
    for _ in range(count):
        n = next(_numbers)
        district = area(f"BER-{n}", f"District {n}", network["berlin"])
        down = incident(element(f"OLT-D-{n}", district))
        down.elements.add(element(f"OLT-E-{n}", network["pankow"]))
        IncidentUpdate.objects.create(
            incident=down, at=timezone.now(), state="investigating", customer_message="Update"
        )
        works = window(f"Works {n}", timedelta(hours=n % 3 - 1))
        works.areas.add(district)
        works.elements.add(element(f"OLT-W-{n}", network["hamburg"]))
        incident(
            element(f"OLT-R-{n}", district),
            state=IncidentState.RESOLVED,
            resolved_at=timezone.now() - timedelta(hours=n % 24 + 1),
        )


@pytest.mark.parametrize(
    "path",
    [
        "/status/",
        "/status/api/v2/summary.json",
        "/status/api/v2/incidents/unresolved.json",
        "/status/api/v2/scheduled-maintenances/upcoming.json",
    ],
)
def test_queries_do_not_grow_with_incidents_or_areas(network, path, django_assert_max_num_queries):
    client = Client()
    _grow(network, 2)
    client.get(path)  # the NOC's topology, impact index and areas, kept in memory
    with django_assert_max_num_queries(8):
        small = client.get(path)
    _grow(network, 25)
    with django_assert_max_num_queries(8):
        large = client.get(path)
    assert small.status_code == large.status_code == 200
    assert len(large.content) > len(small.content)
