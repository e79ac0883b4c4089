"""The outbound queue: every message the desk sends is one row with a
Message-ID naming its ticket, threading headers from the ticket's mail, the
sending mailbox's address and the automatic flag; agents' replies, the
acknowledgement and the resolved notice reach it through their hooks."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.utils import timezone

from netdesk.accounts.models import Role
from netdesk.channels.models import (
    InboundMessage,
    InboundState,
    Mailbox,
    OutboundKind,
    OutboundMessage,
    OutboundState,
    Outcome,
    Source,
)
from netdesk.channels.parsing import message_id_ticket
from netdesk.channels.services.outbound import (
    NO_ADDRESS,
    REFERENCES_KEPT,
    acknowledgement_queue,
    outbound_queue,
    reply_recipients,
)
from netdesk.core.errors import ValidationFailed
from netdesk.customers.models import Contact
from netdesk.tickets.choices import Visibility
from netdesk.tickets.models import Comment, Ticket
from netdesk.tickets.services import comment_add, ticket_resolve
from tests import factories as f

pytestmark = pytest.mark.django_db
_seq = itertools.count(1)


def mailbox(name: str = "support", **extra: Any) -> Mailbox:
    return Mailbox.objects.create(
        name=name, address=extra.pop("address", f"{name}@isp.example"), **extra
    )


def received(ticket: Ticket, **extra: Any) -> InboundMessage:
    """A mail stored on `ticket` as the inbound pipeline leaves it."""
    n = next(_seq)
    return InboundMessage.objects.create(
        source=Source.PIPE,
        mailbox=extra.pop("mailbox", None),
        message_id=extra.pop("message_id", f"m{n}@customer.example"),
        content_hash=f"{n:064x}",
        raw=b"",
        received_at=extra.pop("received_at", timezone.now()),
        state=InboundState.PROCESSED,
        outcome=extra.pop("outcome", Outcome.REPLY_ADDED),
        ticket=ticket,
        sender=extra.pop("sender", "carla@customer.example"),
        subject=f"Re: {ticket.title}",
        **extra,
    )


@pytest.fixture
def agent():
    return f.user(first_name="Alex", last_name="Agent")


@pytest.fixture
def ticket(agent):
    customer = f.customer(email="billing@customer.example")
    contact = Contact.objects.create(
        customer=customer, name="Carla Customer", email="carla.contact@customer.example"
    )
    return f.ticket(agent, owner=customer, contact=contact, channel="email")


def test_the_message_id_names_the_ticket_and_automatic_kinds_say_so(ticket, settings):
    settings.NETDESK_MAIL_DOMAIN = "desk.isp.example"
    ack = outbound_queue(kind=OutboundKind.ACKNOWLEDGEMENT, to=["a@example.net"], ticket=ticket)
    test = outbound_queue(kind=OutboundKind.TEST, to=["a@example.net"], subject="Hi", body="Test")
    assert message_id_ticket(ack.message_id, "desk.isp.example") == ticket.pk
    assert message_id_ticket(test.message_id, "desk.isp.example") == 0
    assert ack.automatic
    assert not test.automatic
    assert ack.state == OutboundState.QUEUED
    assert ack.next_attempt_at <= timezone.now()


def test_threading_headers_follow_the_tickets_mail(ticket):
    first = received(ticket, message_id="first@customer.example")
    ack = acknowledgement_queue(ticket=ticket, inbound=first)
    assert ack.in_reply_to == "first@customer.example"
    assert ack.references == "first@customer.example"
    received(ticket, message_id="bounce@mailer.example", outcome=Outcome.BOUNCE)
    second = received(ticket, message_id="second@customer.example")
    reply = outbound_queue(kind=OutboundKind.REPLY, to=["a@example.net"], ticket=ticket)
    assert reply.in_reply_to == second.message_id
    assert reply.references.split() == [first.message_id, ack.message_id, second.message_id]


def test_references_keep_the_first_and_the_latest_messages(ticket):
    ids = [received(ticket).message_id for _ in range(REFERENCES_KEPT + 5)]
    reply = outbound_queue(kind=OutboundKind.REPLY, to=["a@example.net"], ticket=ticket)
    assert reply.references.split() == [ids[0], *ids[-(REFERENCES_KEPT - 1) :]]
    assert reply.in_reply_to == ids[-1]


def test_without_mail_the_reply_follows_the_desks_own_last_message(ticket):
    earlier = outbound_queue(kind=OutboundKind.REPLY, to=["a@example.net"], ticket=ticket)
    later = outbound_queue(kind=OutboundKind.REPLY, to=["a@example.net"], ticket=ticket)
    assert later.in_reply_to == earlier.message_id


def test_the_sending_mailbox_is_where_the_ticket_came_in(ticket, settings):
    settings.DEFAULT_FROM_EMAIL = "netdesk@isp.example"
    no_mailbox = outbound_queue(kind=OutboundKind.REPLY, to=["a@example.net"], ticket=ticket)
    assert (no_mailbox.mailbox, no_mailbox.from_address) == (None, "netdesk@isp.example")
    mailbox("aaa-inactive", active=False)
    general = mailbox("general")
    billing = mailbox("billing", reply_address="answers@isp.example")
    first_active = outbound_queue(kind=OutboundKind.REPLY, to=["a@example.net"], ticket=ticket)
    assert (first_active.mailbox, first_active.from_address) == (general, general.address)
    received(ticket, mailbox=billing)
    received(ticket, mailbox=general)
    taken = outbound_queue(kind=OutboundKind.REPLY, to=["a@example.net"], ticket=ticket)
    assert (taken.mailbox, taken.from_address) == (billing, "answers@isp.example")


def test_the_subject_always_carries_the_ticket_reference(ticket):
    row = outbound_queue(
        kind=OutboundKind.REPLY, to=["a@example.net"], ticket=ticket, subject="Hi\nthere", body="x"
    )
    assert row.subject == f"[{ticket.reference}] Hi there"


def test_the_words_come_from_the_customers_language(ticket):
    ticket.customer.language = "de"
    ticket.customer.save()
    row = outbound_queue(kind=OutboundKind.ACKNOWLEDGEMENT, to=["a@example.net"], ticket=ticket)
    assert row.subject.startswith(f"[{ticket.reference}] Ihre Anfrage ist eingegangen")
    assert row.body.startswith("Guten Tag Carla Customer,")


def test_bad_addresses_are_refused_by_field_and_repeats_dropped(ticket):
    with pytest.raises(ValidationFailed) as refused:
        outbound_queue(kind=OutboundKind.REPLY, to=["carla@"], ticket=ticket)
    assert (refused.value.field, refused.value.value) == ("to", "carla@")
    with pytest.raises(ValidationFailed) as refused:
        outbound_queue(kind=OutboundKind.REPLY, to=["a@example.net"], cc=["x"], ticket=ticket)
    assert refused.value.field == "cc"
    row = outbound_queue(
        kind=OutboundKind.REPLY,
        to=["Carla <a@example.net>", "A@example.net"],
        cc=["a@example.net", "b@example.net, c@example.net"],
        ticket=ticket,
    )
    assert row.to_addresses == "a@example.net"
    assert row.cc_addresses == "b@example.net, c@example.net"
    assert not OutboundMessage.objects.exclude(pk=row.pk).exists()


def test_reply_recipients_answer_the_latest_sender_and_copy_the_others(ticket):
    desk = mailbox("support", reply_address="answers@isp.example")
    assert reply_recipients(ticket) == (["carla.contact@customer.example"], [])
    received(
        ticket,
        sender="boss@customer.example",
        to_addresses="support+tt@isp.example, Carla <carla@customer.example>",
        cc_addresses="answers@isp.example, BOSS@customer.example, it@customer.example",
    )
    received(ticket, sender="robot@customer.example", outcome=Outcome.AUTO_REPLY)
    assert desk.address == "support@isp.example"
    assert reply_recipients(ticket) == (
        ["boss@customer.example"],
        ["carla@customer.example", "it@customer.example"],
    )


def test_reply_recipients_fall_back_to_the_customers_address(agent):
    customer = f.customer(email="billing@customer.example")
    assert reply_recipients(f.ticket(agent, owner=customer)) == (
        ["billing@customer.example"],
        [],
    )
    assert reply_recipients(f.ticket(agent)) == ([], [])


def test_a_public_reply_is_queued_to_the_composers_recipients(ticket, agent):
    comment = comment_add(
        actor=agent,
        ticket=ticket,
        body="Please restart your router.",
        visibility=Visibility.PUBLIC,
        recipients={"to": ["carla@customer.example"], "cc": ["it@customer.example"]},
    )
    row = OutboundMessage.objects.get(kind=OutboundKind.REPLY)
    assert (row.comment, row.created_by, row.automatic) == (comment, agent, False)
    assert (row.to_addresses, row.cc_addresses) == (
        "carla@customer.example",
        "it@customer.example",
    )
    # The mail says what the ticket shows; the template gives the subject.
    assert row.body == "Please restart your router."
    assert row.subject == f"Re: [{ticket.reference}] {ticket.title}"


def test_a_public_reply_without_recipients_goes_to_the_ticket_and_notes_stay_home(ticket, agent):
    comment_add(actor=agent, ticket=ticket, body="Internal", visibility=Visibility.INTERNAL)
    assert not OutboundMessage.objects.exists()
    comment_add(actor=agent, ticket=ticket, body="Answer", visibility=Visibility.PUBLIC)
    assert OutboundMessage.objects.get().to_addresses == "carla.contact@customer.example"


def test_a_reply_with_nowhere_to_go_is_saved_and_shown_as_not_sent(agent):
    ticket = f.ticket(agent)  # the customer has no e-mail address
    comment = comment_add(actor=agent, ticket=ticket, body="Fixed", visibility=Visibility.PUBLIC)
    row = OutboundMessage.objects.get()
    assert row.comment == comment
    assert (row.state, row.server_answer, row.to_addresses) == (
        OutboundState.FAILED,
        NO_ADDRESS,
        "",
    )


def test_a_reply_to_a_bad_address_is_refused_whole(ticket, agent):
    with pytest.raises(ValidationFailed) as refused:
        comment_add(
            actor=agent,
            ticket=ticket,
            body="Answer",
            visibility=Visibility.PUBLIC,
            recipients={"to": ["not an address"], "cc": []},
        )
    assert refused.value.field == "to"
    assert not Comment.objects.filter(ticket=ticket).exists()
    assert not OutboundMessage.objects.exists()


def test_recipients_with_an_internal_note_are_refused(ticket, agent):
    with pytest.raises(ValidationFailed) as refused:
        comment_add(
            actor=agent,
            ticket=ticket,
            body="Note",
            visibility=Visibility.INTERNAL,
            recipients={"to": ["carla@customer.example"]},
        )
    assert refused.value.field == "recipients"


def test_the_acknowledgement_answers_the_mail_that_opened_the_ticket(ticket):
    box = mailbox("support")
    first = received(ticket, mailbox=box, sender="carla@customer.example")
    ack = acknowledgement_queue(ticket=ticket, inbound=first)
    assert ack.kind == OutboundKind.ACKNOWLEDGEMENT
    assert ack.to_addresses == "carla@customer.example"
    assert ack.mailbox == box
    assert ticket.reference in ack.subject
    assert ack.automatic


def test_resolving_a_ticket_that_came_by_mail_tells_the_customer(ticket, agent):
    lead = f.user(Role.TEAM_LEAD)
    phone = f.ticket(agent, owner=ticket.customer, channel="phone")
    ticket_resolve(actor=lead, ticket=phone, resolution_code="fixed", root_cause="hardware")
    assert not OutboundMessage.objects.exists()
    ticket_resolve(actor=lead, ticket=ticket, resolution_code="fixed", root_cause="hardware")
    row = OutboundMessage.objects.get()
    assert row.kind == OutboundKind.STATUS
    assert row.automatic
    assert row.to_addresses == "carla.contact@customer.example"
    assert row.subject == f"[{ticket.reference}] Resolved: {ticket.title}"
