"""The recurring "next update" target, live figures between recomputes, and
recomputation that leaves unchanged timers alone."""

from datetime import timedelta

import pytest
from django.utils import timezone

from netdesk.sla.models import BusinessCalendar, Metric, SlaPolicy, SlaTarget, SlaTimer
from netdesk.sla.recompute import sla_recompute_many
from netdesk.sla.selectors import policies_changed, timer_now
from netdesk.sla.services import sla_refresh
from netdesk.tickets import services
from netdesk.tickets.models import Ticket, TicketEvent
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def updates_policy():
    """24×7: first response 30 min, resolution 8 h, an update every hour."""
    SlaPolicy.objects.all().delete()
    calendar = BusinessCalendar.objects.create(name="test 24×7", always_open=True)
    policy = SlaPolicy.objects.create(name="Hourly updates", rank=1, calendar=calendar)
    SlaTarget.objects.create(policy=policy, metric=Metric.FIRST_RESPONSE, minutes=30)
    SlaTarget.objects.create(policy=policy, metric=Metric.RESOLUTION, minutes=480)
    SlaTarget.objects.create(policy=policy, metric=Metric.NEXT_UPDATE, minutes=60)
    policies_changed()
    return policy


def update_timers(ticket: Ticket) -> list[SlaTimer]:
    return list(
        SlaTimer.objects.filter(ticket=ticket, metric=Metric.NEXT_UPDATE)
        .exclude(state="cancelled")  # intervals of the times before the test moved them
        .order_by("started_at")
    )


def reply(operator, ticket: Ticket, minutes_ago: float) -> None:
    """A reply to the customer, placed `minutes_ago` in the past."""
    services.comment_add(actor=operator, ticket=ticket, body="Update", visibility="public")
    when = timezone.now() - timedelta(minutes=minutes_ago)
    latest = TicketEvent.objects.filter(ticket=ticket).order_by("-id").first()
    assert latest is not None
    TicketEvent.objects.filter(pk=latest.pk).update(at=when)
    if ticket.first_response_at is not None and ticket.first_response_at > when:
        Ticket.objects.filter(pk=ticket.pk).update(first_response_at=when)
    ticket.refresh_from_db()


def test_no_update_timer_before_the_first_response(updates_policy):
    ticket = f.ticket(f.user(), channel="email")
    assert update_timers(ticket) == []


def test_each_update_starts_a_new_interval_and_the_last_one_runs(updates_policy):
    operator = f.user()
    ticket = f.ticket(operator, channel="email")
    created = timezone.now() - timedelta(hours=4)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=created)
    TicketEvent.objects.filter(ticket=ticket).update(at=created)
    ticket.refresh_from_db()
    reply(operator, ticket, minutes_ago=220)  # first response
    reply(operator, ticket, minutes_ago=170)  # 50 min later: in time
    reply(operator, ticket, minutes_ago=40)  # 130 min later: late
    now = timezone.now()
    sla_refresh(ticket=ticket, now=now)

    timers = update_timers(ticket)
    assert [t.state for t in timers] == ["met", "breached", "running"]
    first, late, current = timers
    assert first.elapsed_seconds == pytest.approx(50 * 60, abs=1)
    assert late.breached_at == late.started_at + timedelta(hours=1)
    assert current.due_at == current.started_at + timedelta(hours=1)
    # Half an hour on, the running interval is 70 minutes old: breached as
    # agents read it, though nothing has recomputed or fired it yet.
    assert timer_now(current, now + timedelta(minutes=30)).state == "breached"


def test_resolving_stops_the_running_interval(updates_policy):
    operator = f.user()
    ticket = f.ticket(operator, channel="email")
    reply(operator, ticket, minutes_ago=0)
    services.ticket_resolve(
        actor=operator, ticket=ticket, resolution_code="fixed", root_cause="unknown"
    )
    [timer] = update_timers(ticket)
    assert timer.state == "met"
    assert timer.stopped_at == Ticket.objects.get(pk=ticket.pk).resolved_at


def test_running_timer_figures_move_on_between_recomputes(updates_policy):
    ticket = f.ticket(f.user(), channel="email")
    timer = SlaTimer.objects.get(ticket=ticket, metric=Metric.RESOLUTION)
    later = timer.computed_at + timedelta(minutes=30)
    figures = timer_now(timer, later)
    assert figures.elapsed_seconds == pytest.approx(timer.elapsed_seconds + 1800)
    assert figures.remaining_seconds == pytest.approx(480 * 60 - figures.elapsed_seconds)
    assert figures.state == "running"
    response = SlaTimer.objects.get(ticket=ticket, metric=Metric.FIRST_RESPONSE)
    assert timer_now(response, response.computed_at + timedelta(minutes=25)).state == "warning"


def test_a_recompute_that_changes_nothing_writes_nothing(updates_policy):
    ticket = f.ticket(f.user(), channel="email")
    before = {t.pk: t.computed_at for t in SlaTimer.objects.filter(ticket=ticket)}
    later = timezone.now() + timedelta(minutes=10)
    sla_refresh(ticket=ticket, now=later)
    sla_recompute_many(tickets=Ticket.objects.filter(pk=ticket.pk), now=later)
    after = {t.pk: t.computed_at for t in SlaTimer.objects.filter(ticket=ticket)}
    assert after == before
    # A policy change does rewrite them.
    SlaTarget.objects.filter(metric=Metric.RESOLUTION).update(minutes=240)
    policies_changed()
    sla_recompute_many(tickets=Ticket.objects.filter(pk=ticket.pk), now=later)
    resolution = SlaTimer.objects.get(ticket=ticket, metric=Metric.RESOLUTION)
    assert resolution.computed_at == later
    assert resolution.due_at == ticket.created_at + timedelta(hours=4)
