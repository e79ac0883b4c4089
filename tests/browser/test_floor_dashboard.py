"""The manager opens the dashboard (no content security policy violation),
clicks the bar of one day's new tickets and lands on the queue showing
exactly that day's tickets — in a real Chromium against a live server."""

from __future__ import annotations

import os
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from netdesk.accounts.models import Role
from netdesk.reports.rollups import rollup_since
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


def at(days_ago: int, hour: int) -> datetime:
    day = timezone.localdate() - timedelta(days=days_ago)
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.mark.django_db(transaction=True)
def test_manager_clicks_a_days_bar_and_sees_its_tickets(
    live_server,
    browser_page,  # noqa: F811 (the fixture)
):
    page = browser_page
    manager = f.user(Role.SERVICE_DESK_MANAGER)
    operator = f.user()
    titles = {3: ["Fibre cut in the yard", "Modem reboots", "Slow at night"], 5: ["No dial tone"]}
    for days_ago, names in titles.items():
        for hour, title in enumerate(names, start=9):
            ticket = f.ticket(operator, title=title)
            Ticket.objects.filter(pk=ticket.pk).update(created_at=at(days_ago, hour))
    f.ticket(operator, title="Raised today")
    rollup_since(since=timezone.localdate() - timedelta(days=10))

    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    log_in(page, live_server.url, manager.username)
    page.get_by_role("link", name="Dashboard").click()
    page.wait_for_selector("#chart-flow svg")
    # The charts are drawn without inline style or script: nothing refused.
    page.wait_for_timeout(300)
    assert violations == []
    day = (timezone.localdate() - timedelta(days=3)).isoformat()
    bar = page.locator(f'#chart-flow svg a[href*="created_after={day}"]')
    assert bar.count() == 1
    assert bar.locator("title").text_content() == f"Tickets in, {day}: 3"
    bar.click()
    page.wait_for_url(f"**/?*created_after={day}*")
    page.wait_for_selector("table tbody tr")
    rows = page.locator("table tbody tr")
    assert rows.count() == 3
    shown = page.locator("table tbody").inner_text()
    for title in titles[3]:
        assert title in shown
    assert "No dial tone" not in shown
    assert "Raised today" not in shown
