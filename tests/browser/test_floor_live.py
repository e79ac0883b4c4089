"""Two agents on the floor, each in their own browser: one sees the other
open the reply on the same ticket, is told when the other changes it, is
warned before sending a reply that crossed the other's, and the bell counts
a ticket the other assigned to them."""

from __future__ import annotations

import pytest

from netdesk.accounts.models import Role
from netdesk.core import views_live
from netdesk.tickets.services import ticket_assign
from tests import factories as f
from tests.browser.test_agent_flow import CHROMIUM, PASSWORD, default_desk  # noqa: F401
from tests.browser.test_chat_flow import LIVE_WAIT_SECONDS, long_polls_answered

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not __import__("os").path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM}"
    ),
]


@pytest.fixture
def browser(live_server, default_desk, monkeypatch):  # noqa: F811
    sync_api = pytest.importorskip("playwright.sync_api")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    monkeypatch.setattr(views_live, "WAIT_SECONDS_MAX", LIVE_WAIT_SECONDS)
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


def signed_in(browser, base: str, username: str):
    page = browser.new_context().new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{base}/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    return page


@pytest.mark.django_db(transaction=True)
def test_two_agents_on_one_ticket_see_each_other_and_the_bell_counts(live_server, browser):
    base = live_server.url
    anna = f.user(Role.TEAM_LEAD, username="anna", first_name="Anna")
    ben = f.user(Role.TEAM_LEAD, username="ben", first_name="Ben")
    ticket = f.ticket(anna, title="Fibre down in the whole street")
    url = f"{base}/tickets/{ticket.reference}/"

    a = signed_in(browser, base, "anna")
    b = signed_in(browser, base, "ben")
    a.goto(url)
    b.goto(url)
    a.locator("#bell").wait_for()

    # Ben opens the reply and types: Anna sees him replying.
    b.get_by_role("link", name="Reply", exact=True).click()
    b.locator("#id_comment-body").fill("We are on it: an engineer")
    presence = a.locator("#ticket-presence", has_text="Ben is also replying to this ticket")
    presence.wait_for()

    # Anna starts her own answer; Ben sends his reply meanwhile.
    a.get_by_role("link", name="Reply", exact=True).click()
    a.locator("#id_comment-body").fill("Thank you for waiting")
    b.locator("#id_comment-body").fill("We are on it: an engineer is on the way.")
    b.get_by_role("button", name="Note or reply").click()
    b.get_by_text("added.").first.wait_for()

    # Anna's page says who changed it, keeps what she typed, and warns once.
    a.locator("#ticket-changed", has_text="Updated by Ben").wait_for()
    assert a.locator("#id_comment-body").input_value() == "Thank you for waiting"
    a.get_by_role("button", name="Note or reply").click()
    a.locator(".reply-crossed", has_text="Ben added a reply").wait_for()
    assert a.url == url

    # Ben assigns Anna another ticket: her bell counts it without a reload.
    other = f.ticket(ben, title="Slow line in the evening")
    ticket_assign(actor=ben, ticket=other, assignee=anna)
    a.locator("#bell .count", has_text="1").wait_for()
    a.locator("#bell a").click()
    a.wait_for_url(f"{base}/notifications/")
    a.get_by_role("button", name=f"{other.reference} assigned to you").click()
    a.wait_for_url(f"{base}/tickets/{other.reference}/")
    assert a.locator("#bell .count").count() == 0
