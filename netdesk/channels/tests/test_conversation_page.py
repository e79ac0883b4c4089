"""The conversation on the ticket page: each mail as mail (sender, time,
subject, the new text with the quote folded, files, inline images, delivery
state), nothing rendered raw, and moving an unknown sender."""

from __future__ import annotations

import base64
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from netdesk.accounts.models import Role, TierKind
from netdesk.channels.models import OutboundState, Source
from netdesk.channels.services.delivery import NO_SERVER
from netdesk.channels.services.inbound import mail_take
from netdesk.channels.services.senders import sender_contact_ensure
from netdesk.channels.tests.conversation_rows import attached, received, sent
from netdesk.customers.models import Contact
from netdesk.tickets.models import Ticket
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    agent = f.user()
    client.force_login(agent)
    return agent


@pytest.fixture
def ticket(operator):
    return f.ticket(operator, channel="email")


def page(client, ticket: Ticket) -> str:
    response = client.get(reverse("ticket_detail", args=[ticket.reference]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_received_mail_shows_as_mail(client, ticket, operator):
    received(
        ticket,
        sender="carla@example.net",
        sender_name="Carla Customer",
        subject="Re: modem blinks red",
        text="Still red.\n\n> Please restart it.",
        reply_text="Still red.",
        files=1,
        actor=operator,
    )
    html = page(client, ticket)
    assert "Carla Customer" in html
    assert "&lt;carla@example.net&gt;" in html
    assert "Re: modem blinks red" in html
    # the quoted history waits behind a toggle, no script needed
    assert '<details class="mail-quote">' in html
    assert "&gt; Please restart it." in html
    attachment = ticket.attachments.get()
    assert f'href="/tickets/{ticket.reference}/attachments/{attachment.pk}/"' in html


def test_mail_text_and_html_are_never_rendered_raw(client, ticket):
    received(
        ticket,
        text="<script>alert(1)</script>",
        reply_text="<script>alert(1)</script>",
        sender_name="<b>Mallory</b>",
        html="<p>Sanitised <b>text</b></p>",
    )
    html = page(client, ticket)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;Mallory&lt;/b&gt;" in html
    # the sanitised HTML is shown, and only behind its own toggle
    assert '<div class="mail-html-body"><p>Sanitised <b>text</b></p></div>' in html


def test_inline_images_point_at_the_attachment_view(client, ticket, operator):
    image = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
    raw = (
        b"From: c@example.net\r\nSubject: photo\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/related; boundary="b"\r\n\r\n'
        b'--b\r\nContent-Type: text/html\r\n\r\n<img src="cid:led">\r\n'
        b"--b\r\nContent-Type: image/png\r\nContent-ID: <led>\r\n"
        b'Content-Disposition: inline; filename="led.png"\r\n\r\n' + image + b"\r\n--b--\r\n"
    )
    stored = attached(ticket, actor=operator, name="led.png", content=image)
    # As the intake stores it: the cid of each part stored.
    message = received(ticket, raw=raw, html='<img src="cid:led">', content_ids={"led": stored.pk})
    message.attachments.add(stored)
    html = page(client, ticket)
    assert f'<img src="/tickets/{ticket.reference}/attachments/{stored.pk}/">' in html
    assert "cid:led" not in html


def test_sent_mail_shows_its_delivery_state(client, ticket, settings):
    settings.EMAIL_HOST = "smtp.isp.example"
    sent(ticket, state=OutboundState.BOUNCED, server_answer="550 5.1.1 <c@example.net>: unknown")
    html = page(client, ticket)
    assert "Bounced" in html
    assert "550 5.1.1 &lt;c@example.net&gt;: unknown" in html


def test_queued_mail_without_a_mail_server_says_so(client, ticket, settings):
    settings.EMAIL_HOST = ""
    sent(ticket)
    html = page(client, ticket)
    assert NO_SERVER[0].upper() + NO_SERVER[1:] in html


def test_times_show_in_the_readers_zone(client, ticket, operator):
    operator.time_zone = "Asia/Tokyo"
    operator.save()
    message = received(ticket)
    local = message.received_at.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo"))
    assert f"{local:%Y-%m-%d %H:%M}</time>" in page(client, ticket)


# --- unknown senders -----------------------------------------------------------------------


def unknown_sender_mail(ticket: Ticket) -> Contact:
    contact = sender_contact_ensure(address="new.person@example.org", name="New Person")
    received(ticket, contact=contact, sender="new.person@example.org")
    return contact


def test_unknown_sender_is_badged_with_a_merge_form(client, ticket):
    contact = unknown_sender_mail(ticket)
    html = page(client, ticket)
    assert "Unverified sender" in html
    url = reverse("channels_sender_merge", args=[ticket.reference, contact.pk])
    assert f'action="{url}"' in html


def test_merging_moves_the_sender_into_the_named_customer(client, ticket):
    contact = unknown_sender_mail(ticket)
    target = f.customer(name="Right Customer")
    url = reverse("channels_sender_merge", args=[ticket.reference, contact.pk])
    response = client.post(url, {"account_number": target.account_number})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.customer_id, contact.verified) == (target.pk, True)


def test_merging_into_an_unknown_account_names_it_and_changes_nothing(client, ticket):
    contact = unknown_sender_mail(ticket)
    placeholder = contact.customer_id
    url = reverse("channels_sender_merge", args=[ticket.reference, contact.pk])
    response = client.post(url, {"account_number": "AC-NOPE"})
    assert response.status_code == 422
    assert "AC-NOPE" in response.content.decode()
    contact.refresh_from_db()
    assert contact.customer_id == placeholder


def test_a_verified_contact_cannot_be_merged_from_the_page(client, ticket):
    contact = ticket.customer.contacts.get()
    received(ticket, contact=contact)
    url = reverse("channels_sender_merge", args=[ticket.reference, contact.pk])
    other = f.customer()
    assert client.post(url, {"account_number": other.account_number}).status_code == 404


def test_field_engineer_outside_the_group_sees_no_conversation(client, operator):
    ticket = f.ticket(operator)
    received(ticket)
    engineer = f.user(Role.FIELD_ENGINEER, groups=[f.group(TierKind.THIRD_LINE)])
    client.force_login(engineer)
    assert client.get(reverse("ticket_detail", args=[ticket.reference])).status_code == 404
    contact = unknown_sender_mail(ticket)
    url = reverse("channels_sender_merge", args=[ticket.reference, contact.pk])
    # field engineers do not move senders at all
    assert client.post(url, {"account_number": "AC1"}).status_code == 403


def test_the_page_costs_the_same_queries_for_1_and_20_mails(client, operator):
    def queries_with(count: int) -> int:
        ticket = f.ticket(operator, channel="email")
        for _ in range(count):
            received(ticket, files=1, actor=operator)
            sent(ticket)
        with CaptureQueriesContext(connection) as queries:
            page(client, ticket)
        return len(queries)

    assert queries_with(1) == queries_with(20)


def test_an_inline_image_of_a_piped_mail_shows_from_the_ticket(client, operator):
    # Given an HTML mail with its picture inside, taken through the pipeline
    image = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    )
    raw = (
        b"From: Carla <carla@example.net>\r\nTo: support@isp.example\r\n"
        b"Subject: the router lights\r\nMessage-ID: <lights.1@example.net>\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b'<p>See the lights:</p><img src="cid:lights@example.net">\r\n'
        b"--b\r\nContent-Type: image/png\r\nContent-ID: <lights@example.net>\r\n"
        b'Content-Disposition: inline; filename="lights.png"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(image) + b"--b--\r\n"
    )
    message = mail_take(raw=raw, mailbox=None, source=Source.PIPE)
    ticket = message.ticket
    assert ticket is not None
    stored = ticket.attachments.get(filename="lights.png")
    # Then the page shows it from the ticket's attachment view
    html = page(client, ticket)
    assert f'src="/tickets/{ticket.reference}/attachments/{stored.pk}/"' in html
