"""Which active incident a customer's path meets (`network_status_for`,
asked by every new fault): the element nearest the customer, the newest
incident holding it, and a cost that does not grow with the incidents."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from netdesk.network.selectors import topology_changed
from netdesk.noc.selectors import network_status_for
from netdesk.noc.services.incidents import incident_create, incident_resolve
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def net():
    """core → agg → olt1, olt2; one customer under each OLT."""
    core = f.element("CORE-1")
    agg = f.element("AGG-1", upstream=core)
    olt1 = f.element("OLT-1", upstream=agg)
    olt2 = f.element("OLT-2", upstream=agg)
    on_olt1, on_olt2 = f.customer(), f.customer()
    services = {
        "olt1": f.service(on_olt1, access_element=olt1),
        "olt2": f.service(on_olt2, access_element=olt2),
    }
    topology_changed()
    return {"core": core, "agg": agg, "olt1": olt1, "olt2": olt2, "services": services}


def _open(title, root, elements=()):
    return incident_create(
        actor=None, title=title, detected_by="alarm", root_element=root, elements=elements
    )


def test_the_nearest_failed_element_and_its_newest_incident_answer(net):
    _open("Core", net["core"])
    older_agg = _open("Aggregation (older)", None, [net["agg"]])
    newer_agg = _open("Aggregation (newer)", net["core"], [net["agg"]])
    _open("Other OLT", net["olt2"])
    service = net["services"]["olt1"]
    [status] = network_status_for(service.customer_id)
    assert (status.incident, status.service, status.element) == (newer_agg, service, net["agg"])
    assert status.incident.root_element == net["core"]
    incident_resolve(actor=None, incident=newer_agg, root_cause="fibre_cut")
    [status] = network_status_for(service.customer_id, service.pk)
    assert (status.incident, status.element) == (older_agg, net["agg"])


def test_an_incident_rooted_on_the_path_counts_without_its_elements(net):
    incident = _open("OLT-1 down", net["olt1"])
    service = net["services"]["olt1"]
    [status] = network_status_for(service.customer_id)
    assert (status.incident, status.element) == (incident, net["olt1"])
    assert network_status_for(net["services"]["olt2"].customer_id) == []


def _queries(customer_id):
    with CaptureQueriesContext(connection) as queries:
        found = network_status_for(customer_id)
    return len(queries), found


def test_none_active_costs_one_query_and_many_cost_no_more_than_one(net):
    service = net["services"]["olt1"]
    assert _queries(service.customer_id) == (1, [])
    _open("Other OLT", net["olt2"])
    one, found = _queries(service.customer_id)
    assert found == []
    for n in range(12):
        _open(f"Elsewhere {n}", net["olt2"], [net["olt2"]])
    assert _queries(service.customer_id) == (one, [])
    hit = _open("Aggregation", None, [net["agg"], net["olt2"]])
    with_hit, found = _queries(service.customer_id)
    assert [s.incident for s in found] == [hit]
    for n in range(12):
        _open(f"Aggregation {n}", None, [net["agg"]])
    again, found = _queries(service.customer_id)
    assert again == with_hit
    assert found[0].incident.title == "Aggregation 11"
