"""A visitor chats from the test page that embeds the widget with an agent
signed in to the desk in another browser: the agent takes the chat from the
queue, they write both ways and see each other typing, the agent ends it,
and the transcript is a chat contact on a ticket — in real Chromium against
a live server."""

from __future__ import annotations

import os
import threading

import pytest

from netdesk.accounts.models import Role
from netdesk.chat import views_visitor
from netdesk.chat.models import Chat, ChatState
from netdesk.core import views_live
from netdesk.tickets.models import Interaction
from tests import factories as f
from tests.browser.test_agent_flow import CHROMIUM, PASSWORD, default_desk  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM} to drive"),
]
# The live server's long polls (the agent's and the visitor's) last this
# long here, so that when the test ends none is left waiting to read a
# database the test has closed.
LIVE_WAIT_SECONDS = 3.0


@pytest.fixture
def browser(live_server, default_desk, monkeypatch):  # noqa: F811
    sync_api = pytest.importorskip("playwright.sync_api")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    monkeypatch.setattr(views_live, "WAIT_SECONDS_MAX", LIVE_WAIT_SECONDS)
    monkeypatch.setattr(views_visitor, "WAIT_SECONDS_MAX", LIVE_WAIT_SECONDS)
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        try:
            yield launched
        finally:
            launched.close()
            long_polls_answered()


def long_polls_answered() -> None:
    """Wait for the live server's requests still in a long poll to answer."""
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(timeout=LIVE_WAIT_SECONDS + 5)


def _page(browser):
    # Each its own context: the visitor has no desk session, the agent no
    # chat token.
    page = browser.new_context().new_page()
    page.set_default_timeout(10_000)
    return page


@pytest.mark.django_db(transaction=True)
def test_a_visitor_chats_with_an_agent_and_the_transcript_lands_on_a_ticket(live_server, browser):
    base = live_server.url
    f.user(Role.HOTLINE_OPERATOR, username="tom", first_name="Tom")

    # The agent signs in and opens the chat console.
    agent = _page(browser)
    agent.goto(f"{base}/login/")
    agent.get_by_label("User name").fill("tom")
    agent.get_by_label("Password").fill(PASSWORD)
    agent.get_by_role("button", name="Sign in").click()
    agent.wait_for_url(f"{base}/")
    agent.get_by_role("link", name="Chats").click()
    agent.wait_for_url(f"{base}/chat/console/")
    agent.get_by_text("Nobody is waiting.").wait_for()

    # A visitor starts a chat from the page that embeds the widget.
    visitor = _page(browser)
    visitor.goto(f"{base}/chat/demo/")
    visitor.get_by_role("button", name="Chat with us").click()
    widget = visitor.frame_locator("iframe[title='Chat with our service desk']")
    widget.get_by_label("Your name").fill("Vera")
    widget.get_by_label("Email address").fill("vera@example.net")
    widget.get_by_role("button", name="Start chat").click()
    widget.get_by_text("Waiting for an agent").first.wait_for()
    widget.get_by_label("Your message").fill("My router blinks red since the storm.")
    widget.get_by_label("Your message").press("Enter")

    # The agent's queue shows it at once (a live event), and the menu counts it.
    waiting = agent.locator("#chat-waiting li", has_text="Vera")
    waiting.wait_for()
    agent.locator("[data-chat-waiting]", has_text="1").wait_for()
    waiting.get_by_role("button", name="Take").click()
    agent.wait_for_url(f"{base}/chat/console/?chat=CH-*")
    agent.locator("#chat-messages").get_by_text("My router blinks red since the storm.").wait_for()
    widget.get_by_text("Tom joined the chat.").wait_for()

    # Typing shows on both sides; messages go both ways.
    agent.get_by_label("Message").press_sequentially("Plea")
    widget.get_by_text("Tom is typing").wait_for()
    agent.get_by_label("Message").fill("Please unplug it for ten seconds.")
    agent.get_by_role("button", name="Send").click()
    widget.get_by_text("Please unplug it for ten seconds.").wait_for()
    # The widget says "typing" at most every 3 s; its last was the first message.
    visitor.wait_for_timeout(3000)
    widget.get_by_label("Your message").press_sequentially("Done")
    agent.get_by_text("The visitor is typing").wait_for()
    widget.get_by_label("Your message").fill("Done, it is green again. Thanks!")
    widget.get_by_role("button", name="Send").click()
    agent.locator("#chat-messages").get_by_text("Done, it is green again. Thanks!").wait_for()

    # The agent ends the chat; the transcript is filed on a new ticket.
    agent.get_by_label("Outcome").select_option("information_given")
    agent.get_by_role("button", name="End chat").click()
    filed = agent.locator("#chat-filed")
    filed.wait_for()
    chat = Chat.objects.get(visitor_name="Vera")
    assert chat.state == ChatState.ENDED
    assert chat.ticket is not None
    assert chat.ticket.reference in filed.inner_text()
    interaction = Interaction.objects.get(ticket=chat.ticket)
    assert (interaction.channel, interaction.direction, interaction.outcome) == (
        "chat",
        "inbound",
        "information_given",
    )
    assert "Visitor Vera: My router blinks red since the storm." in interaction.summary
    assert "Agent Tom: Please unplug it for ten seconds." in interaction.summary
    assert "Visitor Vera: Done, it is green again. Thanks!" in interaction.summary
    widget.get_by_role("button", name="Start a new chat").wait_for()

    # The ticket page shows the chat as a contact.
    filed.get_by_role("link").click()
    agent.wait_for_url(f"{base}/tickets/{chat.ticket.reference}/")
    agent.get_by_text("Please unplug it for ten seconds.").first.wait_for()


@pytest.mark.django_db(transaction=True)
def test_a_chat_the_visitor_leaves_is_filed_by_the_agent(live_server, browser):
    base = live_server.url
    f.user(Role.HOTLINE_OPERATOR, username="tom", first_name="Tom")
    agent = _page(browser)
    agent.goto(f"{base}/login/")
    agent.get_by_label("User name").fill("tom")
    agent.get_by_label("Password").fill(PASSWORD)
    agent.get_by_role("button", name="Sign in").click()
    agent.wait_for_url(f"{base}/")
    agent.goto(f"{base}/chat/console/")

    visitor = _page(browser)
    visitor.goto(f"{base}/chat/frame/")
    visitor.get_by_label("Your name").fill("Ute")
    visitor.get_by_role("button", name="Start chat").click()
    visitor.get_by_label("Your message").fill("Is my bill correct?")
    visitor.get_by_label("Your message").press("Enter")
    agent.locator("#chat-waiting li", has_text="Ute").get_by_role("button", name="Take").click()
    agent.locator("#chat-messages").get_by_text("Is my bill correct?").wait_for()
    visitor.get_by_text("Tom joined the chat.").wait_for()

    # The visitor leaves: the console offers to file the chat at once.
    visitor.get_by_role("button", name="End chat").click()
    agent.get_by_text("The visitor left: file the chat").wait_for()
    agent.locator("#chat-mine").get_by_text("to file").wait_for()
    agent.get_by_role("button", name="File chat").click()
    agent.locator("#chat-filed").wait_for()
    chat = Chat.objects.get(visitor_name="Ute")
    assert (chat.state, chat.ended_by) == (ChatState.ENDED, "visitor")
    assert chat.ticket is not None
    assert "Visitor Ute: Is my bill correct?" in Interaction.objects.get(ticket=chat.ticket).summary
    agent.locator("#chat-mine").get_by_text("None.").wait_for()
