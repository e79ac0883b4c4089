"""Senders as contacts: matching, placeholders for strangers, merging."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from netdesk.accounts.models import Role
from netdesk.channels.models import Source
from netdesk.channels.services.inbound import mail_take
from netdesk.channels.services.senders import sender_contact, sender_contact_ensure, sender_merge
from netdesk.channels.tests import inbound_mails as m
from netdesk.core.errors import PermissionDenied, ValidationFailed
from netdesk.customers.models import Contact, Customer
from netdesk.tickets.models import Interaction, Ticket, TicketEvent
from tests import factories as f

pytestmark = pytest.mark.django_db


def contact(email: str, *, verified: bool = True, customer: Customer | None = None) -> Contact:
    return Contact.objects.create(
        customer=customer or f.customer(), name=email, email=email, verified=verified
    )


@pytest.mark.parametrize(
    ("stored", "sender"),
    [
        ("Ann@Example.NET", "ann@example.net"),
        ("ann@example.net", "ann+support@example.net"),
        ("ann+isp@example.net", "ANN@example.net"),
        ("ann+isp@example.net", "ann+other@example.net"),
    ],
)
def test_a_sender_matches_whatever_the_case_and_plus_tag(stored, sender):
    known = contact(stored)
    assert sender_contact(sender) == known


def test_another_mailbox_does_not_match():
    contact("ann@example.net")
    assert sender_contact("anna@example.net") is None
    assert sender_contact("ann@example.org") is None
    assert sender_contact("not an address") is None


def test_a_verified_contact_wins_over_an_unverified_one():
    contact("ann@example.net", verified=False)
    verified = contact("ann@example.net")
    assert sender_contact("ann@example.net") == verified


def test_of_several_the_one_with_the_most_recent_ticket_wins_every_time():
    agent = f.user()
    older, newer, _without_tickets = (contact("ann@example.net") for _ in range(3))
    f.ticket(agent, older.customer, contact=older)
    recent = f.ticket(agent, newer.customer, contact=newer)
    past = f.ticket(agent, older.customer, contact=older)
    Ticket.objects.filter(pk=past.pk).update(created_at=timezone.now() - timedelta(days=3))
    Ticket.objects.filter(pk=recent.pk).update(created_at=timezone.now() + timedelta(minutes=1))
    assert sender_contact("ann@example.net") == newer


def test_without_tickets_the_oldest_contact_wins():
    first = contact("ann@example.net")
    contact("ann@example.net")
    assert sender_contact("ann@example.net") == first


def test_a_stranger_gets_one_placeholder_however_often_they_write():
    one = sender_contact_ensure(address="new@example.net", name="New Person")
    two = sender_contact_ensure(address="NEW+x@example.net", name="")
    assert one == two
    assert one.customer.is_placeholder
    assert one.name == "New Person"
    assert not one.verified


def test_merging_moves_the_contact_and_its_tickets_into_the_right_customer():
    # Given a stranger's mail, opened on a placeholder:
    message = mail_take(raw=m.mail(sender="ann@example.net"), mailbox=None, source=Source.PIPE)
    ticket = message.ticket
    assert ticket is not None
    placeholder = ticket.customer
    stranger = message.contact
    assert stranger is not None
    right = f.customer()
    lead = f.user(Role.TEAM_LEAD)
    # When an agent merges the sender into the right customer:
    merged = sender_merge(actor=lead, contact=stranger, customer=right)
    # Then the contact, the ticket and its interactions are the customer's,
    assert merged.customer == right
    assert merged.verified
    ticket.refresh_from_db()
    assert ticket.customer == right
    assert Interaction.objects.get(ticket=ticket).customer == right
    assert TicketEvent.objects.filter(ticket=ticket, field="customer").exists()
    # and the emptied placeholder is gone.
    assert not Customer.objects.filter(pk=placeholder.pk).exists()
    # The next mail from that address is the customer's, verified.
    again = mail_take(raw=m.mail(sender="ann@example.net"), mailbox=None, source=Source.PIPE)
    assert again.ticket is not None
    assert again.ticket.customer == right


def test_merging_needs_the_permission_and_a_placeholder():
    stranger = sender_contact_ensure(address="new@example.net", name="")
    real = contact("real@example.net")
    with pytest.raises(PermissionDenied):
        sender_merge(actor=f.user(Role.FIELD_ENGINEER), contact=stranger, customer=real.customer)
    lead = f.user(Role.TEAM_LEAD)
    with pytest.raises(ValidationFailed, match="not a placeholder"):
        sender_merge(actor=lead, contact=real, customer=f.customer())
    other = sender_contact_ensure(address="other@example.net", name="")
    with pytest.raises(ValidationFailed, match="placeholder for an unknown sender itself"):
        sender_merge(actor=lead, contact=stranger, customer=other.customer)
