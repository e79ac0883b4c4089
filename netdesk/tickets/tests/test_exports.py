"""Ticket list exports: CSV and XLSX, the queue's filters, the reader's visibility."""

import csv
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from netdesk.accounts.models import Role
from netdesk.tickets.exports import EXPORTS_PER_MINUTE
from tests import factories as f

pytestmark = pytest.mark.django_db


def _signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def _csv(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_csv_export_holds_the_list_with_its_columns():
    lead = f.user(Role.TEAM_LEAD)
    owner = f.customer(name="Bäckerei Lind")
    ticket = f.ticket(lead, owner, title="No sync", impact=1, urgency=2)

    rows = _csv(_signed_in(lead).get("/tickets/export.csv?group=all"))

    heading, line = rows[0], rows[1]
    assert len(rows) == 2
    record = dict(zip(heading, line, strict=True))
    assert record["Reference"] == ticket.reference
    assert record["Title"] == "No sync"
    assert record["Customer"] == "Bäckerei Lind"
    assert record["Status"] == "New"
    assert record["Priority"] == "2"
    assert record["Group"] == ticket.group.name
    assert record["Channel"] == "Phone"
    assert record["SLA state"] in ("ok", "warning", "breached", "paused", "none")
    assert any(name.startswith("Created (") for name in heading)
    assert any(name.startswith("Next due (") for name in heading)


def test_a_title_that_looks_like_a_formula_is_quoted():
    lead = f.user(Role.TEAM_LEAD)
    f.ticket(lead, title='=HYPERLINK("http://evil.example","x")')
    rows = _csv(_signed_in(lead).get("/tickets/export.csv?group=all"))
    title = rows[1][rows[0].index("Title")]
    assert title.startswith("'=HYPERLINK")


def test_xlsx_export_through_the_api_opens_with_the_same_rows():
    lead = f.user(Role.TEAM_LEAD)
    tickets = [f.ticket(lead, title=f"Fault {n}") for n in range(3)]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(lead)}")

    response = client.get("/api/v1/tickets/export", {"format": "xlsx", "order": "created"})

    assert response.status_code == 200, response.content
    assert "spreadsheetml" in response["Content-Type"]
    content: bytes = b"".join(getattr(response, "streaming_content"))  # noqa: B009 (a FileResponse's)
    book = load_workbook(io.BytesIO(content), read_only=True)
    sheet = book["Tickets"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "Reference"
    assert [row[0] for row in rows[1:]] == [t.reference for t in tickets]
    assert [row[rows[0].index("Title")] for row in rows[1:]] == ["Fault 0", "Fault 1", "Fault 2"]


def test_an_account_manager_exports_only_their_accounts_tickets():
    manager = f.user(Role.ACCOUNT_MANAGER)
    lead = f.user(Role.TEAM_LEAD)
    own = f.ticket(lead, f.customer(account_manager=manager))
    f.ticket(lead, f.customer())

    rows = _csv(_signed_in(manager).get("/tickets/export.csv?group=all"))

    assert [row[0] for row in rows[1:]] == [own.reference]


def test_the_queue_filters_apply():
    lead = f.user(Role.TEAM_LEAD)
    urgent = f.ticket(lead, impact=1, urgency=1)
    f.ticket(lead, impact=3, urgency=3)

    rows = _csv(_signed_in(lead).get("/tickets/export.csv?group=all&priority=1"))

    assert [row[0] for row in rows[1:]] == [urgent.reference]


def _export_queries(client):
    """Rows exported, and the queries that read tickets (the per-minute
    export count clears an old window now and then: not the list's cost)."""
    with CaptureQueriesContext(connection) as queries:
        rows = _csv(client.get("/tickets/export.csv?group=all"))
    reads = [q["sql"] for q in queries if "rate" not in q["sql"].lower()]
    return len(rows) - 1, len(reads)


def test_the_export_costs_the_same_queries_for_one_ticket_or_many():
    lead = f.user(Role.TEAM_LEAD)
    client = _signed_in(lead)
    f.ticket(lead)
    one, queries_for_one = _export_queries(client)
    for _ in range(6):
        f.ticket(lead)
    many, queries_for_many = _export_queries(client)
    assert (one, many) == (1, 7)
    assert queries_for_many == queries_for_one


def test_a_bad_filter_is_refused_naming_it():
    lead = f.user(Role.TEAM_LEAD)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(lead)}")
    response = client.get("/api/v1/tickets/export", {"format": "csv", "priority": "9"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "priority"
    response = client.get("/api/v1/tickets/export", {"format": "pdf"})
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "message": "format='pdf' is not accepted.",
        "field": "format",
        "value": "pdf",
        "accepted": ["csv", "xlsx"],
    }
    page = _signed_in(lead).get("/tickets/export.csv?created_after=yesterday")
    assert page.status_code == 422
    assert "created_after" in page.content.decode()


def test_an_operator_may_not_export_and_exports_are_counted_per_minute(monkeypatch):
    # One moment throughout: the count is per clock minute, and a slow run
    # crossing into the next minute would start a new count.
    moment = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: moment)
    operator = f.user()
    assert _signed_in(operator).get("/tickets/export.csv").status_code == 403
    lead = f.user(Role.TEAM_LEAD)
    client = _signed_in(lead)
    answers = [
        client.get("/tickets/export.csv?group=all").status_code
        for _ in range(EXPORTS_PER_MINUTE + 1)
    ]
    assert answers[:-1] == [200] * EXPORTS_PER_MINUTE
    assert answers[-1] == 429
