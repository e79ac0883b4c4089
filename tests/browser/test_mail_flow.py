"""A customer's mail opens a ticket, the agent replies from the ticket page,
the reply reaches a real SMTP server, and the customer's answer threads back
onto the same ticket — in a real Chromium against a live server."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default as default_policy

import pytest

from netdesk.accounts.models import Role
from netdesk.channels.models import Mailbox, OutboundKind, OutboundMessage, Outcome, Source
from netdesk.channels.services.delivery import outbound_deliver_due
from netdesk.channels.services.inbound import mail_take
from netdesk.customers.models import Contact
from netdesk.tickets.models import Ticket
from tests import factories as f
from tests.browser.test_agent_flow import browser_page, default_desk, log_in  # noqa: F401

pytestmark = [pytest.mark.browser]

FIRST_MAIL = b"""From: Carla Kunde <carla@example.net>
To: support@isp.example
Subject: Internet drops every evening
Message-ID: <first.4711@example.net>
Date: Thu, 03 Dec 2026 18:02:00 +0000
Content-Type: text/plain; charset=utf-8

Since Monday the line drops every evening around 8 pm.
"""


def answer_to(message_id: str) -> bytes:
    return f"""From: Carla Kunde <carla@example.net>
To: support@isp.example
Subject: Re: Internet drops every evening
Message-ID: <answer.4712@example.net>
In-Reply-To: {message_id}
References: <first.4711@example.net> {message_id}
Content-Type: text/plain; charset=utf-8

New router is in, no drop since yesterday.

> Please swap the router; a new one is on its way.
""".replace("\n", "\r\n").encode()


@pytest.mark.django_db(transaction=True)
def test_mail_in_reply_out_answer_threads_back(live_server, browser_page, mail_settings):  # noqa: F811
    page = browser_page
    base = live_server.url
    # Given a desk mailbox, an agent and a customer whose contact writes by mail
    mailbox = Mailbox.objects.create(name="support", address="support@isp.example")
    f.user(Role.HOTLINE_OPERATOR, username="olga")
    customer = f.customer(name="Carla Kunde")
    Contact.objects.create(customer=customer, name="Carla Kunde", email="carla@example.net")

    # When the customer's mail arrives through the MTA pipe
    first = mail_take(raw=FIRST_MAIL.replace(b"\n", b"\r\n"), mailbox=mailbox, source=Source.PIPE)
    assert first.outcome == Outcome.TICKET_CREATED
    assert first.ticket_id is not None
    ticket = Ticket.objects.get(pk=first.ticket_id)

    # ... the agent reads it on the ticket page and replies from there
    log_in(page, base, "olga")
    page.goto(f"{base}/tickets/{ticket.reference}/")
    conversation = page.locator("#conversation")
    conversation.get_by_text("Since Monday the line drops every evening").wait_for()
    compose = page.locator("#mail-compose")
    compose.locator("summary").click()
    assert compose.get_by_label("To").input_value() == "carla@example.net"
    compose.get_by_label("Text").fill("Please swap the router; a new one is on its way.")
    compose.get_by_role("button", name="Send reply").click()
    page.wait_for_url(f"{base}/tickets/{ticket.reference}/")
    page.get_by_text("Reply to carla@example.net queued.").wait_for()

    # ... the worker hands it to the mail server
    outbound_deliver_due()
    reply = OutboundMessage.objects.get(ticket=ticket, kind=OutboundKind.REPLY)
    assert reply.state == "sent"
    (delivered,) = [
        message_from_bytes(m.raw, policy=default_policy)
        for m in mail_settings.messages
        if f"<{reply.message_id}>" in m.raw.decode("utf-8", "replace")
    ]
    assert "Please swap the router" in delivered.get_content()
    assert "carla@example.net" in delivered["To"]

    # ... and the customer answers that very mail
    answer = mail_take(raw=answer_to(delivered["Message-ID"]), mailbox=mailbox, source=Source.PIPE)

    # Then the answer is on the same ticket and on its page, quote folded
    assert (answer.outcome, answer.ticket_id) == (Outcome.REPLY_ADDED, ticket.pk)
    page.reload()
    conversation.locator(".mail-text", has_text="New router is in, no drop since").wait_for()
    sent_mail = page.locator(f"#mail-outbound-{reply.pk}")
    assert "Sent" in sent_mail.locator(".delivery").inner_text()
    quote = page.locator(f"#mail-inbound-{answer.pk} details.mail-quote")
    assert not quote.locator("p").is_visible()
    quote.locator("summary").click()
    assert quote.locator("p").is_visible()
