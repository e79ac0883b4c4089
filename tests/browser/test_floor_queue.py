"""A team lead opens the at-risk view and sees a ticket about to breach in
amber and a late one in red, counting down; then saves a queue view and the
queue reopens on it — in a real Chromium against a live server."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from netdesk.accounts.models import Role
from netdesk.tickets.models import SavedView, Ticket
from tests import factories as f
from tests.browser.test_agent_flow import (  # noqa: F401 (fixtures)
    CHROMIUM,
    browser_page,
    default_desk,
    log_in,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM} to drive"),
]


def due_in(ticket: Ticket, minutes: int, warn_before: int = 15) -> None:
    due = timezone.now() + timedelta(minutes=minutes)
    Ticket.objects.filter(pk=ticket.pk).update(
        sla_next_due_at=due,
        sla_warn_at=due - timedelta(minutes=warn_before),
        sla_paused=False,
        sla_breached=False,
    )


@pytest.mark.django_db(transaction=True)
def test_at_risk_view_shows_amber_and_red_countdowns(
    live_server,
    browser_page,  # noqa: F811 (the fixture)
):
    page = browser_page
    hotline = f.group()
    lead = f.user(Role.TEAM_LEAD, groups=[hotline])
    soon = f.ticket(lead, title="Fibre link flapping")
    late = f.ticket(lead, title="Leased line down")
    calm = f.ticket(lead, title="Question about the invoice")
    due_in(soon, 10)
    due_in(late, -7)
    due_in(calm, 300)

    log_in(page, live_server.url, lead.username)
    page.get_by_role("link", name="At risk").first.click()
    page.get_by_role("heading", name="At risk: breaching within 60 min, or breached").wait_for()

    soon_cell = page.locator("#queue-table tr", has_text=soon.reference).locator("td.due")
    late_cell = page.locator("#queue-table tr", has_text=late.reference).locator("td.due")
    assert "sla-warning" in (soon_cell.get_attribute("class") or "")
    assert "⚠" in soon_cell.inner_text()
    assert "in 10 min" in soon_cell.inner_text() or "in 9 min" in soon_cell.inner_text()
    assert "sla-breached" in (late_cell.get_attribute("class") or "")
    assert "late" in late_cell.inner_text()
    assert page.locator("#queue-table tr", has_text=calm.reference).count() == 0
    page.get_by_text("2 at risk").wait_for()

    # The countdown runs in the page: once the due time passes, the amber
    # cell turns red and says how late, with no reload.
    page.evaluate(
        """ref => {
            const row = [...document.querySelectorAll('#queue-table tr')]
                .find(r => r.textContent.includes(ref));
            const cell = row.querySelector('td.due');
            cell.setAttribute('data-due', new Date(Date.now() - 120000).toISOString());
            document.dispatchEvent(new Event('htmx:afterSwap'));
        }""",
        soon.reference,
    )
    page.locator("#queue-table tr", has_text=soon.reference).locator(
        "td.due.sla-breached"
    ).wait_for()
    assert "2 min late" in soon_cell.inner_text()


@pytest.mark.django_db(transaction=True)
def test_a_saved_view_is_saved_and_the_queue_reopens_on_it(
    live_server,
    browser_page,  # noqa: F811 (the fixture)
):
    page = browser_page
    hotline = f.group()
    agent = f.user(groups=[hotline])
    mailed = f.ticket(agent, title="Mail: modem resets", channel="email")
    phoned = f.ticket(agent, title="Call: slow line", channel="phone")

    log_in(page, live_server.url, agent.username)
    page.goto(f"{live_server.url}/?group=all&channel=email&order=due")
    page.locator("#queue-table").get_by_text(mailed.reference).wait_for()
    page.get_by_text("Save view", exact=True).first.click()
    page.get_by_label("Name").fill("Mail to answer")
    page.locator(".save-view").get_by_label("Customer").uncheck()
    page.get_by_label("Open the queue on this view").check()
    page.get_by_role("button", name="Save view").click()
    page.get_by_text("Saved the view “Mail to answer”.").wait_for()

    view = SavedView.objects.get(owner=agent)
    assert view.query == {"group": ["all"], "channel": ["email"]}
    assert view.order == "due"
    assert "customer" not in view.columns

    # The plain queue opens on the default view: its filter and columns.
    page.goto(f"{live_server.url}/")
    page.get_by_role("heading", name="Queue: Mail to answer").wait_for()
    table = page.locator("#queue-table")
    table.get_by_text(mailed.reference).wait_for()
    assert table.get_by_text(phoned.reference).count() == 0
    assert table.locator("th", has_text="Customer").count() == 0
    assert table.locator("th", has_text="Due").count() == 1

    # And from the views menu.
    page.goto(f"{live_server.url}/?group=all")
    table.get_by_text(phoned.reference).wait_for()
    page.locator(".views-menu").get_by_label("View").select_option(str(view.pk))
    page.locator(".views-menu").get_by_role("button", name="Open").click()
    page.get_by_role("heading", name="Queue: Mail to answer").wait_for()
    assert page.locator("#queue-table").get_by_text(phoned.reference).count() == 0
