"""A hotline operator takes a call, opens a ticket and escalates it to the
NOC; a NOC engineer resolves it — in a real Chromium against a live server."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator

import pytest
from django.apps import apps

from netdesk.accounts.models import Role, TierKind
from netdesk.tickets.choices import Status
from netdesk.tickets.models import Ticket
from netdesk.tickets.models.timeline import EventKind
from tests import factories as f

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct-horse-battery-9"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM} to drive"),
]


# The desk's default tiers, groups, priority matrix and categories come from
# data migrations; a transactional test starts from tables another
# transactional test may have flushed, so they are put back here (idempotent).
DEFAULT_DATA = (
    "netdesk.accounts.migrations.0002_default_tiers",
    "netdesk.tickets.migrations.0002_default_matrix_and_categories",
)


@pytest.fixture
def default_desk(transactional_db) -> None:
    for name in DEFAULT_DATA:
        importlib.import_module(name).create(apps, None)


@pytest.fixture
def browser_page(live_server, default_desk, monkeypatch) -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the ORM calls
    # the test makes between page steps are still plain synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = browser.new_page()
        page.set_default_timeout(10_000)
        try:
            yield page
        finally:
            browser.close()


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")


@pytest.mark.django_db(transaction=True)
def test_call_to_ticket_to_noc_escalation_to_resolution(live_server, browser_page):
    page = browser_page
    base = live_server.url
    # Given a hotline operator, a NOC engineer and a calling customer
    operator = f.user(Role.HOTLINE_OPERATOR, username="olivia")
    noc_group = f.group(TierKind.SECOND_LINE)
    f.user(Role.NOC_ENGINEER, groups=[noc_group], username="nikolai")
    caller = f.customer(name="Bäckerei Sonnenschein", phone="+49 30 7654321")
    line = f.service(caller, product="Fibre 250")

    # When the operator finds the caller by the number shown on the phone
    log_in(page, base, operator.username)
    page.keyboard.press("/")
    page.keyboard.type("030 765 43 21")
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Bäckerei Sonnenschein").click()
    page.get_by_text(line.service_id).wait_for()

    # ... opens a ticket from the call with its call report
    page.get_by_role("link", name="New ticket for this call").click()
    page.get_by_label("Type").select_option("fault")
    # only the fault categories are offered once the type is chosen
    assert page.locator("#id_category optgroup[label='Complaint']").is_disabled()
    page.get_by_label("Category").select_option(label="No service")
    page.get_by_label("Affected service").select_option(str(line.pk))
    page.get_by_label("Impact").select_option("2")
    page.get_by_label("Urgency").select_option("1")
    page.get_by_label("Title").fill("No internet since 07:00, ONT LOS red")
    page.get_by_label("Minutes").fill("6")
    page.get_by_label("What was said").fill("ONT shows LOS; power cycled, cables checked")
    # The operator on the call keeps the ticket unless they untick it.
    assert page.get_by_label("I handle it (assign to me)").is_checked()
    page.get_by_role("button", name="Create ticket").click()
    page.wait_for_url(f"{base}/tickets/TT-*/")
    ticket = Ticket.objects.select_related("category", "assignee").get(customer=caller)
    assert ticket.category is not None
    assert ticket.category.name == "No service"
    assert ticket.assignee == operator
    assert page.locator("#ticket-status").inner_text() == "Assigned"

    # ... and escalates it to the NOC with a reason ("e" opens the form)
    page.keyboard.press("e")
    escalation = page.locator("#action-escalate")
    escalation.get_by_label("To group").select_option(str(noc_group.pk))
    escalation.get_by_label("Reason").fill("LOS on the customer's PON port; please check the OLT")
    escalation.get_by_role("button", name="Escalate to another group").click()
    page.get_by_text(f"{ticket.reference} escalated to {noc_group.name}.").wait_for()
    assert page.locator("#ticket-group").inner_text() == noc_group.name

    # Then a NOC engineer takes it and resolves it with a code and root cause
    page.get_by_role("button", name="Log out").click()
    log_in(page, base, "nikolai")
    page.goto(f"{base}/tickets/{ticket.reference}/")
    page.keyboard.press("a")
    page.get_by_text(f"{ticket.reference} is now assigned to you.").wait_for()
    page.keyboard.press("r")
    resolve = page.locator("#action-resolve")
    resolve.get_by_label("Resolution code").select_option("network_restored")
    resolve.get_by_label("Root cause").select_option("hardware")
    resolve.get_by_label("Notes").fill("Replaced the failed PON line card")
    resolve.get_by_role("button", name="Resolve").click()
    page.get_by_text(f"{ticket.reference} resolved.").wait_for()

    timeline = page.locator("#timeline").inner_text()
    for expected in (
        "Created",
        "Phone · Inbound",
        "ONT shows LOS",
        "Escalated to another group",
        "please check the OLT",
        "Assigned",
        "Resolved",
        "Replaced the failed PON line card",
    ):
        assert expected in timeline
    assert page.locator("#ticket-status").inner_text() == "Resolved"

    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.group == noc_group
    assert ticket.root_cause == "hardware"
    kinds = set(ticket.events.values_list("kind", flat=True))
    assert {EventKind.CREATED, EventKind.ESCALATED_FUNCTIONAL, EventKind.RESOLVED} <= kinds


@pytest.mark.django_db(transaction=True)
def test_live_search_and_shortcut_help(live_server, browser_page):
    page = browser_page
    base = live_server.url
    operator = f.user(Role.HOTLINE_OPERATOR, username="oskar")
    caller = f.customer(name="Fibre Bakery GmbH")
    line = f.service(caller)
    log_in(page, base, operator.username)

    # "?" shows the shortcut help; Escape hides it
    page.keyboard.press("?")
    assert page.locator("#shortcut-help").is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("#shortcut-help").is_visible()

    # "n" starts a new ticket at the customer search; results come as you type
    page.keyboard.press("n")
    page.wait_for_url(f"{base}/customers/?new=1")
    page.locator("#customer-q").press_sequentially(line.service_id, delay=20)
    page.locator("#customer-results").get_by_role("link", name="Fibre Bakery GmbH").wait_for()
    assert page.url == f"{base}/customers/?new=1"  # no reload: htmx swapped the results


@pytest.mark.django_db(transaction=True)
def test_main_actions_in_view_and_a_call_resolved_on_the_call(live_server, browser_page):
    page = browser_page
    base = live_server.url
    # Given an operator with a ticket of theirs, on a laptop-sized screen
    operator = f.user(Role.HOTLINE_OPERATOR, username="rosa")
    caller = f.customer(name="Praxis Dr. Weber", phone="+49 30 5556667")
    ticket = f.ticket(operator, caller, assignee=operator, title="Phones drop every few minutes")
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, base, operator.username)
    page.goto(f"{base}/tickets/{ticket.reference}/")

    # Then reply, note, resolve and escalate are on screen without scrolling
    actions = page.get_by_role("navigation", name="Main actions")
    assert page.evaluate("window.scrollY") == 0
    for name in ("Reply", "Note", "Log a call", "Resolve", "Escalate"):
        box = actions.get_by_role("link", name=name, exact=True).bounding_box()
        assert box is not None, name
        assert box["y"] >= 0, name
        assert box["y"] + box["height"] <= 900, name
    # ... and "Note" opens the note form, in view, set to an internal note
    actions.get_by_role("link", name="Note", exact=True).click()
    assert page.locator("#id_comment-visibility").input_value() == "internal"
    actions.get_by_role("link", name="Reply", exact=True).click()
    assert page.locator("#id_comment-visibility").input_value() == "public"

    # When the caller calls back and the operator solves it on the phone
    actions.get_by_role("link", name="Log a call", exact=True).click()
    call = page.locator("#action-contact")
    assert not call.get_by_label("Resolution code").is_visible()  # asked for only when resolved
    call.get_by_label("Direction").select_option("inbound")
    call.get_by_label("What was said").fill("Replaced the DECT base station power supply")
    call.get_by_label("Outcome").select_option("resolved")
    call.get_by_label("Resolution code").select_option("fixed")
    call.get_by_label("Root cause").select_option("customer_side")
    submit = call.get_by_role("button", name="Log a contact")
    box = submit.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= 900
    submit.click()

    # Then the ticket is resolved in the same step
    page.get_by_text(f"{ticket.reference} resolved on the call.").wait_for()
    assert page.locator("#ticket-status").inner_text() == "Resolved"
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.resolution_code == "fixed"
    assert ticket.first_contact_resolved is True
