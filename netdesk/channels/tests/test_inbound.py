"""The inbound pipeline: what becomes of each kind of mail."""

from __future__ import annotations

import pytest

from netdesk.channels.models import (
    InboundMessage,
    InboundState,
    OutboundKind,
    OutboundMessage,
    Outcome,
    Source,
)
from netdesk.channels.services.inbound import mail_store, mail_take
from netdesk.channels.tests import inbound_mails as m
from netdesk.customers.models import Contact, Customer
from netdesk.tickets.choices import Channel, Direction, Status
from netdesk.tickets.models import Category, Interaction, Ticket, TicketEvent
from netdesk.tickets.models.timeline import EventKind
from netdesk.tickets.services import ticket_resolve
from tests import factories as f

pytestmark = pytest.mark.django_db
ROOT_CAUSE = "hardware"


def take(raw: bytes, **extra: object) -> InboundMessage:
    return mail_take(raw=raw, mailbox=extra.pop("mailbox", None), source=Source.PIPE, **extra)  # type: ignore[arg-type]


def test_a_strangers_mail_opens_a_ticket_for_a_placeholder_customer_and_is_acknowledged():
    # When an unknown sender writes in:
    message = take(m.mail(sender="Ann@Example.net", subject="Router blinks red"))
    # Then a ticket is opened by email, for an unverified contact on a placeholder:
    assert message.outcome == Outcome.TICKET_CREATED
    assert message.state == InboundState.PROCESSED
    ticket = message.ticket
    assert ticket is not None
    assert ticket.channel == Channel.EMAIL
    assert ticket.title == "Router blinks red"
    assert "line has been down" in ticket.description
    customer = ticket.customer
    assert customer.is_placeholder
    assert customer.account_number == f"MAIL-{customer.pk}"
    assert customer.name == "Unverified sender ann@example.net"
    assert ticket.contact is not None
    assert not ticket.contact.verified
    assert message.contact == ticket.contact
    # with the mail logged as an inbound email on its timeline,
    interaction = Interaction.objects.get(ticket=ticket)
    assert (interaction.channel, interaction.direction) == (Channel.EMAIL, Direction.INBOUND)
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.INTERACTION_LOGGED).exists()
    # and the sender is told it arrived.
    ack = OutboundMessage.objects.get(ticket=ticket)
    assert ack.kind == OutboundKind.ACKNOWLEDGEMENT
    assert ack.to_addresses == "ann@example.net"


def test_a_known_contact_s_mail_opens_the_ticket_for_their_customer():
    customer = f.customer()
    contact = Contact.objects.create(customer=customer, name="Bob", email="bob@example.org")
    message = take(m.mail(sender="BOB+support@example.org"))
    assert message.ticket is not None
    assert message.ticket.customer == customer
    assert message.ticket.contact == contact
    assert not Customer.objects.filter(is_placeholder=True).exists()


def test_the_mailbox_sets_type_group_and_category():
    category = Category.objects.create(name="Billing question", ticket_type="billing_inquiry")
    billing = f.group("billing")
    box = m.mailbox(ticket_type="billing_inquiry", category=category, group=billing)
    message = take(m.mail(subject="Invoice too high"), mailbox=box)
    ticket = message.ticket
    assert ticket is not None
    assert (ticket.ticket_type, ticket.category, ticket.group) == (
        "billing_inquiry",
        category,
        billing,
    )
    assert message.mailbox == box


def test_a_mail_without_subject_gets_a_title_saying_so():
    message = take(m.mail(subject=""))
    assert message.ticket is not None
    assert message.ticket.title == "(no subject)"


def test_an_answer_to_the_desk_s_message_is_added_to_its_ticket():
    first = take(m.mail())
    ticket = first.ticket
    assert ticket is not None
    reply = m.sent(ticket)
    message = take(m.mail(subject="Re: something else", in_reply_to=reply.message_id))
    assert message.outcome == Outcome.REPLY_ADDED
    assert message.ticket == ticket
    assert Interaction.objects.filter(ticket=ticket).count() == 2
    assert Ticket.objects.count() == 1


def test_an_answer_quoting_an_earlier_mail_of_the_ticket_is_added_to_it():
    first = take(m.mail(message_id="first@example.net"))
    message = take(m.mail(subject="more", references="<other@x> <first@example.net>"))
    assert message.outcome == Outcome.REPLY_ADDED
    assert message.ticket == first.ticket


def test_a_customer_answer_takes_a_ticket_waiting_on_them_back_into_work():
    first = take(m.mail())
    ticket = first.ticket
    assert ticket is not None
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.PENDING_CUSTOMER)
    take(m.mail(in_reply_to=m.sent(ticket).message_id))
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS


def test_the_desk_s_own_mail_coming_back_is_never_answered():
    first = take(m.mail())
    assert first.ticket is not None
    own = m.sent(first.ticket)
    message = take(m.mail(sender="support@isp.example", message_id=own.message_id))
    assert message.outcome == Outcome.AUTO_REPLY
    assert "own message" in message.reason
    assert message.ticket is None
    assert Ticket.objects.count() == 1


def test_an_out_of_office_reply_is_kept_on_its_ticket_without_reopening_or_answering():
    first = take(m.mail())
    ticket = first.ticket
    assert ticket is not None
    agent = f.user()
    ticket_resolve(actor=agent, ticket=ticket, resolution_code="fixed", root_cause=ROOT_CAUSE)
    outbound_before = OutboundMessage.objects.count()
    message = take(
        m.mail(
            subject="Out of office",
            in_reply_to=m.sent(ticket).message_id,
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    assert message.outcome == Outcome.AUTO_REPLY
    assert message.ticket == ticket
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert OutboundMessage.objects.count() == outbound_before + 1  # only the one we planted


def test_an_automatic_reply_to_nothing_is_kept_without_a_ticket():
    message = take(m.mail(headers={"Auto-Submitted": "auto-replied"}))
    assert (message.outcome, message.ticket, message.state) == (
        Outcome.AUTO_REPLY,
        None,
        InboundState.PROCESSED,
    )
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "header",
    [
        ("Auto-Submitted", "auto-generated"),
        ("Precedence", "bulk"),
        ("X-Auto-Response-Suppress", "All"),
    ],
)
def test_machine_mail_opens_a_ticket_but_is_never_acknowledged(header):
    message = take(m.mail(headers=dict([header])))
    assert message.outcome == Outcome.TICKET_CREATED
    assert "not acknowledged" in message.reason
    assert not OutboundMessage.objects.exists()


def test_a_bounce_marks_the_message_and_the_address_and_stays_on_the_ticket():
    customer = f.customer()
    contact = Contact.objects.create(customer=customer, name="Ann", email="Ann@example.net")
    first = take(m.mail(sender="ann@example.net"))
    ticket = first.ticket
    assert ticket is not None
    reply = m.sent(ticket)
    message = take(m.bounce(original_message_id=reply.message_id))
    assert message.outcome == Outcome.BOUNCE
    assert message.ticket == ticket
    reply.refresh_from_db()
    assert reply.state == "bounced"
    assert "mailbox unknown" in reply.server_answer
    contact.refresh_from_db()
    assert "mailbox unknown" in contact.email_bouncing
    assert contact.email_bounced_at is not None
    assert Ticket.objects.count() == 1


def test_a_bounce_for_no_message_of_the_desk_opens_nothing():
    message = take(m.bounce(original_message_id="someone-else@example.com"))
    assert message.outcome == Outcome.BOUNCE
    assert message.ticket is None
    assert "answers no message the desk holds" in message.reason
    assert not Ticket.objects.exists()


def test_a_sender_over_the_rate_opens_no_more_tickets_and_is_quarantined(settings):
    settings.NETDESK_MAIL_SENDER_RATE = "2/hour"
    outcomes = [take(m.mail(sender="loop@example.net")).outcome for _ in range(3)]
    assert outcomes == [Outcome.TICKET_CREATED, Outcome.TICKET_CREATED, Outcome.QUARANTINED]
    quarantined = InboundMessage.objects.get(outcome=Outcome.QUARANTINED)
    assert quarantined.state == InboundState.QUARANTINED
    assert "loop@example.net sent more than 2/hour" in quarantined.reason
    # Replies to a ticket are not new tickets: they still go in.
    ticket = Ticket.objects.first()
    assert ticket is not None
    reply = take(m.mail(sender="loop@example.net", in_reply_to=m.sent(ticket).message_id))
    assert reply.outcome == Outcome.REPLY_ADDED


def test_attachments_are_stored_on_the_ticket_and_a_refused_one_is_named():
    message = take(
        m.mail(
            attachments=[
                ("photo.png", "image/png", m.PNG),
                ("invoice.pdf.exe", "application/octet-stream", b"MZ\x90\x00binary"),
            ]
        )
    )
    assert message.outcome == Outcome.TICKET_CREATED
    stored = list(message.attachments.all())
    assert [a.filename for a in stored] == ["photo.png"]
    assert stored[0].ticket == message.ticket
    assert "'invoice.pdf.exe' not stored" in message.problems
    assert "'invoice.pdf.exe' not stored" in message.reason
    assert b"invoice.pdf.exe" in bytes(message.raw)


def test_the_raw_mail_is_stored_before_it_is_read():
    raw = m.mail(message_id="stored@example.net")
    message = mail_store(raw=raw, mailbox=None, source=Source.PIPE)
    assert message.state == InboundState.RECEIVED
    assert bytes(message.raw) == raw
    assert message.message_id == "stored@example.net"
    assert len(message.content_hash) == 64
    assert message.sender == ""  # not parsed yet


def test_the_same_imap_uid_is_stored_once():
    box = m.mailbox()
    raw = m.mail()
    first = take(raw, mailbox=box, imap_uid=7, imap_uidvalidity=1)
    again = take(raw, mailbox=box, imap_uid=7, imap_uidvalidity=1)
    assert again.pk == first.pk
    assert InboundMessage.objects.count() == 1
    other_validity = take(raw, mailbox=box, imap_uid=7, imap_uidvalidity=2)
    assert other_validity.outcome == Outcome.DUPLICATE


def test_an_unprocessed_imap_message_is_processed_when_taken_again():
    box = m.mailbox()
    raw = m.mail()
    stored = mail_store(raw=raw, mailbox=box, source=Source.IMAP, imap_uid=3, imap_uidvalidity=1)
    message = mail_take(raw=raw, mailbox=box, source=Source.IMAP, imap_uid=3, imap_uidvalidity=1)
    assert message.pk == stored.pk
    assert message.outcome == Outcome.TICKET_CREATED


def test_a_message_id_with_a_nul_byte_is_still_stored():
    # PostgreSQL stores no NUL in text: the raw header must not stop the store.
    raw = m.mail(message_id=None).replace(
        b"Subject:", b"Message-ID: <a\x00b@x.example>\nSubject:", 1
    )
    message = mail_store(raw=raw, mailbox=None, source=Source.PIPE)
    assert message.message_id == "a\ufffdb@x.example"
    assert bytes(message.raw) == raw
