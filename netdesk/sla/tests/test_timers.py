"""SLA and OLA timers driven through the real ticket services, with the
clock moved by rewriting event times (the services stamp `now`)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from netdesk.accounts.models import Role, TierKind
from netdesk.sla.firing import sla_fire_due
from netdesk.sla.models import BusinessCalendar, Metric, PolicyKind, SlaPolicy, SlaTarget, SlaTimer
from netdesk.sla.recompute import sla_recompute_many
from netdesk.sla.selectors import policies_changed
from netdesk.sla.services import sla_refresh
from netdesk.tickets import services
from netdesk.tickets.models import Ticket, TicketEvent
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def always_policy():
    """One 24×7 SLA for every ticket: first response 30 min, resolution 4 h."""
    SlaPolicy.objects.all().delete()
    calendar = BusinessCalendar.objects.create(name="test 24×7", always_open=True)
    policy = SlaPolicy.objects.create(name="Everything", rank=1, calendar=calendar)
    SlaTarget.objects.create(policy=policy, metric=Metric.FIRST_RESPONSE, minutes=30)
    SlaTarget.objects.create(policy=policy, metric=Metric.RESOLUTION, minutes=240)
    policies_changed()
    return policy


def shift(ticket: Ticket, start: datetime) -> None:
    """Place the ticket's creation and every event at fixed times: the n-th
    event happens `minutes[n]` after start (set per test via event ids)."""
    Ticket.objects.filter(pk=ticket.pk).update(created_at=start)
    ticket.refresh_from_db()


def at(ticket: Ticket, moment: datetime) -> None:
    """Move the ticket's most recent events to `moment`."""
    latest = TicketEvent.objects.filter(ticket=ticket).order_by("-at", "-id").first()
    assert latest is not None
    TicketEvent.objects.filter(ticket=ticket, at=latest.at).update(at=moment)


def resolution(ticket: Ticket) -> SlaTimer:
    return SlaTimer.objects.get(ticket=ticket, kind=PolicyKind.SLA, metric=Metric.RESOLUTION)


T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def test_a_new_ticket_gets_its_timers_with_due_times(always_policy):
    operator = f.user()
    ticket = f.ticket(operator, channel="email")
    timers = {t.metric: t for t in SlaTimer.objects.filter(ticket=ticket)}
    assert set(timers) == {Metric.FIRST_RESPONSE, Metric.RESOLUTION}
    assert timers[Metric.RESOLUTION].due_at == ticket.created_at + timedelta(hours=4)
    assert timers[Metric.FIRST_RESPONSE].warn_at == ticket.created_at + timedelta(minutes=24)


def test_pauses_are_exact_across_several_pauses(always_policy):
    operator = f.user()
    ticket = f.ticket(operator, channel="email")
    Ticket.objects.filter(pk=ticket.pk).update(created_at=T0)
    TicketEvent.objects.filter(ticket=ticket).update(at=T0)
    ticket.refresh_from_db()
    # 09:00 open · 09:30 pending customer · 11:00 in progress · 12:00 pending third party · 15:00 in progress
    for moment, status in [
        (T0 + timedelta(minutes=30), "pending_customer"),
        (T0 + timedelta(hours=2), "in_progress"),
        (T0 + timedelta(hours=3), "pending_third_party"),
        (T0 + timedelta(hours=6), "in_progress"),
    ]:
        services.ticket_change_status(actor=operator, ticket=ticket, status=status)
        at(ticket, moment)
    timers = sla_refresh(ticket=ticket, now=T0 + timedelta(hours=7))
    timer = next(t for t in timers if t.metric == Metric.RESOLUTION)
    # counted: 09:00–09:30, 11:00–12:00, 15:00–16:00 = 2.5 h
    assert timer.elapsed_seconds == 2.5 * 3600
    assert timer.state == "running"
    assert timer.due_at == T0 + timedelta(hours=6) + timedelta(hours=4 - 1.5)


def test_priority_change_keeps_elapsed_time_and_switches_policy(always_policy):
    quick = SlaPolicy.objects.create(
        name="P1", rank=0, calendar=always_policy.calendar, match_priority=1
    )
    SlaTarget.objects.create(policy=quick, metric=Metric.RESOLUTION, minutes=60)
    policies_changed()
    operator = f.user()
    ticket = f.ticket(operator, impact=3, urgency=3)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=T0)
    TicketEvent.objects.filter(ticket=ticket).update(at=T0)
    ticket.refresh_from_db()
    services.ticket_update(actor=operator, ticket=ticket, changes={"impact": 1, "urgency": 1})
    assert ticket.priority == 1
    timer = next(
        t
        for t in sla_refresh(ticket=ticket, now=T0 + timedelta(minutes=45))
        if t.metric == Metric.RESOLUTION
    )
    assert timer.policy == quick
    assert timer.elapsed_seconds == 45 * 60  # the 45 minutes before the change still count
    assert timer.due_at == T0 + timedelta(hours=1)
    first_response = SlaTimer.objects.get(ticket=ticket, metric=Metric.FIRST_RESPONSE)
    assert first_response.state == "cancelled"  # the new policy has no such target


def test_resolution_stops_the_clock_and_reopening_resumes_it(always_policy):
    operator = f.user()
    ticket = f.ticket(operator)
    services.ticket_resolve(
        actor=operator, ticket=ticket, resolution_code="fixed", root_cause="unknown"
    )
    assert resolution(ticket).state == "met"
    services.ticket_reopen(actor=operator, ticket=ticket, reason="still down")
    assert resolution(ticket).state == "running"


def test_ola_runs_while_the_ticket_sits_with_the_noc(always_policy):
    noc_group = f.group(TierKind.SECOND_LINE)
    ola = SlaPolicy.objects.create(
        name="NOC OLA",
        kind=PolicyKind.OLA,
        rank=1,
        calendar=always_policy.calendar,
        receiving_group=noc_group,
    )
    SlaTarget.objects.create(policy=ola, metric=Metric.FIRST_RESPONSE, minutes=15)
    policies_changed()
    operator = f.user()
    noc = f.user(Role.NOC_ENGINEER, groups=[noc_group])
    ticket = f.ticket(operator)
    assert not SlaTimer.objects.filter(ticket=ticket, kind=PolicyKind.OLA).exists()
    services.ticket_escalate_functional(
        actor=operator, ticket=ticket, group=noc_group, reason="line test red"
    )
    ola_timer = SlaTimer.objects.get(ticket=ticket, kind=PolicyKind.OLA)
    assert ola_timer.group == noc_group
    assert ola_timer.state == "running"
    services.ticket_assign(actor=noc, ticket=ticket, assignee=noc)
    ola_timer.refresh_from_db()
    assert ola_timer.state == "met"


def _opened_five_hours_ago() -> Ticket:
    """An email ticket opened five hours ago, its timers computed: its first
    response and its resolution are both past due."""
    ticket = f.ticket(f.user(), channel="email")
    Ticket.objects.filter(pk=ticket.pk).update(created_at=timezone.now() - timedelta(hours=5))
    TicketEvent.objects.filter(ticket=ticket).update(at=timezone.now() - timedelta(hours=5))
    ticket.refresh_from_db()
    sla_refresh(ticket=ticket)
    return ticket


def test_breach_fires_once_even_if_the_worker_runs_twice(always_policy):
    ticket = _opened_five_hours_ago()
    fired = sla_fire_due()
    assert fired == 2  # first response and resolution both breached; warnings folded in
    assert sla_fire_due() == 0
    kinds = list(ticket.events.filter(kind__startswith="sla_").values_list("kind", flat=True))
    assert sorted(kinds) == ["sla_breached", "sla_breached"]


def test_the_claim_of_due_timers_joins_nothing(always_policy):
    # Joined to the policies, the claim made SQLite scan every timer of each
    # policy while it held the database's writer turn (0.1 s at a million).
    _opened_five_hours_ago()
    with CaptureQueriesContext(connection) as queries:
        assert sla_fire_due() == 2
    claim = next(q["sql"] for q in queries.captured_queries if 'FROM "sla_slatimer"' in q["sql"])
    assert "JOIN" not in claim


def test_warning_then_breach_each_fire_once(always_policy):
    operator = f.user()
    ticket = f.ticket(operator, channel="email")
    Ticket.objects.filter(pk=ticket.pk).update(created_at=T0)
    TicketEvent.objects.filter(ticket=ticket).update(at=T0)
    ticket.refresh_from_db()
    sla_refresh(ticket=ticket, now=T0)
    assert sla_fire_due(now=T0 + timedelta(minutes=25)) == 1  # first-response warning at 80 %
    assert sla_fire_due(now=T0 + timedelta(minutes=26)) == 0
    assert sla_fire_due(now=T0 + timedelta(minutes=31)) == 1  # its breach
    events = list(ticket.events.filter(kind__startswith="sla_").order_by("at"))
    assert [e.kind for e in events] == ["sla_warning", "sla_breached"]


def test_a_paused_ticket_does_not_breach(always_policy):
    operator = f.user()
    ticket = f.ticket(operator, channel="email")
    Ticket.objects.filter(pk=ticket.pk).update(created_at=T0)
    TicketEvent.objects.filter(ticket=ticket).update(at=T0)
    ticket.refresh_from_db()
    services.ticket_change_status(actor=operator, ticket=ticket, status="pending_customer")
    at(ticket, T0 + timedelta(minutes=10))
    sla_refresh(ticket=ticket, now=T0 + timedelta(minutes=10))
    assert sla_fire_due(now=T0 + timedelta(days=2)) == 0


def test_api_shows_each_timer_with_due_time_and_state(always_policy, client):
    operator = f.user()
    ticket = f.ticket(operator, channel="email")
    client.force_login(operator)
    timers = client.get(f"/api/v1/tickets/{ticket.reference}/sla").json()
    by_metric = {t["metric"]: t for t in timers}
    assert by_metric["resolution"]["state"] == "running"
    assert by_metric["resolution"]["target_seconds"] == 4 * 3600
    assert by_metric["first_response"]["policy"] == "Everything"


def test_bulk_recompute_gives_the_same_timers_as_one_by_one(always_policy):
    operator = f.user()
    tickets = [f.ticket(operator, channel="email") for _ in range(3)]
    services.ticket_change_status(actor=operator, ticket=tickets[0], status="pending_customer")
    services.ticket_resolve(
        actor=operator, ticket=tickets[1], resolution_code="fixed", root_cause="unknown"
    )
    now = timezone.now() + timedelta(hours=1)
    one_by_one = {
        (t.ticket_id, t.metric): (t.state, t.elapsed_seconds, t.due_at)
        for ticket in tickets
        for t in sla_refresh(ticket=ticket, now=now)
    }
    SlaTimer.objects.all().delete()
    assert sla_recompute_many(tickets=Ticket.objects.all(), now=now, batch=2).tickets == 3
    bulk = {
        (t.ticket_id, t.metric): (t.state, t.elapsed_seconds, t.due_at)
        for t in SlaTimer.objects.all()
    }
    assert bulk == one_by_one
