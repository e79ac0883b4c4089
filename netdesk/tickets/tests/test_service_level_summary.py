"""Each ticket carries a summary of its service-level clocks (next due time,
warning time, paused, breached), written with its timers; ok, warning and
breached follow from it and the time, so nothing is written as time passes."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from netdesk.accounts.models import TierKind
from netdesk.sla.models import (
    BusinessCalendar,
    Metric,
    PolicyKind,
    SlaPolicy,
    SlaTarget,
    SlaTimer,
)
from netdesk.sla.recompute import recompute_batch, sla_recompute_many
from netdesk.sla.selectors import policies_changed
from netdesk.sla.services import sla_refresh
from netdesk.tickets.models import Ticket
from netdesk.tickets.selectors import sla_state_of
from netdesk.tickets.services import (
    ticket_change_status,
    ticket_escalate_functional,
    ticket_resolve,
)
from tests import factories as f

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
SUMMARY = ("sla_next_due_at", "sla_warn_at", "sla_paused", "sla_breached")
fill_module = __import__(
    "netdesk.tickets.migrations.0011_fill_service_level_summary", fromlist=["fill_summaries"]
)


@pytest.fixture
def always_policy() -> SlaPolicy:
    """One 24×7 SLA: first response 30 min (warning at 80%), resolution 4 h."""
    SlaPolicy.objects.all().delete()
    calendar = BusinessCalendar.objects.create(name="summary 24×7", always_open=True)
    policy = SlaPolicy.objects.create(name="Everything", rank=1, calendar=calendar)
    SlaTarget.objects.create(policy=policy, metric=Metric.FIRST_RESPONSE, minutes=30)
    SlaTarget.objects.create(policy=policy, metric=Metric.RESOLUTION, minutes=240)
    policies_changed()
    return policy


def summary(ticket: Ticket) -> tuple[datetime | None, datetime | None, bool, bool]:
    due, warn, paused, breached = Ticket.objects.filter(pk=ticket.pk).values_list(*SUMMARY).get()
    return due, warn, bool(paused), bool(breached)


def state(ticket: Ticket, now: datetime) -> str:
    due, warn, paused, breached = summary(ticket)
    return sla_state_of(next_due_at=due, warn_at=warn, paused=paused, breached=breached, now=now)


def placed(ticket: Ticket, start: datetime) -> Ticket:
    """The ticket as if opened at `start`, its timers recomputed at that time."""
    Ticket.objects.filter(pk=ticket.pk).update(created_at=start)
    ticket.events.update(at=start)
    ticket = Ticket.objects.select_related("customer", "service").get(pk=ticket.pk)
    sla_refresh(ticket=ticket, now=start)
    return ticket


@pytest.mark.parametrize(
    ("due", "warn", "paused", "breached", "expected"),
    [
        (T0 + timedelta(minutes=30), T0 + timedelta(minutes=20), False, False, "ok"),
        (T0 + timedelta(minutes=30), T0 - timedelta(minutes=1), False, False, "warning"),
        (T0 - timedelta(seconds=1), T0 - timedelta(minutes=5), False, False, "breached"),
        (T0 + timedelta(hours=1), None, False, True, "breached"),
        (None, None, True, False, "paused"),
        (None, None, False, False, "none"),
        (None, None, True, True, "breached"),
    ],
)
def test_sla_state_of_each_state(due, warn, paused, breached, expected):
    assert (
        sla_state_of(next_due_at=due, warn_at=warn, paused=paused, breached=breached, now=T0)
        == expected
    )


def test_a_new_ticket_is_due_at_its_first_response_and_turns_amber_then_red(always_policy):
    ticket = placed(f.ticket(f.user(), channel="email"), T0)

    assert summary(ticket) == (
        T0 + timedelta(minutes=30),
        T0 + timedelta(minutes=24),
        False,
        False,
    )
    # Time passes; nothing is written, the state moves on.
    with CaptureQueriesContext(connection) as queries:
        assert state(ticket, T0 + timedelta(minutes=10)) == "ok"
        assert state(ticket, T0 + timedelta(minutes=25)) == "warning"
        assert state(ticket, T0 + timedelta(minutes=31)) == "breached"
    assert not [q for q in queries.captured_queries if "UPDATE" in q["sql"]]


def test_after_the_first_response_the_resolution_is_next(always_policy):
    ticket = placed(f.ticket(f.user(), channel="email"), T0)
    Ticket.objects.filter(pk=ticket.pk).update(first_response_at=T0 + timedelta(minutes=5))
    ticket.refresh_from_db()

    sla_refresh(ticket=ticket, now=T0 + timedelta(minutes=6))

    due, warn, paused, breached = summary(ticket)
    assert due == T0 + timedelta(hours=4)
    assert warn == T0 + timedelta(minutes=192)  # 80% of 4 h
    assert (paused, breached) == (False, False)


def test_an_ola_due_sooner_than_the_sla_comes_first(always_policy):
    noc = f.group(TierKind.SECOND_LINE)
    ola = SlaPolicy.objects.create(
        name="NOC takes it on",
        kind=PolicyKind.OLA,
        rank=1,
        calendar=always_policy.calendar,
        receiving_group=noc,
    )
    SlaTarget.objects.create(policy=ola, metric=Metric.FIRST_RESPONSE, minutes=15)
    policies_changed()
    operator = f.user()
    ticket = f.ticket(operator, channel="email")
    Ticket.objects.filter(pk=ticket.pk).update(first_response_at=ticket.created_at)
    ticket.refresh_from_db()

    ticket_escalate_functional(actor=operator, ticket=ticket, group=noc, reason="Line down")

    ola_timer = SlaTimer.objects.get(ticket=ticket, kind=PolicyKind.OLA)
    resolution = SlaTimer.objects.get(ticket=ticket, kind=PolicyKind.SLA, metric=Metric.RESOLUTION)
    assert ola_timer.due_at is not None
    assert resolution.due_at is not None
    assert ola_timer.due_at == ola_timer.started_at + timedelta(minutes=15)
    assert ola_timer.due_at < resolution.due_at
    assert summary(ticket)[0] == ola_timer.due_at


def test_pending_customer_pauses_and_resolving_leaves_no_running_target(always_policy):
    operator = f.user()
    ticket = f.ticket(operator, channel="email")

    ticket_change_status(actor=operator, ticket=ticket, status="pending_customer")
    assert summary(ticket) == (None, None, True, False)
    assert state(ticket, timezone.now()) == "paused"

    ticket_change_status(actor=operator, ticket=ticket, status="in_progress")
    ticket_resolve(actor=operator, ticket=ticket, resolution_code="fixed", root_cause="hardware")
    assert summary(ticket) == (None, None, False, False)
    assert state(ticket, timezone.now()) == "none"


def test_a_target_met_late_stays_breached_after_resolution(always_policy):
    operator = f.user()
    ticket = placed(f.ticket(operator, channel="email"), timezone.now() - timedelta(hours=5))
    ticket_resolve(actor=operator, ticket=ticket, resolution_code="fixed", root_cause="hardware")

    due, _, paused, breached = summary(ticket)
    assert (due, paused, breached) == (None, False, True)
    assert state(ticket, timezone.now()) == "breached"


def test_recompute_batch_writes_only_summaries_that_changed(always_policy):
    operator = f.user()
    tickets = [placed(f.ticket(operator, channel="email"), T0) for _ in range(3)]
    right = [summary(t) for t in tickets]
    Ticket.objects.filter(pk=tickets[1].pk).update(
        sla_next_due_at=None, sla_warn_at=None, sla_breached=True
    )

    with CaptureQueriesContext(connection) as first:
        recompute_batch([t.pk for t in tickets], T0 + timedelta(minutes=1))
    assert [summary(t) for t in tickets] == right
    ticket_table = Ticket._meta.db_table
    updates = [q["sql"] for q in first.captured_queries if "UPDATE" in q["sql"]]
    assert any(ticket_table in sql for sql in updates)

    with CaptureQueriesContext(connection) as again:
        recompute_batch([t.pk for t in tickets], T0 + timedelta(minutes=2))
    assert not [
        q for q in again.captured_queries if "UPDATE" in q["sql"] and ticket_table in q["sql"]
    ]


def test_a_policy_change_recomputes_the_summaries(always_policy):
    operator = f.user()
    ticket = placed(f.ticket(operator, channel="email"), T0)
    SlaTarget.objects.filter(metric=Metric.FIRST_RESPONSE).update(minutes=60)
    policies_changed()

    sla_recompute_many(tickets=Ticket.objects.all(), now=T0 + timedelta(minutes=1))

    assert summary(ticket)[0] == T0 + timedelta(minutes=60)


def test_the_migration_fills_the_summary_from_the_timers(always_policy):
    operator = f.user()
    running = placed(f.ticket(operator, channel="email"), T0)
    paused = f.ticket(operator, channel="email")
    ticket_change_status(actor=operator, ticket=paused, status="pending_customer")
    late = placed(f.ticket(operator, channel="email"), timezone.now() - timedelta(hours=5))
    ticket_resolve(actor=operator, ticket=late, resolution_code="fixed", root_cause="hardware")
    expected = {t.pk: summary(t) for t in (running, paused, late)}
    Ticket.objects.update(
        sla_next_due_at=None, sla_warn_at=None, sla_paused=False, sla_breached=False
    )

    # The migration only reads the editor's connection.
    fill_module.fill_summaries(apps, SimpleNamespace(connection=connection))

    assert {t.pk: summary(t) for t in (running, paused, late)} == expected
    assert expected[running.pk][0] == T0 + timedelta(minutes=30)
    assert expected[paused.pk][2] is True
    assert expected[late.pk][3] is True
