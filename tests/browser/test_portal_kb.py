"""A visitor searches the portal's public help articles; signed in, writing
a new ticket, they are shown the public help article for what they type
before they submit (never the internal one), open it and tell us it helped — in a real Chromium against a live server,
under the desk's Content-Security-Policy."""

from __future__ import annotations

import os
import re

import pytest

from netdesk.knowledge.models import ArticleFeedback, ArticleState, Audience
from netdesk.knowledge.services.articles import article_create
from netdesk.portal.models import HelpSuggestion
from netdesk.portal.tests.helpers_signin import link_secret, subscriber
from netdesk.tickets.models import Ticket
from tests.browser.test_agent_flow import CHROMIUM, browser_page, default_desk  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM} to drive"),
]

PUBLIC_TITLE = "Red light on the router and no internet"
INTERNAL_TITLE = "Router light red: reprovision the line in the ACS"


@pytest.mark.django_db(transaction=True)
def test_customer_sees_a_help_article_while_writing_and_marks_it_helpful(
    live_server,
    browser_page,  # noqa: F811
):
    page = browser_page
    base = live_server.url
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    # Given a published public article, an internal one, and a subscriber
    public = article_create(
        actor=None,
        title=PUBLIC_TITLE,
        body="When the router's light is red it has no line.\n\n"
        "1. Check the cable to the wall socket.\n2. Restart the router.",
        audience=Audience.PUBLIC,
        state=ArticleState.PUBLISHED,
    )
    article_create(
        actor=None,
        title=INTERNAL_TITLE,
        body="Router light red: reprovision the line.",
        audience=Audience.INTERNAL,
        state=ArticleState.PUBLISHED,
    )
    contact = subscriber(name="Petra Brandt")

    # The help articles are public: searched before signing in
    page.goto(f"{base}/portal/")
    page.wait_for_url(re.compile(r"/portal/sign-in/"))
    page.get_by_role("link", name="Help articles").click()
    page.get_by_label("What do you need help with?").fill("router light red")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=PUBLIC_TITLE).wait_for()
    assert INTERNAL_TITLE not in page.inner_text("main")

    # When they sign in by their mailed link and start a new ticket
    page.goto(f"{base}/portal/sign-in/link/{link_secret(contact)}/")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/portal/")
    page.get_by_role("link", name="New ticket").click()
    description = page.get_by_label("Tell us what happened")
    description.press_sequentially("no internet, router light red", delay=20)

    # Then the public article is suggested before they submit, never the internal one
    suggestions = page.locator(".kb-suggest")
    suggested = suggestions.get_by_role("link", name=PUBLIC_TITLE)
    suggested.wait_for()
    assert "Restart the router" in suggestions.inner_text()
    assert INTERNAL_TITLE not in suggestions.inner_text()
    assert not Ticket.objects.filter(customer=contact.customer).exists()

    # When they open it (a new tab: the ticket being written stays)
    with page.context.expect_page() as opened:
        suggested.click()
    reading = opened.value
    reading.get_by_role("heading", name=PUBLIC_TITLE).wait_for()
    assert "Check the cable to the wall socket." in reading.inner_text("article")

    # ... and say it helped
    reading.get_by_label(re.compile("What was missing")).fill("The restart did it.")
    reading.get_by_role("button", name="Yes, it helped").click()
    reading.get_by_text("Thank you for telling us.").wait_for()

    verdict = ArticleFeedback.objects.get(article=public)
    assert (verdict.contact_id, verdict.helpful) == (contact.pk, True)
    assert verdict.comment == "The restart did it."
    (shown,) = HelpSuggestion.objects.all()
    assert (shown.article_id, shown.ticket_id) == (public.pk, None)
    assert shown.opened_at is not None
    # The ticket being written is still there in the first tab.
    assert description.input_value() == "no internet, router light red"
    assert violations == []
