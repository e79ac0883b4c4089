"""The ticket-to-article loop in a real Chromium against a live server: an
agent resolves a ticket and links the article that solved it from the
ticket page's knowledge panel; another drafts an article from a ticket and
lands in the editor with its sections filled."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest

from netdesk.accounts.models import Role
from netdesk.core import views_live
from netdesk.knowledge.models import Article, ArticleLink, ArticleState, LinkKind
from netdesk.knowledge.services.articles import article_create
from tests import factories as f
from tests.browser.test_agent_flow import CHROMIUM, default_desk, log_in  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM} to drive"),
]
# Agent pages long-poll the live events; here a poll answers within this
# many seconds, so none is left reading the database once the test ends.
LIVE_WAIT_SECONDS = 3.0


@pytest.fixture
def page(live_server, default_desk, monkeypatch) -> Iterator[object]:  # noqa: F811
    sync_api = pytest.importorskip("playwright.sync_api")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    monkeypatch.setattr(views_live, "WAIT_SECONDS_MAX", LIVE_WAIT_SECONDS)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        try:
            opened = browser.new_page()
            opened.set_default_timeout(10_000)
            yield opened
        finally:
            browser.close()
            for thread in threading.enumerate():
                if "process_request_thread" in thread.name:
                    thread.join(timeout=LIVE_WAIT_SECONDS + 5)


@pytest.mark.django_db(transaction=True)
def test_resolve_link_the_solving_article_and_draft_from_a_ticket(live_server, page):
    base = live_server.url
    anna = f.user(Role.HOTLINE_OPERATOR, username="anna")
    f.user(Role.HOTLINE_OPERATOR, username="bert")
    lead = f.user(Role.TEAM_LEAD)
    solving = article_create(
        actor=lead,
        title="Fibre modem LOS light red",
        body="Check that the fibre patch cable clicks into the modem.",
        state=ArticleState.PUBLISHED,
    )
    article_create(
        actor=lead,
        title="Invoice explained",
        body="What each line of the invoice means.",
        state=ArticleState.PUBLISHED,
    )
    ticket = f.ticket(anna, title="LOS light red on the modem", description="Since 8 o'clock.")

    # Anna resolves the ticket, then links the article from the panel's search.
    log_in(page, base, "anna")
    page.goto(f"{base}/tickets/{ticket.reference}/")
    page.get_by_role("link", name="Resolve").click()
    resolve = page.locator("#action-resolve")
    resolve.get_by_label("Resolution code").select_option("fixed")
    resolve.get_by_label("Root cause").select_option("customer_side")
    resolve.get_by_label("Notes").fill("Patch cable was loose; clicked it in.")
    resolve.get_by_role("button", name="Resolve").click()
    page.get_by_text(f"{ticket.reference} resolved.").wait_for()
    panel = page.locator("section#kb-panel")
    panel.get_by_role("heading", name="Link the article that solved it").wait_for()
    assert panel.get_by_label("Search articles").input_value() == "LOS light red on the modem"
    search = panel.get_by_label("Search articles")
    search.fill("fibre modem")
    choices = panel.locator("#kb-choices")
    choices.get_by_text("Fibre modem LOS light red").wait_for()
    assert "Invoice explained" not in choices.inner_text()
    choices.get_by_role("button", name=f"{solving.reference} solved it").click()
    page.get_by_text(f"{solving.reference} linked to {ticket.reference}").wait_for()
    links = page.locator("#kb-links")
    links.get_by_text("at first contact").wait_for()
    link = ArticleLink.objects.get()
    assert (link.article_id, link.kind, link.first_contact) == (
        solving.pk,
        LinkKind.SOLVED,
        True,
    )
    page.get_by_role("button", name="Log out").click()

    # Bert drafts an article from another ticket and lands in the editor.
    other = f.ticket(anna, title="Wifi drops every night", description="At 2 am, every night.")
    log_in(page, base, "bert")
    page.goto(f"{base}/tickets/{other.reference}/")
    page.locator("section#kb-panel").get_by_role(
        "button", name="Draft an article from this ticket"
    ).click()
    page.wait_for_url(f"{base}/kb/articles/*/edit/")
    body = page.get_by_label("Body").input_value()
    for section in ("## Symptoms", "## Cause", "## Resolution", "## Applies to"):
        assert section in body
    assert "At 2 am, every night." in body
    assert page.get_by_label("Title").input_value() == "Wifi drops every night"
    draft = Article.objects.get(source_ticket=other)
    assert draft.state == ArticleState.DRAFT
