"""Suspected outages from complaint spikes, through the real services and
the database: tickets are created as agents create them, then dated back
to where the scenario puts them in time."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from netdesk.accounts.models import Role, TierKind
from netdesk.core.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed
from netdesk.network.models import Area
from netdesk.network.selectors import topology_changed
from netdesk.noc.models import (
    ComplaintBaseline,
    DetectedBy,
    IncidentTicket,
    OutageConfidence,
    OutageState,
    SuspectedOutage,
)
from netdesk.noc.services import outages
from netdesk.noc.services.baselines import baselines_learn
from netdesk.noc.services.outages import (
    complaint_detector_reset,
    complaint_observe,
    complaint_threshold,
    outage_confirm,
    outage_dismiss,
    spike_settings,
)
from netdesk.noc.spikes.places import element_node
from netdesk.tickets.models import Ticket
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def net():
    """core → olt-a (eight customers), core → olt-b (eight customers)."""
    core = f.element("CORE-1")
    olt_a = f.element("OLT-A", upstream=core)
    olt_b = f.element("OLT-B", upstream=core)
    area = Area.objects.get(code="BER")
    services = {
        name: [f.service(f.customer(), access_element=olt, area=area) for _ in range(8)]
        for name, olt in (("a", olt_a), ("b", olt_b))
    }
    f.group(TierKind.SECOND_LINE)
    topology_changed()
    # A desk without history: every element expects only the floor.
    now = timezone.now()
    baselines_learn(since=now - timedelta(days=28), until=now - timedelta(hours=2))
    return {"core": core, "a": olt_a, "b": olt_b, "area": area, "services": services}


@pytest.fixture
def operator():
    return f.user(Role.HOTLINE_OPERATOR)


@pytest.fixture
def noc():
    return f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)])


def fault(operator, service, minutes_ago, ticket_type="fault", **extra):
    """A fault ticket on the service, dated `minutes_ago` before now."""
    ticket = f.ticket(operator, service.customer, service=service, ticket_type=ticket_type, **extra)
    at = timezone.now() - timedelta(minutes=minutes_ago)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=at, updated_at=at)
    return ticket


def observe_in_order(tickets):
    """What the detector makes of these tickets, from a fresh start (as
    after a restart: it reads the last window back from the database)."""
    complaint_detector_reset()
    results = []
    for ticket in sorted(tickets, key=lambda t: Ticket.objects.get(pk=t.pk).created_at):
        results.append(complaint_observe(ticket=Ticket.objects.get(pk=ticket.pk)))
    return results


def burst(operator, services, start=40, every=3):
    return [fault(operator, service, start - every * i) for i, service in enumerate(services)]


def test_burst_under_one_element_raises_one_outage_naming_it(net, operator):
    """Given eight customers of OLT-A reporting faults within half an hour,
    when the detector sees them, one suspected outage names OLT-A, with the
    tickets attached and an explanation in the desk's words."""
    tickets = burst(operator, net["services"]["a"])
    observe_in_order(tickets)
    outage = SuspectedOutage.objects.get()
    assert outage.element == net["a"]
    assert outage.area == net["area"]
    assert outage.state == OutageState.OPEN
    assert outage.complaints >= 6
    assert outage.score >= spike_settings().threshold
    assert "under OLT-A" in outage.explanation
    assert set(outage.tickets.values_list("pk", flat=True)) <= {t.pk for t in tickets}
    assert outage.tickets.count() >= 6


def test_nothing_is_detected_before_baselines_are_learned(net, operator):
    ComplaintBaseline.objects.all().delete()
    assert observe_in_order(burst(operator, net["services"]["a"])) == [None] * 8
    assert not SuspectedOutage.objects.exists()


def test_observing_again_changes_nothing(net, operator):
    tickets = burst(operator, net["services"]["a"])
    observe_in_order(tickets)
    before = list(SuspectedOutage.objects.values_list("pk", "complaints"))
    for ticket in tickets:
        assert complaint_observe(ticket=ticket) is None
    assert list(SuspectedOutage.objects.values_list("pk", "complaints")) == before


def test_later_complaints_join_the_open_outage(net, operator):
    """A fault ticket taken while the outage is open joins it as it is
    created (ticket creation shows every new ticket to the detector)."""
    tickets = burst(operator, net["services"]["a"][:7])
    observe_in_order(tickets)
    outage = SuspectedOutage.objects.get()
    service = net["services"]["a"][7]
    late = f.ticket(operator, service.customer, service=service)
    assert outage.tickets.filter(pk=late.pk).exists()
    assert complaint_observe(ticket=late) is None  # already seen
    assert SuspectedOutage.objects.count() == 1


def test_requests_and_billing_questions_are_not_complaints(net, operator):
    """Billing questions whose words are about the bill: no network fault by
    type or by triage, so they count toward nothing."""
    tickets = [
        fault(
            operator,
            service,
            40 - 3 * i,
            ticket_type="billing_inquiry",
            title="Why is my invoice higher this month?",
        )
        for i, service in enumerate(net["services"]["a"])
    ]
    assert observe_in_order(tickets) == [None] * 8
    assert not SuspectedOutage.objects.exists()


def test_normal_traffic_raises_nothing_once_baselines_are_learned(net, operator):
    """Given four weeks in which OLT-A and OLT-B each had a fault every few
    hours, the same pace now raises nothing; a burst still does."""
    history = []
    for hours_ago in range(5, 28 * 24, 7):
        services = net["services"]["a" if hours_ago % 2 else "b"]
        history.append(fault(operator, services[hours_ago % 8], hours_ago * 60))
    now = timezone.now()
    learned = baselines_learn(since=now - timedelta(days=28), until=now - timedelta(hours=2))
    assert learned.complaints == len(history)
    assert learned.elements == 3
    assert learned.areas == 1
    # Writing the history through ticket creation made the first fault of
    # each OLT a hint, back when nothing was known of them.
    assert SuspectedOutage.objects.filter(confidence=OutageConfidence.OUTAGE).count() == 0
    SuspectedOutage.objects.all().delete()
    normal = [fault(operator, net["services"]["b"][i], m) for i, m in ((0, 50), (1, 20))]
    observe_in_order(normal)
    assert not SuspectedOutage.objects.exists()
    observe_in_order(normal + burst(operator, net["services"]["a"]))
    assert SuspectedOutage.objects.get().element == net["a"]


def test_tickets_of_past_incidents_are_not_learned_as_normal(net, operator, noc):
    tickets = burst(operator, net["services"]["a"], start=3 * 24 * 60)
    from netdesk.noc.services.incidents import incident_create, incident_link_ticket

    incident = incident_create(
        actor=noc,
        title="Old fibre cut",
        detected_by=DetectedBy.MANUAL,
        started_at=timezone.now() - timedelta(days=3),
        root_element=net["a"],
    )
    for ticket in tickets[:5]:
        incident_link_ticket(actor=noc, incident=incident, ticket=ticket)
    now = timezone.now()
    learned = baselines_learn(since=now - timedelta(days=7), until=now)
    assert learned.complaints == 3


def test_confirming_opens_an_incident_with_the_tickets_as_children(net, operator, noc):
    observe_in_order(burst(operator, net["services"]["a"]))
    outage = SuspectedOutage.objects.get()
    incident = outage_confirm(
        actor=noc,
        outage=outage,
        title="No service behind OLT-A",
        customer_description="A fault in your area is being repaired.",
    )
    outage.refresh_from_db()
    assert outage.state == OutageState.CONFIRMED
    assert outage.incident == incident
    assert outage.decided_by == noc
    assert outage.decided_at is not None
    assert incident.detected_by == DetectedBy.COMPLAINTS
    assert incident.root_element == net["a"]
    assert incident.started_at <= min(t.created_at for t in outage.tickets.all())
    linked = set(
        IncidentTicket.objects.filter(incident=incident, unlinked_at__isnull=True).values_list(
            "ticket_id", flat=True
        )
    )
    assert linked == set(outage.tickets.values_list("pk", flat=True))
    with pytest.raises(TransitionNotAllowed):
        outage_confirm(actor=noc, outage=outage, title="Again")


def test_only_the_noc_decides(net, operator):
    observe_in_order(burst(operator, net["services"]["a"]))
    outage = SuspectedOutage.objects.get()
    with pytest.raises(PermissionDenied):
        outage_confirm(actor=operator, outage=outage, title="Outage")
    with pytest.raises(PermissionDenied):
        outage_dismiss(actor=operator, outage=outage, reason="Not one")
    assert SuspectedOutage.objects.get().state == OutageState.OPEN


def test_dismissing_keeps_the_reason_and_raises_the_threshold(
    net, operator, noc, django_capture_on_commit_callbacks
):
    threshold = spike_settings().threshold
    observe_in_order(burst(operator, net["services"]["a"]))
    outage = SuspectedOutage.objects.get()
    with pytest.raises(ValidationFailed) as refused:
        outage_dismiss(actor=noc, outage=outage, reason="  ")
    assert refused.value.field == "reason"
    with django_capture_on_commit_callbacks(execute=True):
        outage_dismiss(actor=noc, outage=outage, reason="Customers of a reseller testing CPEs")
    outage.refresh_from_db()
    assert outage.state == OutageState.DISMISSED
    assert outage.dismissal_reason == "Customers of a reseller testing CPEs"
    assert complaint_threshold(element=net["a"]) == threshold + spike_settings().dismissal_step
    assert complaint_threshold(element=net["b"]) == threshold
    # The running detector (in any process) uses the raised threshold at once.
    assert outages._detector().spikes.threshold_for(element_node(net["a"].pk)) == (
        threshold + spike_settings().dismissal_step
    )


def test_a_confirmed_outage_resets_the_dismissals(net, operator, noc):
    for _ in range(2):
        observe_in_order(burst(operator, net["services"]["a"]))
        outage = SuspectedOutage.objects.get(state=OutageState.OPEN)
        outage_dismiss(actor=noc, outage=outage, reason="Nothing found")
    step = spike_settings().dismissal_step
    assert complaint_threshold(element=net["a"]) == spike_settings().threshold + 2 * step
    observe_in_order(burst(operator, net["services"]["a"], start=35, every=1))
    outage = SuspectedOutage.objects.get(state=OutageState.OPEN)
    outage_confirm(actor=noc, outage=outage, title="OLT-A line card")
    assert complaint_threshold(element=net["a"]) == spike_settings().threshold


def test_learn_command(net, operator):
    fault(operator, net["services"]["a"][0], 60 * 24)
    call_command("outages", "learn", "--days", "7", verbosity=0)
    assert ComplaintBaseline.objects.filter(element=net["a"]).exists()
    assert ComplaintBaseline.objects.filter(element__isnull=True, area__isnull=True).count() == 1
