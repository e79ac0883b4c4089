"""A PBX's newCall → answer → hangup pops the caller's customer on the
answering agent's screen only, and the call is in the call log and logged
on a new ticket with its times — in real Chromium against a live server,
the events posted over HTTP to the CTI endpoint."""

from __future__ import annotations

import importlib
import json
import os
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps

from netdesk.accounts.models import Role
from netdesk.core import views_live
from netdesk.phone.models import Call, CallOutcome
from netdesk.phone.services.endpoints import cti_endpoint_create, cti_endpoint_path
from netdesk.tickets.choices import Channel, Direction
from netdesk.tickets.models import Interaction, Ticket
from tests import factories as f

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct-horse-battery-9"
POP_SECONDS = 5
# The live server's long polls last this long here, so that when the test
# ends none is left waiting to read a database the test has closed.
LIVE_WAIT_SECONDS = 3.0

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM} to drive"),
]

# The default tiers, groups, matrix and categories, put back on the tables a
# transactional test may have flushed (idempotent).
DEFAULT_DATA = (
    "netdesk.accounts.migrations.0002_default_tiers",
    "netdesk.tickets.migrations.0002_default_matrix_and_categories",
)


@pytest.fixture
def default_desk(transactional_db) -> None:
    for name in DEFAULT_DATA:
        importlib.import_module(name).create(apps, None)


@pytest.fixture
def chromium(live_server, default_desk, monkeypatch) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the ORM calls
    # the test makes between page steps are plain synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    monkeypatch.setattr(views_live, "WAIT_SECONDS_MAX", LIVE_WAIT_SECONDS)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        try:
            yield browser
        finally:
            browser.close()
            long_polls_answered()


def long_polls_answered() -> None:
    """Wait for the live server's requests still in a long poll to answer."""
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(timeout=LIVE_WAIT_SECONDS + 5)


def signed_in_page(browser: Any, base: str, username: str, problems: list[str]) -> Any:
    """A page of its own browser context (its own session), signed in on the
    queue, once live.js listens for the agent's events."""
    page = browser.new_context().new_page()
    page.set_default_timeout(10_000)
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{base}/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    # The first answer of /live/ gives the cursor; the poll after it listens.
    with page.expect_request(lambda request: "/live/?after=" in request.url):
        page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    return page


def post_event(url: str, **event: Any) -> dict[str, Any]:
    # The live server's own http:// URL, nothing a user gave.
    request = urllib.request.Request(  # noqa: S310
        url,
        data=json.dumps(event).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        answer: dict[str, Any] = json.loads(response.read())
    return answer


@pytest.mark.django_db(transaction=True)
def test_the_answering_agent_alone_sees_the_caller_and_logs_the_call(live_server, chromium):
    base = live_server.url
    # Given two agents at their desks, Anna at extension 201, and a known caller
    anna = f.user(Role.HOTLINE_OPERATOR, username="anna")
    anna.phone_extension = "201"
    anna.save(update_fields=["phone_extension"])
    f.user(Role.HOTLINE_OPERATOR, username="bert")
    caller = f.customer(name="Fibre Bakery GmbH", phone="+49 30 1234567")
    _, token = cti_endpoint_create(name="office PBX")
    cti = f"{base}{cti_endpoint_path(token)}"
    problems: list[str] = []
    anna_page = signed_in_page(chromium, base, "anna", problems)
    bert_page = signed_in_page(chromium, base, "bert", problems)

    # When the PBX rings the queue and Anna answers at 201
    call = {"callId": "pbx-4711", "from": "030 1234567", "to": "+49 30 5550000", "direction": "in"}
    post_event(cti, event="newCall", user=["anna", "bert"], queue="support", **call)
    post_event(cti, event="answer", answeringNumber="201", **call)

    # Then Anna's page pops the caller's customer with the 360 and a new ticket
    pop = anna_page.locator("#screen-pop .screen-pop-panel")
    pop.get_by_text("Fibre Bakery GmbH").wait_for(timeout=POP_SECONDS * 1000)
    assert pop.get_by_role("heading").inner_text() == "Call from 030 1234567"
    assert pop.get_by_role("link", name="Customer 360").get_attribute("href") == (
        f"/customers/{caller.pk}/"
    )
    assert pop.get_by_role("link", name="New ticket from this call").is_visible()

    # ... and when the call ends, its duration and a link to log it
    time.sleep(1.2)
    post_event(cti, event="hangup", cause="normalClearing", answeringNumber="201", **call)
    pop.get_by_text("Call ended after").wait_for(timeout=POP_SECONDS * 1000)
    assert pop.get_by_role("link", name="Log this call").is_visible()

    # ... while Bert's page, listening all along, shows nothing
    bert_page.wait_for_timeout(1000)
    assert bert_page.locator("#screen-pop .screen-pop-panel").count() == 0
    assert bert_page.locator("#screen-pop").inner_text().strip() == ""

    # The call log shows the call with its duration and who answered
    logged = Call.objects.get(call_id="pbx-4711")
    assert logged.outcome == CallOutcome.ANSWERED
    assert logged.answered_by == anna
    assert logged.duration_seconds is not None
    assert logged.duration_seconds >= 1
    log_page = anna_page.context.new_page()
    log_page.goto(f"{base}/calls/")
    row = log_page.locator("tr[data-call-id='pbx-4711']")
    assert row.locator("[data-answered-by]").inner_text() == "anna"
    assert row.locator("[data-duration]").inner_text() == f"{logged.duration_seconds} s"
    assert "Fibre Bakery GmbH" in row.inner_text()

    # Logging it on a new ticket from the pop carries the call's times
    pop.get_by_role("link", name="New ticket from this call").click()
    anna_page.wait_for_url(f"{base}/calls/{logged.pk}/ticket/?customer={caller.pk}")
    assert anna_page.get_by_label("Channel").is_disabled()
    assert anna_page.get_by_label("Direction").input_value() == Direction.INBOUND
    anna_page.get_by_label("Title").fill("Card terminal offline")
    anna_page.get_by_label("What was said").fill("Card terminal lost its line at 9:00")
    anna_page.get_by_role("button", name="Create ticket").click()
    anna_page.wait_for_url(f"{base}/tickets/TT-*/")
    ticket = Ticket.objects.get(customer=caller)
    assert ticket.channel == Channel.PHONE
    report = Interaction.objects.get(ticket=ticket)
    assert report.started_at == logged.answered_at
    assert report.duration_seconds == logged.duration_seconds
    assert report.agent == anna
    assert report.direction == Direction.INBOUND
    log_page.reload()
    assert ticket.reference in log_page.locator("tr[data-call-id='pbx-4711']").inner_text()

    # An unknown number is offered a search; the pop closes from the keyboard
    stranger = {"callId": "pbx-4712", "from": "+44 20 7946 0000", "direction": "in"}
    post_event(cti, event="newCall", user=["anna"], **stranger)
    post_event(cti, event="answer", user=["anna"], **stranger)
    pop = anna_page.locator("#screen-pop .screen-pop-panel")
    search = pop.get_by_role("link", name="Search for +44 20 7946 0000")
    search.wait_for(timeout=POP_SECONDS * 1000)
    assert "/customers/?q=" in (search.get_attribute("href") or "")
    pop.get_by_role("button", name="Dismiss: Call from +44 20 7946 0000").focus()
    anna_page.keyboard.press("Enter")
    assert pop.count() == 0
    assert problems == []
