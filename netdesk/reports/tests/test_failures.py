"""The network failure report on hand-made incidents in June 2026: one
resolved (alarm), one ongoing (complaints), one on each side of the month."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from netdesk.accounts.models import Role
from netdesk.core.csvexport import csv_text
from netdesk.core.errors import NotFound, ValidationFailed
from netdesk.noc.models import IncidentState, IncidentTicket, IncidentUpdate, NetworkIncident
from netdesk.reports.failures import (
    failure_incident,
    failure_report,
    failure_rows,
    incident_table,
    parse_month,
    totals_table,
)
from netdesk.sla.models import BusinessCalendar, SlaPolicy, SlaTimer
from tests import factories as f

pytestmark = pytest.mark.django_db
JUNE = datetime(2026, 6, 1, tzinfo=UTC)
NOW = datetime(2026, 6, 25, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return JUNE.replace(day=day, hour=hour, minute=minute)


def incident(**extra: object) -> NetworkIncident:
    fields: dict[str, object] = {
        "title": "OLT down",
        "detected_by": "alarm",
        "started_at": at(3, 10),
        "detected_at": at(3, 10, 5),
    }
    fields.update(extra)
    return NetworkIncident.objects.create(**fields)


def link(incident_row: NetworkIncident, ticket, **extra: object) -> IncidentTicket:
    return IncidentTicket.objects.create(
        incident=incident_row, ticket=ticket, linked_at=incident_row.detected_at, **extra
    )


def timer(ticket, policy, *, kind="sla", breached=True, state=None) -> SlaTimer:
    return SlaTimer.objects.create(
        ticket=ticket,
        policy=policy,
        kind=kind,
        metric="resolution",
        started_at=JUNE,
        target_seconds=3600,
        state=state or ("breached" if breached else "met"),
        breached_at=JUNE + timedelta(hours=1) if breached else None,
        computed_at=JUNE,
    )


@pytest.fixture
def june():
    operator = f.user()
    noc = f.user(Role.NOC_ENGINEER, first_name="Nora", last_name="Ops")
    bank = f.customer("key_account", name="Hauptstadt Bank")
    airport = f.customer("key_account", name="Airport BER")
    cut = incident(
        state=IncidentState.RESOLVED,
        resolved_at=at(3, 12),
        affected_services=40,
        affected_customers=30,
        root_cause="Fibre cut by roadworks",
    )
    cut.affected_key_accounts.add(bank, airport)
    breached, met, unlinked = f.ticket(operator), f.ticket(operator), f.ticket(operator)
    SlaTimer.objects.filter(ticket__in=[breached, met, unlinked]).delete()
    link(cut, breached)
    link(cut, met, automatic=True)
    link(cut, unlinked, unlinked_at=at(3, 11), unlink_reason="Not on this OLT")
    calendar = BusinessCalendar.objects.create(name="Always", always_open=True)
    gold = SlaPolicy.objects.create(name="Gold", calendar=calendar)
    timer(breached, gold)
    timer(breached, gold, kind="ola")  # internal hand-off: not an SLA impact
    timer(met, gold, breached=False)
    timer(met, gold, state="cancelled")
    timer(unlinked, gold)  # not the incident's ticket any more
    IncidentUpdate.objects.create(
        incident=cut,
        at=at(3, 10, 30),
        state=IncidentState.IDENTIFIED,
        technical_note="Splice at manhole 7",
        customer_message="A cable was damaged.",
        author=noc,
    )
    ongoing = incident(
        title="Customers in Pankow without TV",
        detected_by="complaints",
        detected_by_user=noc,
        started_at=at(20, 8),
        detected_at=at(20, 8, 30),
        state=IncidentState.IDENTIFIED,
        affected_services=5,
        affected_customers=4,
    )
    ongoing.affected_key_accounts.add(bank)
    incident(started_at=datetime(2026, 5, 31, 23, 59, tzinfo=UTC))
    incident(started_at=datetime(2026, 7, 1, tzinfo=UTC))
    return {
        "cut": cut,
        "ongoing": ongoing,
        "breached": breached,
        "met": met,
        "noc": noc,
        "bank": bank,
    }


def test_rows_say_when_how_whom_and_what_it_cost(june):
    cut, ongoing = failure_rows(parse_month("2026-06"), now=NOW)
    assert cut["reference"] == june["cut"].reference
    assert cut["detected_by"] == "alarm"
    assert cut["detected_by_user"] is None
    assert cut["time_to_detect_minutes"] == 5.0
    assert cut["duration_minutes"] == 120.0
    assert cut["ongoing"] is False
    assert cut["resolved_at"] == at(3, 12)
    assert cut["key_accounts"] == ["Airport BER", "Hauptstadt Bank"]
    assert cut["tickets"] == [june["breached"].reference, june["met"].reference]
    assert cut["root_cause"] == "Fibre cut by roadworks"
    assert cut["sla_breaches"] == 1
    assert cut["sla_breached_tickets"] == [june["breached"].reference]

    assert ongoing["detected_by"] == "complaints"
    assert ongoing["detected_by_label"] == "Customer complaints"
    assert ongoing["detected_by_user"] == "Nora Ops"
    assert ongoing["time_to_detect_minutes"] == 30.0
    assert ongoing["ongoing"] is True
    assert ongoing["resolved_at"] is None
    assert ongoing["duration_minutes"] == (NOW - at(20, 8)).total_seconds() / 60


def test_month_totals(june):
    totals = failure_report(parse_month("2026-06"), now=NOW)["totals"]
    ongoing_minutes = (NOW - at(20, 8)).total_seconds() / 60
    assert totals == {
        "incidents": 2,
        "resolved": 1,
        "ongoing": 1,
        "outage_minutes": 120.0 + ongoing_minutes,
        "mean_time_to_detect_minutes": 17.5,
        "mean_time_to_restore_minutes": 120.0,
        "services_affected": 45,
        "customers_affected": 34,
        "key_accounts_affected": 2,
        "tickets_linked": 2,
        "sla_breaches": 1,
        "by_detection": {"alarm": 1, "complaints": 1, "manual": 0},
    }


def test_an_empty_month():
    report = failure_report(parse_month("2026-02"))
    assert report["rows"] == []
    assert report["totals"]["incidents"] == 0
    assert report["totals"]["mean_time_to_restore_minutes"] is None


@pytest.mark.parametrize("bad", ["2026-13", "2026-00", "June", "2026-6", "0999-01", "9999-12"])
def test_a_bad_month_names_field_value_and_what_is_accepted(bad):
    with pytest.raises(ValidationFailed) as caught:
        parse_month(bad)
    assert caught.value.field == "month"
    assert caught.value.value == bad
    assert "YYYY-MM" in caught.value.accepted


def test_no_month_is_the_current_one():
    assert parse_month(None, now=NOW).label == "2026-06"
    assert parse_month(" ", now=datetime(2026, 12, 31, 23, tzinfo=UTC)).label == "2026-12"
    december = parse_month("2026-12")
    assert december.end == datetime(2027, 1, 1, tzinfo=UTC)


def test_one_incident_with_tickets_and_timeline(june):
    detail = failure_incident(june["cut"].reference.lower())
    assert [t["reference"] for t in detail["linked_tickets"]] == detail["tickets"]
    assert detail["linked_tickets"][0]["sla_breaches"] == 1
    (update,) = detail["updates"]
    assert update["technical_note"] == "Splice at manhole 7"
    assert update["author"] == "Nora Ops"
    for unknown in ("NI-999999", "NI-abc", "TT-000001", "NI-99999999999999999999"):
        with pytest.raises(NotFound):
            failure_incident(unknown)


def test_csv_tables_list_incidents_and_totals_apart(june):
    june["cut"].title = "=HYPERLINK(evil)"
    june["cut"].save()
    report = failure_report(parse_month("2026-06"), now=NOW)
    rows = list(csv.reader(io.StringIO(csv_text(*incident_table(report)))))
    assert rows[0][:3] == ["Incident", "Title", "State"]
    assert rows[0][3] == "Started at (UTC)"
    assert rows[1][0] == june["cut"].reference
    assert rows[1][1] == "'=HYPERLINK(evil)"  # never a formula in a spreadsheet
    assert rows[1][2] == "Resolved"
    assert rows[1][13] == "Airport BER; Hauptstadt Bank"
    assert len(rows) == 3
    totals = list(csv.reader(io.StringIO(csv_text(*totals_table(report)))))
    assert totals[0] == ["Figure", "Value"]
    assert ["Month", "2026-06"] in totals
    assert ["Detected by customer complaints", "1"] in totals


def _client(role):
    return Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(f.user(role))}")


def test_api_report_csv_and_incident_for_roles_with_the_failure_report(june):
    noc = _client(Role.NOC_ENGINEER)
    body = noc.get("/api/v1/reports/failures", {"month": "2026-06"}).json()
    assert body["month"] == "2026-06"
    assert [r["reference"] for r in body["rows"]] == [
        june["cut"].reference,
        june["ongoing"].reference,
    ]
    assert body["totals"]["sla_breaches"] == 1
    response = noc.get("/api/v1/reports/failures.csv", {"month": "2026-06"})
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="failures-2026-06.csv"' in response["Content-Disposition"]
    detail = noc.get(f"/api/v1/reports/failures/{june['cut'].reference}").json()
    assert detail["updates"][0]["customer_message"] == "A cable was damaged."
    for role in (Role.HOTLINE_OPERATOR, Role.FIELD_ENGINEER):
        client = _client(role)
        for path in (
            "/api/v1/reports/failures",
            "/api/v1/reports/failures.csv",
            f"/api/v1/reports/failures/{june['cut'].reference}",
        ):
            response = client.get(path)
            assert response.status_code == 403
            assert response["Content-Type"] == "application/problem+json"


def test_account_managers_see_every_incident_but_only_their_accounts(june):
    manager = f.user(Role.ACCOUNT_MANAGER)
    bank = june["bank"]
    bank.account_manager = manager
    bank.save()
    mine = f.ticket(f.user(), bank)
    link(june["cut"], mine)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(manager)}")
    cut, ongoing = client.get("/api/v1/reports/failures", {"month": "2026-06"}).json()["rows"]
    assert cut["key_accounts"] == ongoing["key_accounts"] == ["Hauptstadt Bank"]
    assert cut["tickets"] == [mine.reference]
    assert cut["affected_customers"] == 30  # the incident's own figure
    detail = client.get(f"/api/v1/reports/failures/{june['cut'].reference}").json()
    assert [t["reference"] for t in detail["linked_tickets"]] == [mine.reference]
    everything = failure_rows(parse_month("2026-06"))[0]
    assert len(everything["tickets"]) == 3


def test_api_bad_month_is_a_problem_document():
    lead = _client(Role.TEAM_LEAD)
    for path in ("/api/v1/reports/failures", "/api/v1/reports/failures.csv"):
        response = lead.get(path, {"month": "2026-13"})
        assert response.status_code == 422
        assert response["Content-Type"] == "application/problem+json"
        (error,) = response.json()["errors"]
        assert error["field"] == "month"
        assert error["value"] == "2026-13"
        assert "YYYY-MM" in error["accepted"]
    missing = lead.get("/api/v1/reports/failures/NI-424242")
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/problem+json"


def test_page_with_totals_links_and_month_errors(june, client):
    client.force_login(f.user(Role.SERVICE_DESK_MANAGER))
    response = client.get(reverse("failure_report"), {"month": "2026-06"})
    assert response.status_code == 200
    page = response.content.decode()
    assert june["cut"].reference in page
    assert reverse("ticket_detail", args=[june["breached"].reference]) in page
    assert "Fibre cut by roadworks" in page
    assert "/api/v1/reports/failures.csv?month=2026-06" in page
    bad = client.get(reverse("failure_report"), {"month": "June"})
    assert bad.status_code == 422
    assert "is not a month" in bad.content.decode()
    client.force_login(f.user(Role.HOTLINE_OPERATOR))
    assert client.get(reverse("failure_report")).status_code == 403
    client.force_login(f.user(Role.NOC_ENGINEER))
    assert client.get(reverse("failure_report")).status_code == 200


def _more_incidents(count, operator, policy):
    for n in range(count):
        row = incident(started_at=at(10, n % 24), detected_at=at(10, n % 24, 10))
        row.affected_key_accounts.add(f.customer("key_account"))
        ticket = f.ticket(operator)
        link(row, ticket)
        timer(ticket, policy)


def test_queries_do_not_grow_with_incidents(june):
    operator = f.user()
    policy = SlaPolicy.objects.get(name="Gold")
    lead = _client(Role.TEAM_LEAD)
    lead.get("/api/v1/me")  # the token's first use is recorded once: not part of the count
    counts = []
    for extra in (1, 15):
        _more_incidents(extra, operator, policy)
        with CaptureQueriesContext(connection) as selector:
            rows = failure_rows(parse_month("2026-06"))
        with CaptureQueriesContext(connection) as api:
            assert lead.get("/api/v1/reports/failures", {"month": "2026-06"}).status_code == 200
        counts.append((len(selector), len(api), len(rows)))
    (small_selector, small_api, small_rows), (large_selector, large_api, large_rows) = counts
    assert large_rows == small_rows + 15
    assert small_selector == large_selector == 4
    assert small_api == large_api  # the selector's, plus authentication's and throttling's
