"""Under the desk's Content-Security-Policy every page still works in a real
browser: no policy violation, and nothing is loaded from another host (the
API docs' Swagger UI comes from the desk's own static files)."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest

from netdesk.accounts.models import Role
from tests import factories as f
from tests.browser.test_agent_flow import (  # noqa: F401
    CHROMIUM,
    browser_page,
    default_desk,
    log_in,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM} to drive"),
]


@pytest.mark.django_db(transaction=True)
def test_pages_run_under_the_policy_and_load_nothing_from_elsewhere(
    live_server,
    browser_page,  # noqa: F811
):
    page = browser_page
    base = live_server.url
    own_host = urlsplit(base).netloc
    violations: list[str] = []
    foreign: list[str] = []

    def on_console(message) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    def on_request(request) -> None:
        address = urlsplit(request.url)
        if address.scheme in {"http", "https"} and address.netloc != own_host:
            foreign.append(request.url)

    page.on("console", on_console)
    page.on("request", on_request)
    manager = f.user(Role.ADMINISTRATOR, username="amira")
    owner = f.customer(name="Café Morgenrot")
    ticket = f.ticket(manager, owner)

    log_in(page, base, manager.username)
    for path in [
        "/",
        f"/customers/{owner.pk}/",
        f"/tickets/{ticket.reference}/",
        "/noc/",
        "/competency/",
        "/reports/kpis/",
        "/status/",
        "/channels/mailboxes/",
        "/channels/quarantine/",
        "/channels/templates/acknowledgement/en/",
        "/admin/",
        "/admin/accounts/user/add/",
        "/chat/console/",
        "/calls/",
        "/chat/demo/",
        "/portal/sign-in/",
        "/no/such/page/",
    ]:
        page.goto(f"{base}{path}")
        # Not "networkidle": an agent page keeps its live-events long poll
        # open, so the network is never idle. Loaded, then a moment for the
        # scripts (and the chat widget's frame) to run.
        page.wait_for_load_state("load")
        page.wait_for_timeout(500)

    page.goto(f"{base}/api/v1/docs")
    page.wait_for_load_state("networkidle")
    # The schema of the whole API is built on the first call: allow for it.
    page.locator("#swagger-ui .information-container").wait_for(timeout=60_000)
    page.get_by_text("NetDesk API").first.wait_for()

    assert violations == []
    assert foreign == []
