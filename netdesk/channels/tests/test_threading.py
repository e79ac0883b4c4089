"""Which ticket a mail goes to: Message-IDs, the subject's reference (only
for the ticket customer's verified contacts) and the reopen window."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from netdesk.channels.models import InboundMessage, Outcome, Source
from netdesk.channels.parsing import make_message_id
from netdesk.channels.services.inbound import mail_take
from netdesk.channels.tests import inbound_mails as m
from netdesk.customers.models import Contact
from netdesk.tickets.choices import LinkKind, Status
from netdesk.tickets.models import Ticket, TicketLink
from netdesk.tickets.services import ticket_close, ticket_merge, ticket_resolve
from tests import factories as f

pytestmark = pytest.mark.django_db


def take(raw: bytes) -> InboundMessage:
    return mail_take(raw=raw, mailbox=None, source=Source.PIPE)


@pytest.fixture
def agent():
    return f.user()


@pytest.fixture
def ticket(agent):
    """A phone ticket of a customer whose contact Ann is verified."""
    customer = f.customer()
    Contact.objects.create(customer=customer, name="Ann", email="ann@example.net")
    return f.ticket(agent, customer)


def resolve(agent, ticket: Ticket, days_ago: float = 0) -> None:
    ticket_resolve(actor=agent, ticket=ticket, resolution_code="fixed", root_cause="hardware")
    Ticket.objects.filter(pk=ticket.pk).update(
        resolved_at=timezone.now() - timedelta(days=days_ago)
    )
    ticket.refresh_from_db()


def test_a_verified_contact_naming_the_ticket_in_the_subject_adds_to_it(ticket):
    message = take(m.mail(subject=f"Re: [{ticket.reference}] still down"))
    assert message.outcome == Outcome.REPLY_ADDED
    assert message.ticket == ticket


def test_a_stranger_naming_a_ticket_opens_a_new_one_linked_to_it(ticket):
    message = take(m.mail(sender="eve@evil.example", subject=f"[{ticket.reference}] close it"))
    assert message.outcome == Outcome.TICKET_CREATED
    assert message.ticket != ticket
    assert message.ticket is not None
    assert message.ticket.customer != ticket.customer
    assert TicketLink.objects.filter(
        source=message.ticket, target=ticket, kind=LinkKind.RELATED_TO
    ).exists()
    assert f"related to {ticket.reference}" in message.reason


def test_an_unverified_contact_of_the_customer_cannot_add_by_reference(ticket):
    Contact.objects.filter(email="ann@example.net").update(verified=False)
    message = take(m.mail(subject=f"[{ticket.reference}]"))
    assert message.ticket != ticket


def test_a_message_id_threads_whoever_sends_it(ticket):
    # A colleague the customer forwarded our mail to answers it.
    reply = m.sent(ticket)
    message = take(m.mail(sender="colleague@example.org", in_reply_to=reply.message_id))
    assert message.ticket == ticket
    assert message.contact is None or message.contact.customer != ticket.customer


def test_the_message_id_wins_over_the_subject(ticket, agent):
    other = f.ticket(agent, ticket.customer)
    message = take(m.mail(subject=f"[{other.reference}]", in_reply_to=m.sent(ticket).message_id))
    assert message.ticket == ticket


def test_a_desk_message_id_threads_even_when_its_row_is_gone(ticket):
    message = take(m.mail(in_reply_to=make_message_id(ticket.pk, "localhost")))
    assert message.ticket == ticket


def test_a_merged_ticket_s_mail_goes_to_the_ticket_it_was_merged_into(ticket, agent):
    survivor = f.ticket(agent, ticket.customer)
    reply = m.sent(ticket)
    ticket_merge(actor=f.user("team_lead"), duplicate=ticket, into=survivor)
    message = take(m.mail(in_reply_to=reply.message_id))
    assert message.ticket == survivor


def test_an_answer_within_the_reopen_window_reopens(ticket, agent, settings):
    settings.NETDESK_MAIL_REOPEN_DAYS = 14
    resolve(agent, ticket, days_ago=13)
    message = take(m.mail(in_reply_to=m.sent(ticket).message_id))
    assert message.ticket == ticket
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.reopen_count == 1


def test_an_answer_after_the_reopen_window_opens_a_new_linked_ticket(ticket, agent, settings):
    settings.NETDESK_MAIL_REOPEN_DAYS = 14
    resolve(agent, ticket, days_ago=15)
    message = take(m.mail(in_reply_to=m.sent(ticket).message_id))
    assert message.outcome == Outcome.TICKET_CREATED
    assert message.ticket != ticket
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert TicketLink.objects.filter(source=message.ticket, target=ticket).exists()


def test_an_answer_to_a_closed_ticket_opens_a_new_linked_ticket(ticket, agent):
    resolve(agent, ticket)
    ticket_close(actor=f.user("team_lead"), ticket=ticket)
    message = take(m.mail(subject=f"Re: [{ticket.reference}]"))
    assert message.outcome == Outcome.TICKET_CREATED
    assert message.ticket is not None
    # The verified contact's new ticket is their own customer's.
    assert message.ticket.customer == ticket.customer
    assert TicketLink.objects.filter(source=message.ticket, target=ticket).exists()
