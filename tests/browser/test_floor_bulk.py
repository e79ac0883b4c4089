"""A team lead ticks two tickets in the queue, assigns both to an agent at
once, reads the summary and sees the new assignee in the queue; the queue's
export link gives the list as CSV — in a real Chromium against a live server."""

from __future__ import annotations

import csv
import io
import os

import pytest

from netdesk.accounts.models import Role
from netdesk.tickets.models import Ticket
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


@pytest.mark.django_db(transaction=True)
def test_team_lead_assigns_two_tickets_at_once_and_exports_the_queue(
    live_server,
    browser_page,  # noqa: F811 (the fixture)
):
    page = browser_page
    hotline = f.group()
    lead = f.user(Role.TEAM_LEAD, groups=[hotline])
    agent = f.user(groups=[hotline], username="karin")
    first = f.ticket(lead, title="Router blinks red")
    second = f.ticket(lead, title="No dial tone")
    untouched = f.ticket(lead, title="Invoice question", ticket_type="billing_inquiry")

    log_in(page, live_server.url, lead.username)
    page.goto(f"{live_server.url}/?group=all")
    page.get_by_label(f"Select {first.reference}").check()
    page.get_by_label(f"Select {second.reference}").check()
    page.get_by_text("2 selected").wait_for()
    page.get_by_label("Action").select_option("assign")
    page.get_by_label("Agent").select_option("karin")
    page.get_by_role("button", name="Apply to selected").click()

    page.get_by_text("2 tickets changed.").wait_for()
    page.get_by_text(f"{first.reference} status new → assigned, assignee none → karin").wait_for()
    row = page.locator("#queue-table tr", has_text=first.reference)
    assert row.locator("td").nth(7).inner_text() == "karin"
    assert set(
        Ticket.objects.filter(pk__in=[first.pk, second.pk]).values_list("assignee_id", flat=True)
    ) == {agent.pk}
    assert Ticket.objects.get(pk=untouched.pk).assignee_id is None

    href = page.get_by_role("link", name="Export CSV").get_attribute("href")
    assert href is not None
    assert href.startswith("/tickets/export.csv?group=all")
    answer = page.request.get(f"{live_server.url}{href}")
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text())))
    assignees = {line[0]: line[rows[0].index("Assignee")] for line in rows[1:]}
    assert assignees[first.reference] == "karin"
    assert assignees[untouched.reference] == ""


@pytest.mark.django_db(transaction=True)
def test_ticks_survive_the_queue_table_being_replaced_by_polling(
    live_server,
    browser_page,  # noqa: F811 (the fixture)
):
    page = browser_page
    lead = f.user(Role.TEAM_LEAD)
    kept = f.ticket(lead, title="Ticked before the refresh")
    other = f.ticket(lead, title="Not ticked")

    log_in(page, live_server.url, lead.username)
    page.goto(f"{live_server.url}/?group=all")
    page.get_by_label(f"Select {kept.reference}").check()
    page.get_by_text("1 selected").wait_for()
    # The table is replaced now as a live change replaces it (a reload aimed
    # at the table, swapped outerHTML like the poll's every few seconds).
    page.evaluate("document.querySelector('#queue-table tbody tr').dataset.old = 'yes'")
    page.evaluate("htmx.ajax('GET', location.href, {target: '#queue-table', swap: 'outerHTML'})")
    page.wait_for_function("!document.querySelector('#queue-table tr[data-old]')")
    assert page.get_by_label(f"Select {kept.reference}").is_checked()
    assert not page.get_by_label(f"Select {other.reference}").is_checked()
    assert page.locator("#bulk-count").inner_text() == "1 selected"
    # The list on screen is now the reloaded one: changes before it are seen.
    assert page.locator("#bulk-seen-at").input_value().endswith("Z")
