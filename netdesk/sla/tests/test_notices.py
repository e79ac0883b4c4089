"""Escalation notices leave through the desk's one outbound queue: a notice
the escalation matrix writes becomes a service-level mail due at the
notice's delivery time, and the notice is delivered once a real SMTP server
on 127.0.0.1 takes it."""

from datetime import UTC, datetime, time, timedelta

import pytest

from netdesk.accounts.models import Role
from netdesk.channels.models import OutboundKind, OutboundMessage, OutboundState
from netdesk.channels.services.delivery import NO_SERVER, outbound_deliver_due
from netdesk.channels.services.outbound import NO_ADDRESS
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
from netdesk.tickets.models import Ticket, TicketEvent
from tests import factories as f
from tests.mailservers import free_port

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)  # a Monday
FIRED_AT = T0 + timedelta(minutes=51)


@pytest.fixture
def lead():
    """A team lead notified at half time, whatever the hour."""
    SlaPolicy.objects.all().delete()
    calendar = BusinessCalendar.objects.create(name="always", always_open=True)
    policy = SlaPolicy.objects.create(name="All", rank=1, calendar=calendar)
    SlaTarget.objects.create(policy=policy, metric=Metric.RESOLUTION, minutes=100)
    EscalationRule.objects.create(
        name="half time",
        metric=Metric.RESOLUTION,
        at_percent=50,
        action="notify",
        notify="team_lead",
        ignore_working_hours=True,
    )
    policies_changed()
    person = f.user(Role.TEAM_LEAD, email="lead@example.net")
    hotline = f.group()
    hotline.supervisor = person
    hotline.save()
    return person


def ticket_at(start: datetime) -> Ticket:
    ticket = f.ticket(f.user())
    Ticket.objects.filter(pk=ticket.pk).update(created_at=start)
    TicketEvent.objects.filter(ticket=ticket).update(at=start)
    ticket.refresh_from_db()
    sla_refresh(ticket=ticket, now=start)
    return ticket


def fired_notice() -> EscalationNotice:
    ticket_at(T0)
    assert sla_fire_due(now=FIRED_AT) == 1
    return EscalationNotice.objects.get()


def test_a_fired_notice_is_queued_as_a_service_level_mail(lead):
    notice = fired_notice()
    row = OutboundMessage.objects.get()
    assert row.kind == OutboundKind.SLA_NOTICE
    assert row.escalation_notice == notice
    assert row.to_addresses == "lead@example.net"
    assert row.subject == notice.subject
    assert notice.body in row.body
    assert row.automatic
    assert row.next_attempt_at == notice.deliver_after == FIRED_AT
    # Staff notices stand alone, outside the customer's thread.
    assert row.in_reply_to == row.references == ""


def test_the_mail_waits_for_the_recipients_working_hours(lead):
    office = BusinessCalendar.objects.create(name="office")
    for day in range(5):
        WorkingHours.objects.create(calendar=office, weekday=day, opens=time(8), closes=time(17))
    RecipientHours.objects.create(user=lead, calendar=office)
    EscalationRule.objects.update(ignore_working_hours=False)
    policies_changed()
    evening = datetime(2026, 5, 8, 20, 0, tzinfo=UTC)  # Friday 20:00
    ticket_at(evening)
    sla_fire_due(now=evening + timedelta(minutes=51))
    monday = datetime(2026, 5, 11, 8, 0, tzinfo=UTC)
    row = OutboundMessage.objects.get()
    assert row.next_attempt_at == monday
    assert outbound_deliver_due(now=monday - timedelta(minutes=1)) == 0


def test_the_notice_is_delivered_once_the_server_takes_its_mail(lead, mail_settings):
    notice = fired_notice()
    assert outbound_deliver_due(now=FIRED_AT) == 1, OutboundMessage.objects.get().server_answer
    assert outbound_deliver_due(now=FIRED_AT) == 0
    assert len(mail_settings.messages) == 1
    assert mail_settings.messages[0].rcpt_tos == ("lead@example.net",)
    notice.refresh_from_db()
    row = OutboundMessage.objects.get()
    assert row.state == OutboundState.SENT
    assert notice.delivered_at == row.sent_at


def test_an_unreachable_server_leaves_the_notice_undelivered(lead, settings):
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens there
    notice = fired_notice()
    assert outbound_deliver_due(now=FIRED_AT) == 0
    row = OutboundMessage.objects.get()
    assert row.state == OutboundState.QUEUED
    assert row.attempts == 1
    assert "cannot connect" in row.server_answer
    notice.refresh_from_db()
    assert notice.delivered_at is None


def test_without_a_mail_server_the_mail_says_why(lead, settings):
    settings.EMAIL_HOST = ""
    notice = fired_notice()
    assert outbound_deliver_due(now=FIRED_AT) == 0
    row = OutboundMessage.objects.get()
    assert (row.state, row.attempts, row.server_answer) == (OutboundState.QUEUED, 0, NO_SERVER)
    notice.refresh_from_db()
    assert notice.delivered_at is None


def test_a_recipient_without_an_address_is_shown_as_not_sent(lead):
    lead.email = ""
    lead.save()
    fired_notice()
    row = OutboundMessage.objects.get()
    assert (row.state, row.server_answer) == (OutboundState.FAILED, NO_ADDRESS)
