"""The widget in real Chromium on the test page, as a site's visitor uses
it: the button opens the chat in its iframe, an identified visitor on a
failed path sees the outage notice and goes on to an agent, messages go
both ways with typing shown, the chat survives a reload of the site's page,
and the visitor ends it — with no policy violation on the way."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from netdesk.chat.models import Chat, ChatMessage, ChatState, EndedBy
from netdesk.chat.services.agent import agent_left, agent_message_add, agent_typing, chat_take
from netdesk.noc.models import NetworkIncident
from tests import factories as f
from tests.browser.test_agent_flow import (  # noqa: F401
    CHROMIUM,
    browser_page,
    default_desk,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM} to drive"),
]


@pytest.mark.django_db(transaction=True)
def test_a_visitor_chats_through_the_widget_on_the_test_page(
    live_server,
    browser_page,  # noqa: F811
) -> None:
    page = browser_page
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    customer = f.customer(account_number="AC-4242")
    olt = f.element()
    f.service(customer, access_element=olt)
    now = timezone.now()
    incident = NetworkIncident.objects.create(
        title="OLT down",
        customer_description="Internet is down in Mitte since 9:00.",
        root_element=olt,
        detected_by="alarm",
        started_at=now - timedelta(minutes=30),
        detected_at=now - timedelta(minutes=25),
    )
    agent = f.user(first_name="Eve")

    page.goto(f"{live_server.url}/chat/demo/")
    page.get_by_role("button", name="Chat with us").click()
    frame = page.frame_locator("#netdesk-chat-frame")
    frame.get_by_label("Your name").fill("Ann")
    frame.get_by_label("Account number").fill("AC-4242")
    frame.get_by_role("button", name="Start chat").click()

    frame.get_by_text("Internet is down in Mitte since 9:00.").wait_for()
    frame.get_by_text(incident.reference).wait_for()
    chat = Chat.objects.get()
    assert chat.queued_at is None
    frame.get_by_role("button", name="Continue to an agent").click()
    frame.get_by_text("Waiting for an agent").wait_for()

    box = frame.get_by_label("Your message")
    box.fill("My fibre is still down")
    box.press("Enter")
    frame.locator(".message.visitor", has_text="My fibre is still down").wait_for()
    assert ChatMessage.objects.get().body == "My fibre is still down"

    chat_take(actor=agent, chat=chat)
    frame.get_by_text("Eve joined the chat.").wait_for()
    agent_typing(actor=agent, chat=chat)
    frame.get_by_text("Eve is typing…").wait_for()
    agent_message_add(actor=agent, chat=chat, text="We are on it, Ann.")
    frame.locator(".message.agent", has_text="We are on it, Ann.").wait_for()

    # The visitor moves to another page of the site: the chat is kept.
    page.reload()
    page.get_by_role("button", name="Chat with us").click()
    frame = page.frame_locator("#netdesk-chat-frame")
    frame.locator(".message.visitor", has_text="My fibre is still down").wait_for()
    frame.locator(".message.agent", has_text="We are on it, Ann.").wait_for()

    agent_left(actor=agent, chat=chat)
    frame.get_by_text("Eve left the chat.", exact=False).first.wait_for()
    frame.get_by_role("button", name="End chat").click()
    frame.get_by_role("button", name="Start a new chat").wait_for()
    chat.refresh_from_db()
    assert (chat.state, chat.ended_by) == (ChatState.ABANDONED, EndedBy.VISITOR)
    assert violations == []
