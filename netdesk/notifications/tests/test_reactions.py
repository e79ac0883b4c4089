"""Who hears of what under the bell: a ticket assigned to them by someone
else, a customer's answer on their ticket, a service-level warning or
breach on it, a low survey rating to follow up; never their own doing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from netdesk.accounts.models import Role, TierKind
from netdesk.channels.models import Mailbox, Source
from netdesk.channels.services.inbound import mail_take
from netdesk.channels.tests import inbound_mails as m
from netdesk.core.hooks import hooks_run
from netdesk.customers.models import Contact
from netdesk.notifications.models import Notification, NotificationKind
from netdesk.sla.firing import sla_fire_due
from netdesk.sla.models import BusinessCalendar, Metric, SlaPolicy, SlaTarget
from netdesk.sla.services import sla_refresh
from netdesk.surveys.models import Survey, SurveyFollowUp
from netdesk.tickets.models import Ticket, TicketEvent
from netdesk.tickets.services import ticket_assign, ticket_escalate_functional
from netdesk.tickets.services.customer_replies import customer_comment_add
from tests import factories as f

pytestmark = pytest.mark.django_db


def inbox(user) -> list[tuple[str, str]]:
    return list(
        Notification.objects.filter(recipient=user).order_by("id").values_list("kind", "title")
    )


def test_an_agent_hears_of_a_ticket_assigned_to_them_by_someone_else():
    lead, agent = f.user(Role.TEAM_LEAD), f.user()
    ticket = f.ticket(lead)

    ticket_assign(actor=lead, ticket=ticket, assignee=agent)

    [row] = Notification.objects.filter(recipient=agent)
    assert row.kind == NotificationKind.ASSIGNED
    assert row.title == f"{ticket.reference} assigned to you: {ticket.title}"
    assert row.ticket_id == ticket.pk
    assert row.url == f"/tickets/{ticket.reference}/"
    assert row.read_at is None
    assert inbox(lead) == []


def test_taking_a_ticket_oneself_notifies_nobody():
    agent = f.user()
    ticket = f.ticket(agent)

    ticket_assign(actor=agent, ticket=ticket, assignee=agent)

    assert Ticket.objects.get(pk=ticket.pk).assignee_id == agent.pk
    assert Notification.objects.count() == 0


def test_assigning_the_same_agent_again_says_nothing_new():
    lead, agent = f.user(Role.TEAM_LEAD), f.user()
    ticket = f.ticket(lead)
    ticket_assign(actor=lead, ticket=ticket, assignee=agent)
    ticket_assign(actor=lead, ticket=Ticket.objects.get(pk=ticket.pk), assignee=agent)

    assert len(inbox(agent)) == 1


def test_a_ticket_opened_for_an_agent_and_one_escalated_to_them_notify_them():
    lead = f.user(Role.TEAM_LEAD)
    agent = f.user()
    noc = f.group(TierKind.SECOND_LINE)
    engineer = f.user(Role.NOC_ENGINEER, groups=[noc])

    opened = f.ticket(lead, assignee=agent)
    ticket_escalate_functional(
        actor=lead, ticket=f.ticket(lead), group=noc, reason="Line test", assignee=engineer
    )

    assert [kind for kind, _ in inbox(agent)] == [NotificationKind.ASSIGNED]
    assert inbox(agent)[0][1].startswith(opened.reference)
    assert [kind for kind, _ in inbox(engineer)] == [NotificationKind.ASSIGNED]


def test_the_assignee_hears_of_a_customers_answer_in_the_portal():
    lead, agent = f.user(Role.TEAM_LEAD), f.user()
    owner = f.customer()
    ticket = f.ticket(lead, owner, assignee=agent)
    Notification.objects.all().delete()

    customer_comment_add(
        ticket=ticket,
        contact=Contact.objects.get(customer=owner),
        body="Still down after the restart.",
        channel="web",
    )

    assert inbox(agent) == [
        (
            NotificationKind.CUSTOMER_REPLIED,
            f"The customer replied on {ticket.reference}: {ticket.title}",
        )
    ]


def test_a_customers_answer_on_an_unassigned_ticket_notifies_nobody():
    lead = f.user(Role.TEAM_LEAD)
    owner = f.customer()
    ticket = f.ticket(lead, owner)

    customer_comment_add(
        ticket=ticket, contact=Contact.objects.get(customer=owner), body="Hello?", channel="web"
    )

    assert Notification.objects.count() == 0


def test_the_assignee_hears_of_a_customers_answer_by_mail():
    agent = f.user()
    box = Mailbox.objects.create(name="support", address="support@isp.example", group=f.group())
    first = mail_take(
        raw=m.mail(sender="ben@example.net", message_id="first@example.net"),
        mailbox=box,
        source=Source.PIPE,
    )
    assert first.ticket is not None
    ticket_assign(actor=f.user(Role.TEAM_LEAD), ticket=first.ticket, assignee=agent)
    Notification.objects.all().delete()

    mail_take(
        raw=m.mail(sender="ben@example.net", in_reply_to="first@example.net"),
        mailbox=box,
        source=Source.PIPE,
    )

    assert [kind for kind, _ in inbox(agent)] == [NotificationKind.CUSTOMER_REPLIED]


T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def policy() -> SlaPolicy:
    SlaPolicy.objects.all().delete()
    calendar = BusinessCalendar.objects.create(name="always", always_open=True)
    made = SlaPolicy.objects.create(
        name="Everything", rank=1, calendar=calendar, warn_at_percent=80
    )
    SlaTarget.objects.create(policy=made, metric=Metric.RESOLUTION, minutes=100)
    return made


def _ticket_at(actor, **extra) -> Ticket:
    ticket = f.ticket(actor, channel="email", **extra)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=T0)
    TicketEvent.objects.filter(ticket=ticket).update(at=T0)
    ticket.refresh_from_db()
    sla_refresh(ticket=ticket, now=T0)
    return ticket


def test_the_assignee_hears_of_a_service_level_warning_then_its_breach_once_each(policy):
    lead, agent = f.user(Role.TEAM_LEAD), f.user()
    ticket = _ticket_at(lead, assignee=agent)
    unassigned = _ticket_at(lead)
    Notification.objects.all().delete()

    assert sla_fire_due(now=T0 + timedelta(minutes=81)) == 2
    assert sla_fire_due(now=T0 + timedelta(minutes=82)) == 0
    assert sla_fire_due(now=T0 + timedelta(minutes=101)) == 2

    assert inbox(agent) == [
        (NotificationKind.SLA_WARNING, f"SLA resolution due soon on {ticket.reference}"),
        (NotificationKind.SLA_BREACH, f"SLA resolution breached on {ticket.reference}"),
    ]
    assert Notification.objects.filter(ticket=unassigned).count() == 0


def test_a_low_ratings_follow_up_notifies_its_owner_with_a_link_to_it():
    lead, agent = f.user(Role.TEAM_LEAD), f.user()
    ticket = f.ticket(agent)
    now = timezone.now()
    survey = Survey.objects.create(
        ticket=ticket,
        public_id="p" * 32,
        customer=ticket.customer,
        channel="email",
        resolved_at=now,
        rating=1,
        created_at=now,
    )
    follow_up = SurveyFollowUp.objects.create(
        survey=survey, owner=lead, opened_rating=1, created_at=now
    )

    hooks_run("survey_follow_up_opened", follow_up=follow_up)

    [row] = Notification.objects.filter(recipient=lead)
    assert row.kind == NotificationKind.SURVEY_FOLLOW_UP
    assert row.title == f"Rated 1 of 5: follow up {ticket.reference}"
    assert row.url == f"/surveys/follow-ups/{follow_up.pk}/"
    assert row.ticket_id == ticket.pk
