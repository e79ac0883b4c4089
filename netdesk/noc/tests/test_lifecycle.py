"""An incident's life after it opened, through the real intake and the
desk's quiet pass: re-fires after resolution, momentary alarms, the hold
time, monitoring and back, and parts that clear apart."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from netdesk.accounts.models import Role, TierKind
from netdesk.core.errors import ValidationFailed
from netdesk.network.models import NetworkElement
from netdesk.network.selectors import topology_changed
from netdesk.noc.models import (
    Alarm,
    AlarmState,
    DetectedBy,
    IncidentState,
    IncidentTicket,
    NetworkIncident,
)
from netdesk.noc.services.alarms import AlarmIn, alarms_ingest
from netdesk.noc.services.incidents import incident_create, incident_resolve
from netdesk.noc.services.lifecycle import HOLD, incidents_close_quiet
from netdesk.noc.tasks import ensure_quiet_tick, incidents_quiet_tick
from netdesk.tickets.models import TicketEvent
from tests import factories as f

pytestmark = pytest.mark.django_db

# Simulated time, in the past: the services refuse restorations in the future.
T0 = timezone.now().replace(microsecond=0) - timedelta(hours=3)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def net() -> dict[str, NetworkElement]:
    """core → agg → olt1, olt2; a customer on olt1."""
    core = f.element("CORE-1")
    agg = f.element("AGG-1", upstream=core)
    olt1 = f.element("OLT-1", upstream=agg)
    olt2 = f.element("OLT-2", upstream=agg)
    f.group(TierKind.SECOND_LINE)
    topology_changed()
    return {"core": core, "agg": agg, "olt1": olt1, "olt2": olt2}


def fire(element: str, minutes: float, *, name: str = "LinkDown") -> None:
    alarms_ingest(alarms=[alarm(element, minutes, firing=True, name=name)], now=at(minutes))


def clear(element: str, minutes: float, *, name: str = "LinkDown") -> None:
    alarms_ingest(alarms=[alarm(element, minutes, firing=False, name=name)], now=at(minutes))


def alarm(element: str, minutes: float, *, firing: bool, name: str = "LinkDown") -> AlarmIn:
    return AlarmIn(
        source="generic", name=name, element_ref=element, severity=2, firing=firing, at=at(minutes)
    )


def noc_resolves(incident: NetworkIncident) -> None:
    noc = f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)])
    incident_resolve(actor=noc, incident=incident, root_cause="hardware")


def active() -> list[NetworkIncident]:
    return list(NetworkIncident.objects.exclude(state=IncidentState.RESOLVED).order_by("id"))


def test_a_fire_after_the_incident_was_resolved_opens_a_new_incident(net):
    # The reproduction: one element, fire, clear, resolve, fire again.
    fire("OLT-1", 0)
    clear("OLT-1", 1)
    [first] = active()
    noc_resolves(first)

    fire("OLT-1", 5)  # within the flap window: still a new fault

    [second] = active()
    assert second.pk != first.pk
    assert second.root_element == net["olt1"]
    assert second.started_at == at(5)
    # The resolved incident keeps its own, cleared alarm.
    assert list(first.alarms.values_list("state", flat=True)) == [AlarmState.CLEARED]
    assert list(second.alarms.values_list("state", flat=True)) == [AlarmState.FIRING]

    clear("OLT-1", 6)
    noc_resolves(second)
    fire("OLT-1", 66)  # an hour later

    [third] = active()
    assert third.pk not in (first.pk, second.pk)
    assert third.alarms.get().first_seen == at(66)


def test_a_fire_while_the_incident_is_in_monitoring_rejoins_it(net):
    fire("OLT-1", 0)
    clear("OLT-1", 1)
    result = incidents_close_quiet(now=at(2))
    [incident] = active()
    assert (incident.state, result.monitoring) == (IncidentState.MONITORING, [incident.reference])

    fire("OLT-1", 5)
    assert active() == [incident]
    assert incident.alarms.get().state == AlarmState.FIRING

    again = incidents_close_quiet(now=at(6))
    incident.refresh_from_db()
    assert (incident.state, again.reopened) == (IncidentState.INVESTIGATING, [incident.reference])
    assert "fires again" in incident.updates.latest("id").technical_note


def test_an_alarm_that_came_and_went_in_one_batch_opens_an_incident_that_closes_after_hold(net):
    alarms_ingest(
        alarms=[alarm("OLT-1", 0, firing=True), alarm("OLT-1", 0.1, firing=False)], now=at(0.1)
    )
    [incident] = active()
    assert incident.alarms.get().state == AlarmState.CLEARED

    incidents_close_quiet(now=at(1))
    incident.refresh_from_db()
    assert incident.state == IncidentState.MONITORING
    incidents_close_quiet(now=at(0.1) + HOLD - timedelta(seconds=1))
    assert active() == [incident]

    result = incidents_close_quiet(now=at(0.1) + HOLD)

    incident.refresh_from_db()
    assert result.resolved == [incident.reference]
    assert (incident.state, incident.closed_automatically) == (IncidentState.RESOLVED, True)
    assert incident.resolved_at == at(0.1)
    assert incident.root_cause == "unknown"
    assert "Closed by the desk" in incident.updates.latest("id").technical_note


def test_closing_by_itself_tells_the_linked_tickets_as_a_resolve_by_hand_does(net):
    customer = f.customer()
    service = f.service(customer, access_element=net["olt1"])
    fire("OLT-1", 0)
    ticket = f.ticket(f.user(), customer, service=service)
    [incident] = active()
    assert IncidentTicket.objects.filter(incident=incident, ticket=ticket).exists()
    clear("OLT-1", 3)

    incidents_close_quiet(now=at(4))
    incidents_close_quiet(now=at(3) + HOLD)

    incident.refresh_from_db()
    assert incident.state == IncidentState.RESOLVED
    told = TicketEvent.objects.filter(ticket=ticket, field="incident", new_value=incident.reference)
    assert told.filter(message__contains="root cause: Unknown").exists()
    # The ticket stays open: its customer is answered by a person.
    ticket.refresh_from_db()
    assert ticket.status != "resolved"


def test_an_incident_opened_by_hand_gets_a_note_once_not_a_resolve(net):
    incident = incident_create(
        actor=None, title="Fibre cut", detected_by=DetectedBy.MANUAL, root_element=net["agg"]
    )
    fire("OLT-1", 0)
    assert Alarm.objects.get().incident == incident
    clear("OLT-1", 1)

    first = incidents_close_quiet(now=at(1) + HOLD)
    second = incidents_close_quiet(now=at(2) + HOLD)

    incident.refresh_from_db()
    assert incident.state == IncidentState.INVESTIGATING
    assert (first.noted, second.noted) == ([incident.reference], [])
    assert incident.updates.filter(technical_note__contains="none fired again").count() == 1


def test_a_part_that_cleared_is_split_off_while_the_rest_still_fires(net):
    fire("AGG-1", 0)
    clear("AGG-1", 1)
    fire("OLT-2", 10)  # under the root, within the hold: the same failure
    clear("OLT-2", 10.5)
    incidents_close_quiet(now=at(12))
    fire("OLT-1", 20)  # still under the root, but long after the rest
    [incident] = active()
    assert incident.alarms.count() == 3

    early = incidents_close_quiet(now=at(21))
    assert (early.reopened, early.split) == ([incident.reference], [])

    result = incidents_close_quiet(now=at(10.5) + HOLD)

    [piece_ref] = result.split
    piece = NetworkIncident.objects.get(split_from=incident)
    incident.refresh_from_db()
    assert piece.reference == piece_ref
    assert (piece.state, piece.closed_automatically) == (IncidentState.RESOLVED, True)
    assert piece.root_element == net["agg"]
    assert set(piece.alarms.values_list("element__name", flat=True)) == {"AGG-1", "OLT-2"}
    # The root's part cleared: the root moves to the part still firing.
    assert incident.root_element == net["olt1"]
    assert incident.state == IncidentState.INVESTIGATING
    assert list(incident.alarms.values_list("element__name", flat=True)) == ["OLT-1"]
    notes = " ".join(incident.updates.values_list("technical_note", flat=True))
    assert f"Split off {piece.reference}" in notes
    assert "Root moved from AGG-1" in notes
    assert piece.updates.filter(
        technical_note__contains=f"Split from {incident.reference}"
    ).exists()


def test_parts_that_overlapped_in_time_stay_together(net):
    fire("AGG-1", 0)
    fire("OLT-1", 1)
    clear("OLT-1", 2)

    result = incidents_close_quiet(now=at(2) + HOLD)

    assert result.split == []
    [incident] = active()
    assert incident.alarms.count() == 2


def test_the_worker_start_queues_one_quiet_tick_and_a_run_queues_the_next():
    ensure_quiet_tick()
    ensure_quiet_tick()
    waiting = DBTaskResult.objects.filter(task_path=incidents_quiet_tick.module_path)
    assert waiting.count() == 1
    incidents_quiet_tick.call()
    assert waiting.filter(status="READY").count() == 1


def test_the_desk_resolves_no_child_tickets(net):
    incident = incident_create(
        actor=None, title="Fibre cut", detected_by=DetectedBy.MANUAL, root_element=net["agg"]
    )
    with pytest.raises(ValidationFailed) as refused:
        incident_resolve(
            actor=None,
            incident=incident,
            root_cause="unknown",
            customer_message="Restored.",
            resolve_children=True,
        )
    assert refused.value.field == "resolve_children"
