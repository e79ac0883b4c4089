"""The knowledge base where the agent writes: an article suggested while the
title of a new ticket is typed, and a macro put into the reply box filled in
for the ticket — in a real Chromium against a live server."""

from __future__ import annotations

import os

import pytest
from django.urls import reverse

from netdesk.accounts.models import Role, TierKind
from netdesk.knowledge.models import ArticleState, Macro
from netdesk.knowledge.search import Reader, search
from netdesk.knowledge.search.embedder import embeddings_batch
from netdesk.knowledge.services.articles import article_create
from netdesk.knowledge.services.macros import macro_create
from tests import factories as f
from tests.browser.test_agent_flow import (  # noqa: F401 - fixtures shared with the agent flow
    CHROMIUM,
    browser_page,
    default_desk,
    log_in,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM} to drive"),
]

# Installed through the browser's debugging protocol (not the page's own
# scripts, so the page's Content-Security-Policy still holds for them).
TIMING_PROBE = """(title) => {
  document.addEventListener("keyup", () => { window.kbLastKeyAt = performance.now(); }, true);
  const box = document.getElementById("kb-suggestions");
  new MutationObserver((changes, observer) => {
    const shown = [...box.querySelectorAll("a")].some((a) => a.textContent === title);
    if (shown) { window.kbShownAt = performance.now(); observer.disconnect(); }
  }).observe(box, { childList: true, subtree: true });
}"""


@pytest.mark.django_db(transaction=True)
def test_typing_a_title_suggests_the_matching_published_article(live_server, browser_page):  # noqa: F811
    page = browser_page
    base = live_server.url
    operator = f.user(Role.HOTLINE_OPERATOR, username="olivia")
    lead = f.user(Role.TEAM_LEAD)
    article = article_create(
        actor=lead,
        title="Router LED blinks red after a power cut",
        body="Unplug the router for 30 seconds; if the LED stays red, check the fibre cable.",
        state=ArticleState.PUBLISHED,
    )
    article_create(
        actor=lead,
        title="Router LED red: draft notes",
        body="Not published yet.",
    )
    caller = f.customer(name="Bäckerei Sonnenschein")
    # What the worker does after an article changes: embed it. Then one
    # question loads the model into this process (the served desk's), as the
    # first agent of the day would; the keystrokes below find it loaded.
    embeddings_batch()
    search(text="router led", reader=Reader(user=operator))

    log_in(page, base, operator.username)
    page.goto(f"{base}/customers/{caller.pk}/tickets/new/")
    suggestions = page.locator("#kb-suggestions")
    assert suggestions.is_hidden()
    # Timed in the page: from the last keystroke to the suggested article's
    # link in the box (Playwright's own polling would add up to half a second).
    page.evaluate(TIMING_PROBE, article.title)
    page.get_by_label("Title").press_sequentially("router led red")
    found = suggestions.get_by_role("link", name=article.title)
    found.wait_for(timeout=5_000)
    waited_ms = page.evaluate("window.kbShownAt - window.kbLastKeyAt")
    assert 0 < waited_ms < 1_000
    assert found.get_attribute("href") == reverse("kb_article_detail", args=[article.pk])
    assert suggestions.get_attribute("aria-live") == "polite"
    # Drafts are never suggested.
    assert suggestions.get_by_text("draft notes").count() == 0

    # The description feeds the same suggestions.
    page.get_by_label("Description").fill("The fibre cable was unplugged")
    suggestions.get_by_role("link", name=article.title).wait_for()
    # Keyboard: the suggestion is reachable by Tab from the description.
    page.get_by_label("Description").focus()
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.textContent") == (
            article.title
        ):
            break
    else:
        pytest.fail("the suggested article cannot be reached with the keyboard")


@pytest.mark.django_db(transaction=True)
def test_picking_a_macro_fills_the_reply_box_for_the_ticket(live_server, browser_page):  # noqa: F811
    page = browser_page
    base = live_server.url
    hotline = f.group(TierKind.FIRST_LINE)
    noc = f.group(TierKind.SECOND_LINE)
    operator = f.user(Role.HOTLINE_OPERATOR, groups=[hotline], username="olivia")
    boss = f.user(Role.SERVICE_DESK_MANAGER)
    greeting = macro_create(
        actor=boss,
        name="Greeting",
        body="Hello {{customer.name}}, this is about {{ticket.reference}}. ETA: {{incident.eta}}",
        group_ids=[hotline.pk],
    )
    macro_create(actor=boss, name="NOC only", body="For the NOC.", group_ids=[noc.pk])
    ticket = f.ticket(operator, f.customer(name="Bäckerei Sonnenschein"))

    log_in(page, base, operator.username)
    page.goto(f"{base}/tickets/{ticket.reference}/")
    page.get_by_role("link", name="Reply", exact=True).click()
    picker = page.locator("#action-comment [data-macro-picker]")
    choice = picker.get_by_label("Macro")
    choice.locator("option", has_text="Greeting").wait_for(state="attached")
    assert choice.locator("option", has_text="NOC only").count() == 0
    choice.select_option(label="Greeting (en)")
    picker.get_by_role("button", name="Insert").click()

    # The picker names what the ticket had no value for once the text is in.
    picker.get_by_role("status").get_by_text("incident.eta").wait_for()
    text = page.locator("#id_comment-body").input_value()
    assert text.startswith(f"Hello Bäckerei Sonnenschein, this is about {ticket.reference}.")
    assert text.endswith("ETA: [incident.eta: none]")
    assert Macro.objects.get(pk=greeting.pk).uses == 1
