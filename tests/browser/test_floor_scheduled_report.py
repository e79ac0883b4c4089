"""The team lead subscribes to the KPIs of their group from the KPI page,
sees the subscription in the list and sends it now — in a real Chromium
against a live server; the mail is queued with its files."""

from __future__ import annotations

import os

import pytest

from netdesk.accounts.models import Role
from netdesk.channels.models import OutboundAttachment, OutboundKind, OutboundMessage
from netdesk.reports.models import ReportSubscription
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
def test_lead_subscribes_from_the_kpi_page_and_sends_it_now(
    live_server,
    browser_page,  # noqa: F811 (the fixture)
):
    page = browser_page
    group = f.group()
    lead = f.user(Role.TEAM_LEAD, groups=[group], email="lead@example.net")
    f.ticket(lead)
    log_in(page, live_server.url, lead.username)
    page.goto(f"{live_server.url}/reports/kpis/?scope=group&group={group.pk}")
    page.get_by_role("link", name="Subscribe").click()
    page.wait_for_url("**/reports/subscriptions/new/**")
    assert page.get_by_label("Parameters").input_value() == f"group={group.pk}"
    page.get_by_label("Frequency").select_option("daily")
    page.get_by_label("XLSX").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{live_server.url}/reports/subscriptions/")
    row = page.locator("table.subscriptions tbody tr").first
    assert "daily at 07:00" in row.inner_text()
    row.get_by_role("button", name="Send now").click()
    page.get_by_text("Send now: on request: sent to lead@example.net").wait_for()
    subscription = ReportSubscription.objects.get()
    assert subscription.params == {"group": group.pk}
    mail = OutboundMessage.objects.get(kind=OutboundKind.REPORT)
    names = sorted(
        OutboundAttachment.objects.filter(message=mail).values_list("filename", flat=True)
    )
    assert [name.rsplit(".", 1)[1] for name in names] == ["csv", "xlsx"]
