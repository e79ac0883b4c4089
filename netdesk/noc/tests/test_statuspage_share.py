"""Status page states follow the share of an area's customers an outage
takes, not the mere presence of an incident; merged incidents show once.

The network (customers per access element, 100 in all):

    CORE ─┬─ AGG-BER ─┬─ OLT-MI-1 (Mitte, 8)
          │           ├─ OLT-MI-2 (Mitte, 2)
          │           └─ OLT-PA-1 (Pankow, 10)
          ├─ AGG-POT ─── OLT-PO-1 (Potsdam, 30)
          └─ AGG-HAM ─┬─ OLT-HH-1 (Hamburg, 24)
                      ├─ OLT-HH-2 (Hamburg, 1)
                      └─ OLT-HH-3 (Hamburg, 25)

Thresholds by default: major outage from 50 % of a component's customers,
partial outage from 10 %, degraded below; "Major System Outage" from 50 %
of all customers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.utils import timezone

from netdesk import config
from netdesk.core.memo import data_changed
from netdesk.customers.models import Service
from netdesk.network.models import Area, ElementKind, NetworkElement
from netdesk.network.selectors import topology_changed
from netdesk.noc.models import IncidentState, NetworkIncident
from netdesk.noc.services.alarms import AlarmIn, alarms_ingest
from netdesk.noc.statuspage.selectors import status_snapshot
from tests import factories as f

pytestmark = pytest.mark.django_db

LAYOUT = [
    # (element, kind, area code, upstream, customers)
    ("CORE", ElementKind.CORE_ROUTER, "BER", None, 0),
    ("AGG-BER", ElementKind.AGGREGATION_SWITCH, "BER", "CORE", 0),
    ("AGG-POT", ElementKind.AGGREGATION_SWITCH, "POT", "CORE", 0),
    ("AGG-HAM", ElementKind.AGGREGATION_SWITCH, "HAM", "CORE", 0),
    ("OLT-MI-1", ElementKind.OLT, "BER-MI", "AGG-BER", 8),
    ("OLT-MI-2", ElementKind.OLT, "BER-MI", "AGG-BER", 2),
    ("OLT-PA-1", ElementKind.OLT, "BER-PA", "AGG-BER", 10),
    ("OLT-PO-1", ElementKind.OLT, "POT", "AGG-POT", 30),
    ("OLT-HH-1", ElementKind.OLT, "HAM", "AGG-HAM", 24),
    ("OLT-HH-2", ElementKind.OLT, "HAM", "AGG-HAM", 1),
    ("OLT-HH-3", ElementKind.OLT, "HAM", "AGG-HAM", 25),
]


@pytest.fixture
def net():
    berlin = Area.objects.create(code="BER", name="Berlin")
    areas = {
        "BER": berlin,
        "BER-MI": Area.objects.create(code="BER-MI", name="Mitte", parent=berlin),
        "BER-PA": Area.objects.create(code="BER-PA", name="Pankow", parent=berlin),
        "POT": Area.objects.create(code="POT", name="Potsdam"),
        "HAM": Area.objects.create(code="HAM", name="Hamburg"),
    }
    elements: dict[str, NetworkElement] = {}
    for name, kind, code, upstream, customers in LAYOUT:
        elements[name] = NetworkElement.objects.create(
            name=name, kind=kind, area=areas[code], upstream=elements.get(upstream or "")
        )
        for _ in range(customers):
            f.service(f.customer(), access_element=elements[name])
    topology_changed()
    data_changed(Service)
    return elements


def down(*roots: NetworkElement, state: str = IncidentState.INVESTIGATING) -> NetworkIncident:
    now = timezone.now()
    incident = NetworkIncident.objects.create(
        title="down",
        detected_by="alarm",
        state=state,
        root_element=roots[0],
        started_at=now - timedelta(hours=1),
        detected_at=now - timedelta(minutes=50),
    )
    incident.elements.set(roots[1:])
    return incident


def states(snapshot):
    return {c.name: c.status for c in snapshot.flat_components}


def test_a_fifth_of_a_district_is_a_partial_outage(net):
    down(net["OLT-MI-2"])  # 2 of Mitte's 10
    snapshot = status_snapshot()
    assert states(snapshot) == {
        "Berlin": "partial_outage",
        "Mitte": "partial_outage",
        "Pankow": "operational",
        "Potsdam": "operational",
        "Hamburg": "operational",
    }
    assert (snapshot.indicator, snapshot.description) == ("major", "Partial System Outage")


def test_most_of_a_district_is_a_major_outage_there_but_not_of_the_system(net):
    down(net["OLT-MI-1"])  # 8 of Mitte's 10; 8 of all 100
    snapshot = status_snapshot()
    assert states(snapshot)["Mitte"] == "major_outage"
    assert states(snapshot)["Pankow"] == "operational"
    assert (snapshot.indicator, snapshot.description) == ("major", "Partial System Outage")
    assert snapshot.active_incidents[0].impact == "major"


def test_a_one_city_switch_failure_is_no_major_system_outage(net):
    down(net["AGG-BER"])  # all 20 of Berlin; 20 of all 100
    snapshot = status_snapshot()
    found = states(snapshot)
    assert found["Mitte"] == found["Pankow"] == found["Berlin"] == "major_outage"
    assert found["Potsdam"] == found["Hamburg"] == "operational"
    assert snapshot.description == "Partial System Outage"


def test_a_small_share_is_degraded_performance(net):
    down(net["OLT-HH-2"])  # 1 of Hamburg's 50
    snapshot = status_snapshot()
    assert states(snapshot)["Hamburg"] == "degraded_performance"
    assert (snapshot.indicator, snapshot.description) == ("minor", "Partially Degraded Service")
    assert snapshot.active_incidents[0].impact == "minor"


def test_incidents_in_one_area_add_up(net):
    down(net["OLT-HH-1"])  # 24 of 50: partial
    assert states(status_snapshot())["Hamburg"] == "partial_outage"
    down(net["OLT-HH-2"])  # with it 25 of 50: major
    assert states(status_snapshot())["Hamburg"] == "major_outage"


def test_half_of_all_customers_is_a_major_system_outage(net):
    down(net["CORE"])
    snapshot = status_snapshot()
    assert set(states(snapshot).values()) == {"major_outage"}
    assert (snapshot.indicator, snapshot.description) == ("critical", "Major System Outage")
    assert snapshot.active_incidents[0].impact == "critical"


def test_a_fix_being_monitored_is_degraded_whatever_its_share(net):
    down(net["AGG-BER"], state=IncidentState.MONITORING)
    snapshot = status_snapshot()
    assert states(snapshot)["Mitte"] == "degraded_performance"
    assert snapshot.indicator == "minor"


@override_settings(NETDESK_STATUS_MAJOR_OUTAGE_PERCENT=90, NETDESK_STATUS_PARTIAL_OUTAGE_PERCENT=30)
def test_the_thresholds_are_settings(net):
    down(net["OLT-MI-1"])  # 80 %: below 90
    down(net["OLT-HH-1"])  # 48 %
    down(net["OLT-PO-1"], state=IncidentState.IDENTIFIED)  # 100 %
    found = states(status_snapshot())
    assert (found["Mitte"], found["Hamburg"], found["Potsdam"]) == (
        "partial_outage",
        "partial_outage",
        "major_outage",
    )


def alarm(element: str, minutes_ago: float) -> AlarmIn:
    return AlarmIn(
        source="generic",
        name="LinkDown",
        element_ref=element,
        severity=1,
        firing=True,
        at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def test_incidents_merged_into_one_failure_are_listed_once(net):
    alarms_ingest(alarms=[alarm("OLT-MI-1", 30), alarm("OLT-MI-2", 29), alarm("OLT-PA-1", 28)])
    alarms_ingest(alarms=[alarm("AGG-BER", 20)])
    assert NetworkIncident.objects.count() == 3

    snapshot = status_snapshot()

    assert len(snapshot.active_incidents) == 1
    assert snapshot.resolved_incidents == []
    assert snapshot.description == "Partial System Outage"


def test_thresholds_out_of_range_stop_the_start_naming_the_variable(monkeypatch):
    monkeypatch.setenv("NETDESK_STATUS_MAJOR_OUTAGE_PERCENT", "140")
    with pytest.raises(ImproperlyConfigured, match="NETDESK_STATUS_MAJOR_OUTAGE_PERCENT=140"):
        config.env_percent("NETDESK_STATUS_MAJOR_OUTAGE_PERCENT", 50)
    monkeypatch.setenv("NETDESK_STATUS_PARTIAL_OUTAGE_PERCENT", "60")
    with pytest.raises(ImproperlyConfigured, match="at most NETDESK_STATUS_MAJOR_OUTAGE_PERCENT"):
        config.env_percent(
            "NETDESK_STATUS_PARTIAL_OUTAGE_PERCENT",
            10,
            ceiling=50,
            ceiling_name="NETDESK_STATUS_MAJOR_OUTAGE_PERCENT",
        )
