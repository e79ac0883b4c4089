"""The escalation matrix: rules fire once at their share of the target, in
the recipient's working hours, and their actions are timeline events."""

from datetime import UTC, datetime, time, timedelta

import pytest

from netdesk.accounts.models import Role, TierKind
from netdesk.sla.firing import sla_fire_due
from netdesk.sla.models import (
    BusinessCalendar,
    EscalationNotice,
    EscalationRule,
    Metric,
    RecipientHours,
    SlaPolicy,
    SlaTarget,
    WorkingHours,
)
from netdesk.sla.selectors import policies_changed
from netdesk.sla.services import sla_refresh
from netdesk.tickets import services
from netdesk.tickets.models import Ticket, TicketEvent
from tests import factories as f

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def policy():
    SlaPolicy.objects.all().delete()
    calendar = BusinessCalendar.objects.create(name="always", always_open=True)
    made = SlaPolicy.objects.create(
        name="Everything", rank=1, calendar=calendar, warn_at_percent=80
    )
    SlaTarget.objects.create(policy=made, metric=Metric.RESOLUTION, minutes=100)
    return made


def rule(**fields):
    made = EscalationRule.objects.create(**{"name": "rule", "metric": Metric.RESOLUTION, **fields})
    policies_changed()
    return made


def ticket_at(operator, start=T0, **extra):
    ticket = f.ticket(operator, channel="email", **extra)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=start)
    TicketEvent.objects.filter(ticket=ticket).update(at=start)
    ticket.refresh_from_db()
    sla_refresh(ticket=ticket, now=start)
    return ticket


def test_notify_team_lead_at_half_time_once(policy):
    lead = f.user(Role.TEAM_LEAD)
    hotline = f.group()
    hotline.supervisor = lead
    hotline.save()
    rule(at_percent=50, action="notify", notify="team_lead", ignore_working_hours=True)
    ticket = ticket_at(f.user())
    assert sla_fire_due(now=T0 + timedelta(minutes=49)) == 0
    assert sla_fire_due(now=T0 + timedelta(minutes=51)) == 1
    assert sla_fire_due(now=T0 + timedelta(minutes=52)) == 0
    notice = EscalationNotice.objects.get()
    assert notice.recipient == lead
    assert notice.ticket == ticket
    assert "at 50%" in notice.subject
    event = ticket.events.get(kind="sla_escalation")
    assert "notified" in event.message


def test_notice_waits_for_the_recipients_working_hours(policy):
    manager = f.user(Role.SERVICE_DESK_MANAGER)
    office = BusinessCalendar.objects.create(name="office")
    for day in range(5):
        WorkingHours.objects.create(calendar=office, weekday=day, opens=time(8), closes=time(17))
    RecipientHours.objects.create(user=manager, calendar=office)
    rule(at_percent=100, action="notify", notify="manager")
    evening = datetime(2026, 5, 8, 20, 0, tzinfo=UTC)  # Friday 20:00
    ticket_at(f.user(), start=evening)
    sla_fire_due(now=evening + timedelta(minutes=101))
    notice = EscalationNotice.objects.get(recipient=manager)
    assert notice.deliver_after == datetime(2026, 5, 11, 8, 0, tzinfo=UTC)  # Monday 08:00


def test_breach_reassigns_to_the_next_tier_and_raises_the_level(policy):
    rule(at_percent=100, action="reassign")
    rule(at_percent=120, action="hierarchical")
    ticket = ticket_at(f.user())
    noc = f.group(TierKind.SECOND_LINE)
    sla_fire_due(now=T0 + timedelta(minutes=101))
    ticket.refresh_from_db()
    assert ticket.group == noc
    assert ticket.events.filter(kind="escalated_functional", actor__isnull=True).count() == 1
    sla_fire_due(now=T0 + timedelta(minutes=125))
    ticket.refresh_from_db()
    assert ticket.hierarchical_level == 1
    reasons = list(ticket.events.filter(kind="sla_escalation").values_list("message", flat=True))
    assert len(reasons) == 2
    assert all("Everything" in r for r in reasons)


def test_raise_priority_and_rules_skip_paused_and_stopped_tickets(policy):
    rule(at_percent=50, action="raise_priority")
    operator = f.user()
    ticket = ticket_at(operator, impact=3, urgency=3)
    assert ticket.priority == 5
    sla_fire_due(now=T0 + timedelta(minutes=51))
    ticket.refresh_from_db()
    assert ticket.priority == 4
    resolved = ticket_at(operator)
    services.ticket_resolve(
        actor=operator, ticket=resolved, resolution_code="fixed", root_cause="unknown"
    )
    before = TicketEvent.objects.filter(ticket=resolved, kind="sla_escalation").count()
    sla_fire_due(now=datetime.now(UTC) + timedelta(days=1))
    assert TicketEvent.objects.filter(ticket=resolved, kind="sla_escalation").count() == before


def test_deescalation_is_recorded(policy):
    lead = f.user(Role.TEAM_LEAD)
    ticket = f.ticket(lead)
    services.ticket_escalate_hierarchical(actor=lead, ticket=ticket, reason="VIP")
    services.ticket_deescalate_hierarchical(actor=lead, ticket=ticket, reason="Customer calmed")
    assert ticket.hierarchical_level == 0
    assert ticket.events.filter(kind="deescalated", message="Customer calmed").exists()
