"""What counts toward a suspected outage (network faults by type or by
triage), the level an outage is raised at, and low-confidence hints,
through the real services and the database."""

from datetime import timedelta

import pytest
from django.utils import timezone

from netdesk.network.selectors import topology_changed
from netdesk.noc.models import (
    Alarm,
    AlarmSeverity,
    AlarmSource,
    AlarmState,
    OutageConfidence,
    SuspectedOutage,
)
from netdesk.noc.services.baselines import baselines_learn
from netdesk.noc.services.outages import complaint_detector_reset, spike_settings
from netdesk.noc.tests.test_outages import burst, fault, net, observe_in_order, operator
from netdesk.tickets.models import Ticket
from netdesk.triage.models import TriageSuggestion
from tests import factories as f

__all__ = ["net", "operator"]  # fixtures used by name

pytestmark = pytest.mark.django_db

HINT, OUTAGE = OutageConfidence.HINT, OutageConfidence.OUTAGE


def said(ticket, *, network_fault, confidence=0.9):
    """What triage made of the ticket's words (as its hook would store it)."""
    TriageSuggestion.objects.update_or_create(
        ticket=ticket,
        defaults={
            "method": "keywords",
            "ticket_type": ticket.ticket_type,
            "type_confidence": confidence,
            "network_fault": network_fault,
            "network_fault_confidence": confidence,
            "created_at": timezone.now(),
        },
    )
    return ticket


def complaints(operator, services, *, network_fault, confidence=0.9, start=40, every=3):
    """Complaint tickets (not faults) from these services, triaged as said."""
    return [
        said(
            fault(operator, service, start - every * i, ticket_type="complaint"),
            network_fault=network_fault,
            confidence=confidence,
        )
        for i, service in enumerate(services)
    ]


def outages(confidence=OUTAGE):
    return SuspectedOutage.objects.filter(confidence=confidence)


def test_complaints_about_bills_raise_nothing(net, operator):
    """Eight complaints in half an hour from OLT-A's customers whose words
    triage reads as no network fault (a price rise): no suspected outage."""
    observe_in_order(complaints(operator, net["services"]["a"], network_fault=False))
    assert not outages().exists()


def test_complaints_whose_words_say_network_fault_count(net, operator):
    observe_in_order(complaints(operator, net["services"]["a"], network_fault=True))
    outage = outages().get()
    assert outage.element == net["a"]
    assert outage.tickets.count() >= 6


def test_a_doubtful_network_fault_does_not_count(net, operator):
    tickets = complaints(operator, net["services"]["a"], network_fault=True, confidence=0.4)
    observe_in_order(tickets)
    assert not outages().exists()


def test_baselines_are_learned_from_network_faults_only(net, operator):
    faults = burst(operator, net["services"]["a"], start=3 * 24 * 60, every=60)
    bills = complaints(
        operator, net["services"]["b"], network_fault=False, start=2 * 24 * 60, every=60
    )
    worded = complaints(
        operator, net["services"]["b"][:3], network_fault=True, start=24 * 60, every=60
    )
    now = timezone.now()
    learned = baselines_learn(since=now - timedelta(days=28), until=now - timedelta(hours=2))
    assert learned.complaints == len(faults) + len(worded)
    assert len(bills) == 8


def test_an_outage_reports_its_level(net, operator):
    observe_in_order(burst(operator, net["services"]["a"]))
    outage = outages().get()
    assert (outage.element, outage.level) == (net["a"], 1)
    assert "(level 1)" in outage.explanation
    # The hint the OLT's first fault made grew into the outage: one row.
    assert not outages(HINT).exists()


def test_the_first_fault_from_a_place_that_never_had_one_is_a_hint(net, operator):
    """A desk whose baselines know nothing of OLT-A: its first fault is a
    low-confidence hint at OLT-A, not an outage; its second is no hint."""
    first = fault(operator, net["services"]["a"][0], 30)
    hint = outages(HINT).get()
    assert (hint.element, hint.area, hint.level) == (net["a"], net["area"], 1)
    assert list(hint.tickets.values_list("pk", flat=True)) == [first.pk]
    assert hint.complaints == 1
    assert "first network-fault ticket" in hint.explanation
    assert "no alarm on its path" in hint.explanation
    fault(operator, net["services"]["a"][1], 20)
    assert outages(HINT).count() == 1
    assert not outages().exists()


def test_no_hint_where_an_element_already_had_a_fault(net, operator):
    fault(operator, net["services"]["b"][0], 3 * 24 * 60)
    SuspectedOutage.objects.all().delete()
    observe_in_order([fault(operator, net["services"]["b"][1], 10)])
    assert not SuspectedOutage.objects.exists()


def test_no_hint_where_an_alarm_fires_on_the_path(net, operator):
    now = timezone.now()
    Alarm.objects.create(
        fingerprint="core-1-linkdown",
        source=AlarmSource.MANUAL,
        element=net["core"],
        name="LinkDown",
        severity=AlarmSeverity.MAJOR,
        state=AlarmState.FIRING,
        first_seen=now,
        last_seen=now,
    )
    fault(operator, net["services"]["b"][0], 10)
    assert not SuspectedOutage.objects.exists()


def test_no_hint_from_a_bill(net, operator):
    ticket = f.ticket(
        operator,
        net["services"]["b"][0].customer,
        service=net["services"]["b"][0],
        ticket_type="billing_inquiry",
        title="Why did my price go up?",
    )
    said(ticket, network_fault=False)
    observe_in_order([ticket])
    assert not SuspectedOutage.objects.exists()
    assert Ticket.objects.filter(pk=ticket.pk).exists()


def test_hints_need_a_known_topology(net, operator):
    """A new element added after the detector started is still a stranger:
    its first fault is a hint too."""
    olt_c = f.element("OLT-C", upstream=net["core"])
    service = f.service(f.customer(), access_element=olt_c, area=net["area"])
    topology_changed()
    fault(operator, service, 5)
    assert outages(HINT).get().element == olt_c


def test_levels_and_hints_are_set_by_the_desk(net, operator, settings):
    settings.NETDESK_SPIKES = {"level_thresholds": [6, 7.5], "hints": False}
    spike = spike_settings()
    assert spike.level_thresholds == (6.0, 7.5)
    assert spike.base_threshold(1) == 7.5
    assert spike.base_threshold(2) == spike.threshold
    complaint_detector_reset()
    try:
        fault(operator, net["services"]["a"][0], 5)
        assert not SuspectedOutage.objects.exists()
    finally:
        complaint_detector_reset()  # the next test's detector reads its own settings
