"""An incident's life after it opened, through the real intake and the
desk's quiet pass: re-fires after resolution, momentary alarms, the hold
time, monitoring and back, and parts that clear apart."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from netdesk.accounts.models import Role, TierKind
from netdesk.core.errors import ValidationFailed
from netdesk.network.import_report import ImportReport
from netdesk.network.models import Link, NetworkElement
from netdesk.network.selectors import neighbours, topology_changed
from netdesk.network.services.inventory import LinkRow, links_import
from netdesk.noc.models import (
    Alarm,
    AlarmState,
    DetectedBy,
    IncidentState,
    IncidentTicket,
    NetworkIncident,
)
from netdesk.noc.services import lifecycle
from netdesk.noc.services.alarms import AlarmIn, alarms_ingest
from netdesk.noc.services.incidents import incident_create, incident_resolve
from netdesk.noc.services.lifecycle import HOLD, MAX_HOPS, MAX_SPAN, incidents_close_quiet
from netdesk.noc.tasks import ensure_quiet_tick, incidents_quiet_tick
from netdesk.tickets.models import TicketEvent
from tests import factories as f

pytestmark = pytest.mark.django_db

# Simulated time, in the past: the services refuse starts and restorations
# in the future, and the span test runs past MAX_SPAN.
T0 = timezone.now().replace(microsecond=0) - timedelta(hours=6)


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


def test_an_incident_past_its_span_takes_no_new_alarms_a_new_one_opens_beside_it(net):
    fire("AGG-1", 0)
    fire("OLT-1", 60)
    [incident] = active()
    assert incident.alarms.count() == 2

    late = MAX_SPAN.total_seconds() / 60 + 1
    fire("OLT-2", late)

    old, new = active()
    # AGG-1's alarm stays with the old incident: the new one opens below it.
    assert (old, new.split_from, new.root_element) == (incident, incident, net["olt2"])
    assert new.started_at == at(late)
    assert "takes no new alarms" in new.updates.latest("id").technical_note
    # Later alarms below go to the new one, not the full one.
    fire("OLT-1", late + 1, name="PowerLow")
    assert Alarm.objects.get(name="PowerLow").incident == new


def test_an_alarm_further_below_the_root_than_max_hops_opens_its_own_incident():
    chain = [f.element("HUB-0")]
    for depth in range(1, MAX_HOPS + 2):
        chain.append(f.element(f"HUB-{depth}", upstream=chain[-1]))
    topology_changed()
    fire("HUB-0", 0)
    fire(f"HUB-{MAX_HOPS}", 1)  # as far as it goes: joins
    assert len(active()) == 1

    fire(f"HUB-{MAX_HOPS + 1}", 2)

    near, far = active()
    assert near.root_element == chain[0]
    assert far.root_element == chain[MAX_HOPS + 1]
    assert far.split_from is None


def test_a_link_neighbour_joins_while_the_other_end_is_live_and_counts_in_the_impact(net):
    other_core = f.element("CORE-2")
    radio = f.element("MW-2", upstream=other_core)
    Link.objects.create(a_element=net["olt1"], b_element=radio, kind="microwave")
    customer = f.customer()
    f.service(customer, access_element=radio)
    topology_changed()
    assert neighbours()[radio.pk] == frozenset({net["olt1"].pk})

    fire("OLT-1", 0)
    clear("OLT-1", 1)
    fire("MW-2", 10)  # the far end of the hop, within the hold

    [incident] = active()
    assert set(incident.alarms.values_list("element__name", flat=True)) == {"OLT-1", "MW-2"}
    assert list(incident.elements.all()) == [radio]
    assert incident.affected_customers == 1
    assert incident.root_element == net["olt1"]

    clear("MW-2", 11)
    fire("MW-2", 30, name="PowerLow")  # both ends quiet for longer than the hold
    assert Alarm.objects.get(name="PowerLow").incident != incident


def test_a_batch_costs_the_same_queries_with_one_alarm_as_with_many(net):
    olts = [f.element(f"ONT-{n}", upstream=net["olt1"]) for n in range(8)]
    topology_changed()
    fire("OLT-1", 0)

    def joined(names: list[str], minutes: float) -> int:
        batch = [alarm(name, minutes, firing=True) for name in names]
        with CaptureQueriesContext(connection) as queries:
            alarms_ingest(alarms=batch, now=at(minutes))
        return len(queries)

    one = joined([olts[0].name], 1)
    many = joined([e.name for e in olts[1:]], 2)

    assert one == many
    [incident] = active()
    assert incident.alarms.count() == 9


def test_imported_links_are_seen_by_the_next_batch(net):
    assert net["olt2"].pk not in neighbours().get(net["olt1"].pk, frozenset())
    row = LinkRow(key="mw-1", reference="mw-1", a_element=net["olt1"].pk, b_element=net["olt2"].pk)

    links_import(rows=[row], source="test", report=ImportReport())

    assert neighbours()[net["olt1"].pk] == frozenset({net["olt2"].pk})
    assert neighbours()[net["olt2"].pk] == frozenset({net["olt1"].pk})


def test_a_pass_over_incidents_that_still_fire_reads_them_and_locks_none(net, monkeypatch):
    # Given three incidents whose alarms all still fire, at sites apart:
    for site in ["SITE-A", "SITE-B", "SITE-C"]:
        f.element(site)
    topology_changed()
    for minutes, site in enumerate(["SITE-A", "SITE-B", "SITE-C"]):
        fire(site, minutes)
    firing = [i.pk for i in active()]
    assert len(firing) == 3
    stepped: list[int] = []
    real = lifecycle._incident_step

    def step(incident, rows, now, result):
        stepped.append(incident.pk)
        real(incident, rows, now, result)

    monkeypatch.setattr(lifecycle, "_incident_step", step)
    # When the desk's quiet pass runs long after:
    with CaptureQueriesContext(connection) as queries:
        incidents_close_quiet(now=at(30) + HOLD)
    # Then it read them (the incidents, their alarms) and locked none: on
    # SQLite each locked pass is a transaction holding the writer turn.
    assert (len(queries), stepped) == (2, [])

    # And given a fourth whose alarm cleared, the pass takes that one alone:
    fire("AGG-1", 40)
    clear("AGG-1", 41)
    [quiet] = [i for i in active() if i.pk not in firing]
    result = incidents_close_quiet(now=at(41) + HOLD)
    assert stepped == [quiet.pk]
    assert result.resolved == [quiet.reference]
