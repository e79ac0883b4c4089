"""A ticket's conversation as mail: the selector (order, files, delivery
state, fixed queries) and the API answer with its per-ticket permission."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from netdesk.accounts.models import Role, TierKind
from netdesk.channels.models import OutboundState, Outcome, Source
from netdesk.channels.selectors import INBOUND, OUTBOUND, ticket_conversation
from netdesk.channels.services.delivery import NO_SERVER
from netdesk.channels.services.inbound import mail_take
from netdesk.channels.tests.conversation_rows import START, attached, received, sent
from netdesk.customers.models import Segment
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    return f.user()


@pytest.fixture
def ticket(operator):
    return f.ticket(operator, channel="email")


def test_received_and_sent_mail_in_time_order(ticket, operator):
    # Given a mail, the desk's answer and the customer's reply, stored out of order
    received(ticket, at=START + timedelta(minutes=30), reply_text="Thanks, works again.")
    sent(ticket, at=START + timedelta(minutes=10), body="Please restart the modem.")
    received(ticket, at=START, reply_text="No internet.")
    # When the conversation is read
    conversation = ticket_conversation(ticket)
    # Then it runs oldest first, both directions
    assert [(m.direction, m.text) for m in conversation] == [
        (INBOUND, "No internet."),
        (OUTBOUND, "Please restart the modem."),
        (INBOUND, "Thanks, works again."),
    ]


def test_the_new_text_is_shown_and_the_whole_text_kept_behind_it(ticket):
    received(ticket, text="Still down.\n\n> You wrote:\n> restart it", reply_text="Still down.")
    received(ticket, text="Just one line.", reply_text="Just one line.")
    folded, plain = ticket_conversation(ticket)
    assert folded.text == "Still down."
    assert folded.quoted.startswith("Still down.\n\n> You wrote:")
    # nothing was folded away: no second copy behind a toggle
    assert plain.quoted == ""


def test_received_mail_carries_its_files_and_sender_standing(ticket, operator):
    contact = ticket.customer.contacts.get()
    contact.verified = False
    contact.save()
    received(ticket, contact=contact, files=2, actor=operator)
    (message,) = ticket_conversation(ticket)
    assert [a.filename for a in message.attachments] == [
        a.filename for a in ticket.attachments.order_by("pk")
    ]
    assert len(message.attachments) == 2
    assert message.contact_id == contact.pk
    assert message.sender_verified is False


def test_a_sender_matched_to_no_contact_counts_as_unverified(ticket):
    received(ticket, contact=None)
    (message,) = ticket_conversation(ticket)
    assert message.sender_verified is False


def test_a_duplicate_shows_once_and_a_bounce_is_labelled(ticket):
    original = received(ticket, reply_text="No internet.")
    received(ticket, outcome=Outcome.DUPLICATE, duplicate_of=original)
    received(ticket, outcome=Outcome.BOUNCE, sender="mailer-daemon@example.net", contact=None)
    shown, bounce = ticket_conversation(ticket)
    assert shown.pk == original.pk
    assert (bounce.from_a_machine, bounce.outcome_label) == (True, "Delivery report (bounce)")


def test_sent_mail_shows_its_delivery_state_and_the_servers_answer(ticket, settings):
    settings.EMAIL_HOST = "smtp.isp.example"
    sent(ticket, state=OutboundState.BOUNCED, server_answer="550 5.1.1 user unknown")
    sent(ticket, state=OutboundState.SENT, server_answer="250 2.0.0 Ok: queued as 4F2A")
    bounced, delivered = ticket_conversation(ticket)
    assert (bounced.state_label, bounced.server_answer) == ("Bounced", "550 5.1.1 user unknown")
    assert delivered.state == OutboundState.SENT
    assert delivered.delivery_note == ""


def test_queued_mail_without_a_mail_server_says_it_is_not_sent(ticket, settings):
    settings.EMAIL_HOST = ""
    sent(ticket)
    (message,) = ticket_conversation(ticket)
    assert message.delivery_note == NO_SERVER


INLINE_IMAGE = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
INLINE_MAIL = (
    b"From: Carla <customer@example.net>\r\nTo: support@isp.example\r\n"
    b"Subject: photo\r\nMessage-ID: <photo.1@example.net>\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/related; boundary="b"\r\n\r\n'
    b'--b\r\nContent-Type: text/html; charset="utf-8"\r\n\r\n'
    b'<p>The lights:</p><img src="cid:leds@example.net">\r\n'
    b"--b\r\nContent-Type: image/png\r\nContent-ID: <leds@example.net>\r\n"
    b'Content-Disposition: inline; filename="leds.png"\r\n'
    b"Content-Transfer-Encoding: base64\r\n\r\n"
    + base64.encodebytes(INLINE_IMAGE).replace(b"\n", b"\r\n")
    + b"--b--\r\n"
)


def test_inline_images_name_their_stored_files():
    # Given an HTML mail whose image is a part of the same mail (cid:), taken
    message = mail_take(raw=INLINE_MAIL, mailbox=None, source=Source.PIPE)
    stored = message.attachments.get()
    assert message.content_ids == {"leds@example.net": stored.pk}
    assert message.ticket is not None
    # When the conversation is read, the cid names the stored file
    (shown,) = [m for m in ticket_conversation(message.ticket) if m.inbound]
    assert shown.inline_images == {"leds@example.net": stored.pk}
    # ... and the HTML (on the page and in the API) shows it from the attachment view
    reference = message.ticket.reference
    assert f'<img src="/tickets/{reference}/attachments/{stored.pk}/">' in shown.html


def test_the_conversation_never_reads_the_raw_mail():
    message = mail_take(raw=INLINE_MAIL, mailbox=None, source=Source.PIPE)
    assert message.ticket is not None

    with CaptureQueriesContext(connection) as queries:
        conversation = ticket_conversation(message.ticket)

    assert conversation[0].inline_images
    read = [q["sql"] for q in queries.captured_queries if "channels_inboundmessage" in q["sql"]]
    assert read
    assert not [sql for sql in read if '"raw"' in sql], read


def test_a_cid_whose_file_left_the_ticket_is_not_pointed_at(ticket, operator):
    stored = attached(ticket, actor=operator, name="leds.png", content=INLINE_IMAGE)
    message = received(
        ticket,
        html='<img src="cid:leds@example.net">',
        content_ids={"leds@example.net": stored.pk + 1000},
    )
    message.attachments.add(stored)

    (shown,) = ticket_conversation(ticket)

    assert shown.inline_images == {}
    assert 'src="cid:leds@example.net"' in shown.html


@pytest.mark.parametrize("count", [1, 20])
def test_conversation_costs_the_same_queries_for_1_and_20_messages(
    ticket, operator, count, django_assert_num_queries
):
    for n in range(count):
        received(ticket, files=1, actor=operator)
        sent(ticket, state=OutboundState.SENT if n % 2 else OutboundState.QUEUED)
    # inbound, their files, outbound with author and reply, the reply's files
    with django_assert_num_queries(4):
        conversation = ticket_conversation(ticket)
    assert len(conversation) == 2 * count


# --- the API ------------------------------------------------------------------------------


def _get(client, agent, ticket):
    return client.get(
        f"/api/v1/tickets/{ticket.reference}/messages",
        headers={"Authorization": f"Bearer {f.token_for(agent)}"},
    )


def test_api_lists_the_conversation(client, ticket, operator):
    received(ticket, files=1, actor=operator, reply_text="No internet.")
    sent(ticket, state=OutboundState.FAILED, server_answer="421 try later")
    response = _get(client, operator, ticket)
    assert response.status_code == 200
    first, second = response.json()
    assert (first["direction"], first["text"], first["state"]) == (INBOUND, "No internet.", None)
    assert first["attachments"][0]["url"].startswith(f"/tickets/{ticket.reference}/attachments/")
    assert (second["state"], second["server_answer"]) == ("failed", "421 try later")


def test_api_account_manager_cannot_read_another_accounts_conversation(client, operator):
    manager = f.user(Role.ACCOUNT_MANAGER, groups=[])
    other_manager = f.user(Role.ACCOUNT_MANAGER, groups=[])
    account = f.customer(Segment.KEY_ACCOUNT, account_manager=other_manager)
    ticket = f.ticket(operator, owner=account)
    received(ticket)
    assert _get(client, manager, ticket).status_code == 404
    assert _get(client, other_manager, ticket).status_code == 200


def test_api_field_engineer_outside_the_group_cannot_read_it(client, ticket):
    received(ticket)
    outsider = f.user(Role.FIELD_ENGINEER, groups=[f.group(TierKind.THIRD_LINE)])
    assert _get(client, outsider, ticket).status_code == 404
