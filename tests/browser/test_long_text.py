"""One long unbroken string (a pasted log line) wraps on the ticket page
instead of widening it — in a real Chromium against a live server."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator

import pytest
from django.apps import apps

from netdesk.tickets.schemas import TEXT_LIMITS
from tests import factories as f

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct-horse-battery-9"
VIEWPORT = {"width": 1440, "height": 900}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM} to drive"),
]


@pytest.fixture
def browser_page(live_server, transactional_db, monkeypatch) -> Iterator[object]:
    for name in (
        "netdesk.accounts.migrations.0002_default_tiers",
        "netdesk.tickets.migrations.0002_default_matrix_and_categories",
    ):
        importlib.import_module(name).create(apps, None)
    sync_api = pytest.importorskip("playwright.sync_api")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport=VIEWPORT)
        page.set_default_timeout(10_000)
        try:
            yield page
        finally:
            browser.close()


@pytest.mark.django_db(transaction=True)
def test_an_unbroken_description_wraps_inside_the_page(live_server, browser_page):
    page = browser_page
    operator = f.user(username="olivia")
    unbroken = "A" * TEXT_LIMITS["description"]
    ticket = f.ticket(operator, description=unbroken)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("User name").fill(operator.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/tickets/{ticket.reference}/")
    page.get_by_text("Description").first.wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= VIEWPORT["width"]
