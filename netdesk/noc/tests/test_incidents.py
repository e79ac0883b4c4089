"""Alarms → incidents through the topology, impact on customers, and the
liaison with customer service, through the real services."""

from datetime import timedelta

import pytest
from django.utils import timezone

from netdesk.accounts.models import Role, TierKind
from netdesk.core.errors import ValidationFailed
from netdesk.network.selectors import topology_changed
from netdesk.noc.models import (
    Alarm,
    AlarmState,
    IncidentState,
    IncidentTicket,
    LiaisonKind,
    LiaisonRecord,
    MaintenanceWindow,
    NetworkIncident,
)
from netdesk.noc.selectors import affected_customers, network_status_for
from netdesk.noc.services.alarms import FLAP_THRESHOLD, AlarmIn, alarms_ingest
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
def net():
    """core → agg → olt1, olt2; two customers under each OLT, one of them a
    site of a key account."""
    core = f.element("CORE-1")
    agg = f.element("AGG-1", upstream=core)
    olt1 = f.element("OLT-1", upstream=agg)
    olt2 = f.element("OLT-2", upstream=agg)
    group_account = f.customer("key_account", name="Big Bank")
    customers = {
        "a": f.customer(),
        "b": f.customer("business", parent_account=group_account),
        "c": f.customer(),
        "d": f.customer(),
    }
    services = {
        "a": f.service(customers["a"], access_element=olt1),
        "b": f.service(customers["b"], access_element=olt1),
        "c": f.service(customers["c"], access_element=olt2),
        "d": f.service(customers["d"], access_element=olt2),
    }
    f.group(TierKind.SECOND_LINE)  # the NOC group, for the liaison records
    topology_changed()
    return {
        "core": core,
        "agg": agg,
        "olt1": olt1,
        "olt2": olt2,
        "customers": customers,
        "services": services,
        "key_account": group_account,
    }


def alarm(element: str, name: str = "LinkDown", firing: bool = True, minutes: float = 0):
    return AlarmIn(
        source="generic",
        name=name,
        element_ref=element,
        severity=1,
        firing=firing,
        at=timezone.now() + timedelta(minutes=minutes),
        summary=f"{name} on {element}",
    )


def test_downstream_alarms_then_their_upstream_become_one_incident_on_the_upstream(net):
    first = alarms_ingest(alarms=[alarm("OLT-1"), alarm("OLT-2")])
    assert len(first.incidents) == 2  # nothing above them has failed yet

    second = alarms_ingest(alarms=[alarm("AGG-1", minutes=1)])

    [incident] = NetworkIncident.objects.filter(state__in=["investigating"])
    assert second.incidents == [incident.reference]
    assert incident.root_element == net["agg"]
    assert set(Alarm.objects.values_list("incident_id", flat=True)) == {incident.pk}
    assert NetworkIncident.objects.filter(state=IncidentState.RESOLVED).count() == 1  # merged
    assert (incident.affected_services, incident.affected_customers) == (4, 4)
    assert list(incident.affected_key_accounts.all()) == [net["key_account"]]


def test_upstream_alarm_first_then_downstream_alarms_join_it(net):
    alarms_ingest(alarms=[alarm("AGG-1")])
    result = alarms_ingest(alarms=[alarm("OLT-1", minutes=1), alarm("OLT-2", minutes=1)])
    [incident] = NetworkIncident.objects.all()
    assert result.incidents == [incident.reference]
    assert incident.alarms.count() == 3


def test_repeats_are_counted_once_clears_close_and_flaps_are_caught(net):
    alarms_ingest(alarms=[alarm("OLT-1"), alarm("OLT-1", minutes=0.1)])
    assert Alarm.objects.get().occurrences == 2
    for n in range(FLAP_THRESHOLD):
        alarms_ingest(alarms=[alarm("OLT-1", firing=False, minutes=n + 0.5)])
        assert Alarm.objects.get().state == AlarmState.CLEARED
        alarms_ingest(alarms=[alarm("OLT-1", minutes=n + 0.7)])
    flapping = Alarm.objects.get()
    assert (flapping.flaps, flapping.is_flapping) == (FLAP_THRESHOLD, True)
    assert Alarm.objects.count() == 1


def test_a_clear_for_an_unknown_alarm_is_counted_not_stored(net):
    result = alarms_ingest(alarms=[alarm("OLT-1", firing=False)])
    assert (result.unmatched_clears, Alarm.objects.count()) == (1, 0)


def test_maintenance_suppresses_alarms_below_its_elements(net):
    window = MaintenanceWindow.objects.create(
        title="Swap AGG-1 line card",
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() + timedelta(hours=1),
    )
    window.elements.add(net["agg"])
    result = alarms_ingest(alarms=[alarm("OLT-1")])
    assert result.suppressed == 1
    assert Alarm.objects.get().suppressed_by == window
    assert NetworkIncident.objects.count() == 0


def test_unknown_elements_are_kept_with_their_reference(net):
    result = alarms_ingest(alarms=[alarm("no-such-box")])
    stored = Alarm.objects.get()
    assert (result.unknown_elements, stored.element, stored.element_ref) == (1, None, "no-such-box")


def test_new_fault_from_an_affected_customer_joins_the_incident(net):
    alarms_ingest(alarms=[alarm("AGG-1")])
    incident = NetworkIncident.objects.get()
    operator = f.user()
    customer = net["customers"]["a"]
    assert [s.incident for s in network_status_for(customer.pk)] == [incident]

    fault = f.ticket(operator, customer, service=net["services"]["a"])
    billing = f.ticket(operator, customer, ticket_type="billing_inquiry")

    link = IncidentTicket.objects.get()
    assert (link.ticket, link.automatic) == (fault, True)
    assert TicketEvent.objects.filter(ticket=fault, field="incident").exists()
    assert not IncidentTicket.objects.filter(ticket=billing).exists()

    incident_unlink_ticket(
        actor=operator, incident=incident, ticket=fault, reason="Customer's router is broken"
    )
    assert IncidentTicket.objects.get().unlinked_at is not None


def test_unaffected_customer_sees_nothing(net):
    alarms_ingest(alarms=[alarm("OLT-1")])
    assert network_status_for(net["customers"]["c"].pk) == []
    incident = NetworkIncident.objects.get()
    assert [c.pk for c in affected_customers(incident, user=None)] == sorted(
        [net["customers"]["a"].pk, net["customers"]["b"].pk]
    )


def test_updates_reach_the_children_and_resolving_resolves_them(net):
    noc = f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)])
    operator = f.user()
    incident = incident_create(
        actor=noc,
        title="Fibre cut at AGG-1",
        detected_by="manual",
        root_element=net["agg"],
        customer_description="Internet outage in the area; repair crew on site.",
    )
    children = [
        f.ticket(operator, net["customers"][k], service=net["services"][k]) for k in ("a", "c")
    ]
    assert IncidentTicket.objects.filter(incident=incident).count() == 2

    incident_update(
        actor=noc,
        incident=incident,
        state="identified",
        customer_message="Cable cut by roadworks; repair expected by 14:30.",
        eta=timezone.now() + timedelta(hours=2),
    )
    for ticket in children:
        assert TicketEvent.objects.filter(
            ticket=ticket, message__contains="repair expected by 14:30"
        ).exists()
    assert LiaisonRecord.objects.filter(kind=LiaisonKind.STATUS_UPDATE).count() == 1

    with pytest.raises(ValidationFailed) as refused:
        incident_resolve(
            actor=noc, incident=incident, root_cause="fibre_cut", resolve_children=True
        )
    assert refused.value.field == "customer_message"

    problems = incident_resolve(
        actor=noc,
        incident=incident,
        root_cause="fibre_cut",
        customer_message="Service restored. Sorry for the trouble.",
        resolve_children=True,
    )
    assert problems == []
    for ticket in children:
        ticket.refresh_from_db()
        assert (ticket.status, ticket.resolution_code) == ("resolved", "network_restored")
    incident.refresh_from_db()
    assert incident.state == IncidentState.RESOLVED


def test_remote_troubleshooting_is_recorded_between_the_groups(net):
    operator = f.user()
    noc = f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)])
    ticket = f.ticket(operator, net["customers"]["a"], service=net["services"]["a"])
    request = troubleshooting_request(actor=operator, ticket=ticket, body="Please test the line.")
    result = troubleshooting_result(
        actor=noc,
        ticket=ticket,
        body="ONT offline since 09:12, light level -31 dBm.",
        request=request,
    )
    assert (request.from_group.name, request.to_group.name) == ("Hotline", "NOC")
    assert result.answers == request
    assert TicketEvent.objects.filter(ticket=ticket, field="liaison").count() == 2


def test_a_fire_and_its_clear_in_one_batch_leave_one_cleared_alarm_in_an_incident(net):
    result = alarms_ingest(alarms=[alarm("OLT-1"), alarm("OLT-1", firing=False, minutes=0.1)])
    stored = Alarm.objects.get()
    assert (stored.state, stored.occurrences, result.unmatched_clears) == ("cleared", 1, 0)
    # A fault that came and went is still a fault: it opens an incident,
    # which the desk closes after the hold time (test_lifecycle.py).
    [incident] = NetworkIncident.objects.all()
    assert (stored.incident, incident.root_element) == (incident, net["olt1"])
    assert result.incidents == [incident.reference]
