"""SLA compliance on hand-made timers: two met, one breached, one running."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from netdesk.accounts.models import Role
from netdesk.core.csvexport import csv_text
from netdesk.reports.sla import ComplianceQuery, breached_table, compliance_rows, compliance_table
from netdesk.sla.models import BusinessCalendar, SlaPolicy, SlaTimer
from tests import factories as f

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture
def timers():
    calendar = BusinessCalendar.objects.create(name="cal", always_open=True)
    gold = SlaPolicy.objects.create(name="Gold", calendar=calendar)
    bronze = SlaPolicy.objects.create(name="Bronze", calendar=calendar)
    operator = f.user()
    made = []
    for policy, stopped, breached in [
        (gold, T0 + timedelta(days=1), None),  # met
        (gold, T0 + timedelta(days=2), T0 + timedelta(days=1)),  # breached, late
        (bronze, T0 + timedelta(days=3), None),  # met
        (bronze, None, T0 + timedelta(days=4)),  # breached, still running
        (bronze, None, None),  # running, not due: not counted
        (bronze, T0 + timedelta(days=60), None),  # outside the period
    ]:
        ticket = f.ticket(operator)
        SlaTimer.objects.filter(ticket=ticket).delete()
        made.append(
            SlaTimer.objects.create(
                ticket=ticket,
                policy=policy,
                kind="sla",
                metric="resolution",
                started_at=T0,
                target_seconds=3600,
                state="breached" if breached else ("met" if stopped else "running"),
                stopped_at=stopped,
                breached_at=breached,
                due_at=breached,
                computed_at=T0,
            )
        )
    return made


def test_compliance_per_policy(timers):
    rows = compliance_rows(ComplianceQuery(start=T0, end=T0 + timedelta(days=30)))
    assert rows == [
        {
            "dimension": name,
            "label": name,
            "due": 2,
            "met": 1,
            "breached": 1,
            "compliance": 0.5,
            "percent": 50.0,
        }
        for name in ("Bronze", "Gold")
    ]


def test_csv_tables_list_rows_and_breached_tickets_apart(timers):
    query = ComplianceQuery(start=T0, end=T0 + timedelta(days=30), by="metric")
    lines = csv_text(*compliance_table(query)).strip().splitlines()
    assert lines == ["Target,Due,Met,Breached,Compliance (%)", "Resolution,4,2,2,50.0"]
    lines = csv_text(*breached_table(query)).strip().splitlines()
    assert lines[0].startswith("Ticket,Customer,Policy,Target,Group,Breached at (UTC)")
    assert sum(1 for line in lines if line.startswith("TT-")) == 2 == len(lines) - 1


def test_api_report_and_csv_need_the_lead_role(timers):
    lead = f.user(Role.TEAM_LEAD)
    operator = f.user()
    lead_client = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(lead)}")
    params = {"start": "2026-06-01T00:00:00Z", "end": "2026-07-01T00:00:00Z", "by": "priority"}
    body = lead_client.get("/api/v1/reports/sla", params).json()
    assert sum(r["due"] for r in body["rows"]) == 4
    assert len(body["breached"]) == 2
    csv_response = lead_client.get("/api/v1/reports/sla.csv", params)
    assert csv_response["Content-Type"].startswith("text/csv")
    denied = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(operator)}").get(
        "/api/v1/reports/sla", params
    )
    assert denied.status_code == 403


def test_report_page_shows_rows_and_is_for_leads(timers, client):
    client.force_login(f.user(Role.TEAM_LEAD))
    page = client.get("/reports/sla/", {"start": "2026-06-01", "end": "2026-06-30"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Gold" in html
    assert "Bronze" in html
    assert "50.0 %" in html
    client.force_login(f.user())
    assert client.get("/reports/sla/").status_code == 403
