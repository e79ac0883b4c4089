"""A bulk recompute skips the tickets whose inputs did not change since
their figures were computed, and recomputes every ticket whose inputs did:
the ticket itself, its customer, the policies, the calendar, or the time
(a running clock falling due)."""

from datetime import UTC, date, datetime, time, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from netdesk.customers.models import Segment
from netdesk.sla.models import (
    BusinessCalendar,
    EscalationAction,
    EscalationRule,
    Holiday,
    Metric,
    NotifyWhom,
    PolicyKind,
    SlaPolicy,
    SlaTarget,
    SlaTimer,
    WorkingHours,
)
from netdesk.sla.recompute import recompute_batch, sla_recompute_many
from netdesk.sla.selectors import policies_changed
from netdesk.tickets.models import Ticket
from netdesk.tickets.services import ticket_update
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def office() -> BusinessCalendar:
    """Mondays to Fridays, 08:00 to 18:00 UTC; a standard SLA on it, and a
    stricter one for key accounts."""
    SlaPolicy.objects.all().delete()
    calendar = BusinessCalendar.objects.create(name="skipping office")
    for weekday in range(5):
        WorkingHours.objects.create(
            calendar=calendar, weekday=weekday, opens=time(8), closes=time(18)
        )
    key = SlaPolicy.objects.create(
        name="Key accounts", rank=1, calendar=calendar, match_segment=Segment.KEY_ACCOUNT
    )
    SlaTarget.objects.create(policy=key, metric=Metric.RESOLUTION, minutes=120)
    standard = SlaPolicy.objects.create(name="Standard", rank=2, calendar=calendar)
    SlaTarget.objects.create(policy=standard, metric=Metric.FIRST_RESPONSE, minutes=60)
    SlaTarget.objects.create(policy=standard, metric=Metric.RESOLUTION, minutes=8 * 60)
    policies_changed()
    return calendar


def recompute(**options: object) -> tuple[int, int]:
    done = sla_recompute_many(tickets=Ticket.objects.all(), **options)  # type: ignore[arg-type]
    return done.tickets, done.recomputed


def resolution_due(ticket: Ticket) -> datetime:
    due = SlaTimer.objects.get(ticket=ticket, metric=Metric.RESOLUTION).due_at
    assert due is not None
    return due


def escalation_at(ticket: Ticket) -> datetime | None:
    return SlaTimer.objects.get(ticket=ticket, metric=Metric.RESOLUTION).next_escalation_at


def writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))
    ]


def test_a_second_recompute_skips_every_unchanged_ticket(office):
    operator = f.user()
    for _ in range(4):
        f.ticket(operator, channel="email")
    # Computed one by one as they were created, but never by a bulk
    # recompute: no fingerprint yet, so every ticket is computed.
    assert recompute() == (4, 4)
    assert Ticket.objects.filter(sla_inputs__isnull=True).count() == 0

    with CaptureQueriesContext(connection) as queries:
        assert recompute() == (4, 0)
    assert writes(queries) == []


def test_a_priority_change_through_the_service_is_recomputed(office):
    operator = f.user()
    tickets = [f.ticket(operator, channel="email", impact=3, urgency=3) for _ in range(3)]
    recompute()

    ticket_update(actor=operator, ticket=tickets[1], changes={"impact": 1, "urgency": 1})

    assert recompute() == (3, 1)
    assert recompute() == (3, 0)


def test_a_ticket_changed_behind_the_services_back_is_recomputed(office):
    # The fingerprint is taken of the facts themselves: a change that
    # skipped the services (an import, a script) is found too.
    tickets = [f.ticket(f.user(), channel="email") for _ in range(3)]
    recompute()
    stored = Ticket.objects.get(pk=tickets[0].pk).sla_inputs

    Ticket.objects.filter(pk=tickets[0].pk).update(created_at=timezone.now() - timedelta(days=3))

    assert recompute() == (3, 1)
    assert Ticket.objects.get(pk=tickets[0].pk).sla_inputs != stored


def test_a_new_timeline_event_is_recomputed(office):
    operator = f.user()
    tickets = [f.ticket(operator, channel="email") for _ in range(2)]
    recompute()
    # Written straight into the timeline (so no recompute ran): the sum of
    # the ticket's event ids moved.
    tickets[1].events.create(
        at=timezone.now(), kind="status_changed", field="status", old_value="new", new_value="new"
    )

    assert recompute() == (2, 1)


def test_a_customer_becoming_a_key_account_is_recomputed(office):
    customer = f.customer()
    ticket = f.ticket(f.user(), customer, channel="email")
    f.ticket(f.user(), channel="email")
    recompute()
    assert SlaTimer.objects.get(ticket=ticket, metric=Metric.RESOLUTION).target_seconds == 8 * 3600

    # No ticket event: only the customer row changed.
    type(customer).objects.filter(pk=customer.pk).update(segment=Segment.KEY_ACCOUNT)

    assert recompute() == (2, 1)
    assert SlaTimer.objects.get(ticket=ticket, metric=Metric.RESOLUTION).target_seconds == 2 * 3600


def test_a_policy_change_recomputes_every_ticket(office):
    tickets = [f.ticket(f.user(), channel="email") for _ in range(3)]
    recompute()
    before = resolution_due(tickets[0])

    SlaTarget.objects.filter(policy__name="Standard", metric=Metric.RESOLUTION).update(
        minutes=9 * 60
    )
    policies_changed()

    assert recompute() == (3, 3)
    assert resolution_due(tickets[0]) != before
    assert recompute() == (3, 0)


def test_a_change_to_one_sla_policy_recomputes_only_its_tickets(office):
    key_account = f.customer(Segment.KEY_ACCOUNT)
    key_ticket = f.ticket(f.user(), key_account, channel="email")
    standard = [f.ticket(f.user(), channel="email") for _ in range(2)]
    recompute()
    standard_due = resolution_due(standard[0])

    SlaTarget.objects.filter(policy__name="Key accounts").update(minutes=180)
    policies_changed()

    assert recompute() == (3, 1)
    timer = SlaTimer.objects.get(ticket=key_ticket, metric=Metric.RESOLUTION)
    assert timer.target_seconds == 3 * 3600
    assert resolution_due(standard[0]) == standard_due
    assert recompute() == (3, 0)


def test_a_site_served_as_a_key_account_follows_the_key_accounts_policy(office):
    """A site of a key account is a business customer served as a key
    account: it must not share the lookup of a plain business customer."""
    account = f.customer(Segment.KEY_ACCOUNT)
    plain = f.ticket(f.user(), f.customer(Segment.BUSINESS), channel="email")
    site = f.ticket(f.user(), f.customer(Segment.BUSINESS, parent_account=account), channel="email")
    recompute()

    SlaTarget.objects.filter(policy__name="Key accounts").update(minutes=180)
    policies_changed()

    assert recompute() == (2, 1)
    assert SlaTimer.objects.get(ticket=site, metric=Metric.RESOLUTION).target_seconds == 3 * 3600
    assert SlaTimer.objects.get(ticket=plain, metric=Metric.RESOLUTION).target_seconds == 8 * 3600


def test_a_new_sla_policy_recomputes_the_tickets_it_takes(office):
    urgent = f.ticket(f.user(), channel="email", impact=1, urgency=1)
    others = [f.ticket(f.user(), channel="email", impact=3, urgency=3) for _ in range(2)]
    assert urgent.priority != others[0].priority
    recompute()

    calendar = BusinessCalendar.objects.create(name="round the clock")
    for weekday in range(7):
        WorkingHours.objects.create(
            calendar=calendar, weekday=weekday, opens=time(0), closes=time(23, 59)
        )
    critical = SlaPolicy.objects.create(
        name="Critical", rank=0, calendar=calendar, match_priority=urgent.priority
    )
    SlaTarget.objects.create(policy=critical, metric=Metric.RESOLUTION, minutes=30)
    policies_changed()

    assert recompute() == (3, 1)
    timer = SlaTimer.objects.get(ticket=urgent, metric=Metric.RESOLUTION, state="running")
    assert (timer.policy_id, timer.target_seconds) == (critical.pk, 30 * 60)


def test_an_ola_or_an_escalation_rule_for_all_changed_recomputes_every_ticket(office):
    key_account = f.customer(Segment.KEY_ACCOUNT)
    f.ticket(f.user(), key_account, channel="email")
    f.ticket(f.user(), channel="email")
    recompute()

    ola = SlaPolicy.objects.create(
        name="Field OLA",
        kind=PolicyKind.OLA,
        rank=1,
        calendar=office,
        receiving_group=f.group(),
    )
    SlaTarget.objects.create(policy=ola, metric=Metric.RESOLUTION, minutes=240)
    policies_changed()
    assert recompute() == (2, 2)

    EscalationRule.objects.create(
        name="Tell the lead",
        at_percent=80,
        action=EscalationAction.NOTIFY,
        notify=NotifyWhom.TEAM_LEAD,
    )
    policies_changed()
    assert recompute() == (2, 2)
    assert recompute() == (2, 0)


def test_a_rule_recomputes_only_the_tickets_it_can_apply_to(office):
    key_account = f.customer(Segment.KEY_ACCOUNT)
    key_urgent = f.ticket(f.user(), key_account, channel="email", impact=1, urgency=1)
    key_later = f.ticket(f.user(), key_account, channel="email", impact=3, urgency=3)
    urgent = f.ticket(f.user(), channel="email", impact=1, urgency=1)
    assert key_urgent.priority == urgent.priority != key_later.priority
    recompute()

    # Key accounts' tickets of one priority: one ticket of three.
    rule = EscalationRule.objects.create(
        name="Key account urgent",
        at_percent=50,
        action=EscalationAction.NOTIFY,
        notify=NotifyWhom.TEAM_LEAD,
        match_priority=key_urgent.priority,
        match_segment=Segment.KEY_ACCOUNT,
    )
    policies_changed()
    assert recompute() == (3, 1)
    at_half = escalation_at(key_urgent)
    assert at_half is not None
    assert escalation_at(urgent) is None
    assert recompute() == (3, 0)

    # Edited: the same ticket again, and its figures follow.
    EscalationRule.objects.filter(pk=rule.pk).update(at_percent=75)
    policies_changed()
    assert recompute() == (3, 1)
    at_three_quarters = escalation_at(key_urgent)
    assert at_three_quarters is not None
    assert at_three_quarters > at_half

    # A rule of the Standard policy: the one ticket that policy serves.
    EscalationRule.objects.create(
        name="Standard breach",
        at_percent=100,
        action=EscalationAction.NOTIFY,
        notify=NotifyWhom.TEAM_LEAD,
        policy=SlaPolicy.objects.get(name="Standard"),
    )
    policies_changed()
    assert recompute() == (3, 1)
    assert recompute() == (3, 0)

    # Removed: again only the ticket it applied to.
    EscalationRule.objects.filter(pk=rule.pk).delete()
    policies_changed()
    assert recompute() == (3, 1)
    assert escalation_at(key_urgent) is None


def test_a_rule_of_an_ola_recomputes_every_ticket_it_may_apply_to(office):
    """Which OLA timers a ticket has depends on its timeline, not read when
    deciding what to recompute: a rule of any OLA counts for every ticket."""
    group = f.group()
    ola = SlaPolicy.objects.create(
        name="Field OLA", kind=PolicyKind.OLA, rank=1, calendar=office, receiving_group=group
    )
    SlaTarget.objects.create(policy=ola, metric=Metric.RESOLUTION, minutes=240)
    policies_changed()
    tickets = [f.ticket(f.user(), channel="email") for _ in range(2)]
    Ticket.objects.filter(pk=tickets[0].pk).update(group=group)
    recompute()

    EscalationRule.objects.create(
        name="OLA half",
        at_percent=50,
        action=EscalationAction.NOTIFY,
        notify=NotifyWhom.TEAM_LEAD,
        policy=ola,
    )
    policies_changed()
    assert recompute() == (2, 2)
    assert recompute() == (2, 0)


def test_a_holiday_recomputes_every_ticket_and_moves_due_times(office):
    tickets = [f.ticket(f.user(), channel="email") for _ in range(2)]
    recompute()
    before = resolution_due(tickets[0])

    # Every day of the next fortnight a holiday: the resolution falls due later.
    today = timezone.now().date()
    for offset in range(14):
        day: date = today + timedelta(days=offset)
        Holiday.objects.create(calendar=office, date=day, name=f"Closed {offset}")
    policies_changed()

    assert recompute() == (2, 2)
    assert resolution_due(tickets[0]) > before


def test_working_hours_changed_recompute_every_ticket(office):
    for _ in range(2):
        f.ticket(f.user(), channel="email")
    recompute()

    WorkingHours.objects.filter(calendar=office).update(closes=time(17))
    policies_changed()

    assert recompute() == (2, 2)


def test_a_running_clock_falling_due_is_recomputed_once(office):
    ticket = f.ticket(f.user(), channel="email")
    now = timezone.now()
    recompute(now=now)
    stable = Ticket.objects.get(pk=ticket.pk).sla_stable_until
    assert stable is not None
    first_response = SlaTimer.objects.get(ticket=ticket, metric=Metric.FIRST_RESPONSE)
    assert stable == first_response.due_at
    assert recompute(now=now + timedelta(minutes=1)) == (1, 0)

    # Once the first response falls due the stored figures would change
    # (the clock turns breached), though no input did.
    later = stable + timedelta(seconds=1)
    assert recompute(now=later) == (1, 1)
    first_response.refresh_from_db()
    assert first_response.state == "breached"
    assert first_response.breached_at == stable
    # Next: when the resolution falls due.
    assert Ticket.objects.get(pk=ticket.pk).sla_stable_until == resolution_due(ticket)
    assert recompute(now=later) == (1, 0)


def test_force_recomputes_every_ticket(office):
    for _ in range(3):
        f.ticket(f.user(), channel="email")
    recompute()
    SlaTimer.objects.all().delete()

    assert recompute() == (3, 0)  # deleting timers is no change to the inputs
    assert recompute(force=True) == (3, 3)
    assert SlaTimer.objects.count() == 6


def test_the_command_says_how_many_it_recomputed_and_forces(office):
    for _ in range(2):
        f.ticket(f.user(), channel="email")
    out = StringIO()
    call_command("sla", "-v", "0", "recompute", "--processes", "1", stdout=out)
    assert "Went through 2 tickets" in out.getvalue()
    assert "recomputed 2 whose inputs had changed" in out.getvalue()

    out = StringIO()
    call_command("sla", "-v", "0", "recompute", "--processes", "1", stdout=out)
    assert "recomputed 0 whose" in out.getvalue()

    out = StringIO()
    call_command("sla", "-v", "0", "recompute", "--processes", "1", "--force", stdout=out)
    assert "recomputed 2 whose" in out.getvalue()


def batch_queries(count: int, *, force: bool) -> int:
    ids = [f.ticket(f.user(), channel="email").pk for _ in range(count)]
    recompute_batch(ids, timezone.now())
    with CaptureQueriesContext(connection) as queries:
        recompute_batch(ids, timezone.now(), force=force)
    return len(queries.captured_queries)


def test_an_unchanged_batch_is_one_query_however_many_tickets(office):
    one = batch_queries(1, force=False)
    Ticket.objects.all().delete()
    many = batch_queries(12, force=False)
    # Whether the kept policies are current, then the tickets.
    assert one == many == 2


def test_a_recomputed_batch_takes_the_same_queries_for_one_ticket_or_many(office):
    one = batch_queries(1, force=True)
    Ticket.objects.all().delete()
    many = batch_queries(12, force=True)
    # The policies' version, the tickets, their timers and their histories;
    # nothing moved, so nothing is written.
    assert one == many == 4


def test_a_clock_due_at_closing_time_waits_for_the_calendar_to_open(office):
    # Friday 17:00 UTC: the first response (60 business minutes) is due at
    # 18:00, when the office closes; over the weekend the clock has used
    # exactly its target, so it only breaks it on Monday at 08:00.
    friday = datetime(2026, 5, 8, 17, 0, tzinfo=UTC)
    ticket = f.ticket(f.user(), channel="email")
    Ticket.objects.filter(pk=ticket.pk).update(created_at=friday)
    ticket.events.update(at=friday)
    saturday = friday + timedelta(hours=17)

    assert recompute(now=saturday) == (1, 1)
    # (The timers of the ticket's first placing are cancelled.)
    first_response = SlaTimer.objects.exclude(state="cancelled").get(
        ticket=ticket, metric=Metric.FIRST_RESPONSE
    )
    assert (first_response.state, first_response.due_at) == ("running", friday + timedelta(hours=1))
    monday = datetime(2026, 5, 11, 8, 0, tzinfo=UTC)
    assert Ticket.objects.get(pk=ticket.pk).sla_stable_until == monday
    # Not recomputed again and again over the weekend.
    assert recompute(now=saturday + timedelta(hours=20)) == (1, 0)

    assert recompute(now=monday + timedelta(minutes=1)) == (1, 1)
    first_response.refresh_from_db()
    assert first_response.state == "breached"
