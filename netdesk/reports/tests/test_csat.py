"""The satisfaction report: the API per grouping, its errors, an account
manager's scope, the page, the CSV and a fixed number of queries."""

import csv
import io
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from netdesk.accounts.models import Role
from netdesk.customers.models import Segment
from netdesk.surveys.models import Survey, SurveyState
from netdesk.tickets import services
from netdesk.tickets.models import Category, Ticket
from tests import factories as f

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC)
RESOLVED = NOW - timedelta(days=10)
PERIOD = {
    "start": (NOW - timedelta(days=20)).isoformat(),
    "end": (NOW - timedelta(days=1)).isoformat(),
}


def answered(agent, owner, *, rating, comment="", nps=None, category=None, resolved_at=RESOLVED):
    """A ticket resolved by the agent and its survey answered."""
    ticket = f.ticket(agent, owner, category=category)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=resolved_at - timedelta(hours=1))
    ticket.refresh_from_db()
    services.ticket_resolve(
        actor=agent, ticket=ticket, resolution_code="fixed", root_cause="unknown", at=resolved_at
    )
    Survey.objects.filter(ticket=ticket).delete()  # whatever the desk scheduled
    return Survey.objects.create(
        ticket=ticket,
        public_id=secrets.token_hex(16),
        customer=owner,
        group=ticket.group,
        agent=agent,
        category=category,
        segment=owner.served_segment,
        channel="email",
        state=SurveyState.ANSWERED,
        rating=rating,
        nps=nps,
        asks_nps=nps is not None,
        comment=comment,
        resolved_at=resolved_at,
        sent_at=resolved_at + timedelta(hours=1),
        answered_at=resolved_at + timedelta(hours=2),
        created_at=resolved_at,
    )


def api(user):
    return Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(user)}")


@pytest.fixture
def desk():
    """Two agents, two customers (one a business with an account manager),
    four answers; one customer came back about the same thing."""
    manager = f.user(Role.ACCOUNT_MANAGER)
    alice = f.user(username="alice-report")
    bob = f.user(username="bob-report")
    slow = Category.objects.create(name="Slow line", ticket_type="fault")
    home = f.customer(name="Home Customer")
    firm = f.customer(Segment.BUSINESS, account_manager=manager, name="Firm Customer")
    answered(alice, home, rating=5, comment="Quick and friendly", category=slow)
    answered(alice, firm, rating=2, comment="Took three calls", nps=3)
    noisy = Category.objects.create(name="Noisy line", ticket_type="fault")
    answered(bob, home, rating=4, nps=10, category=noisy)
    answered(bob, firm, rating=4, comment="Fine now", category=slow, nps=9)
    # The home customer came back about a slow line three days after
    # alice's resolution: it did not hold.
    later = f.ticket(alice, home, category=slow)
    Ticket.objects.filter(pk=later.pk).update(created_at=RESOLVED + timedelta(days=3))
    return {"manager": manager, "alice": alice, "bob": bob, "slow": slow, "firm": firm}


def test_overall_figures_with_the_held_resolution(desk):
    body = api(f.user(Role.TEAM_LEAD)).get("/api/v1/reports/csat", PERIOD).json()
    overall = body["overall"]
    assert (overall["sent"], overall["responses"], overall["satisfied"]) == (4, 4, 3)
    assert (overall["csat"], overall["mean_rating"]) == (0.75, 3.75)
    # NPS: 10 and 9 promote, 3 detracts, of 3 answers.
    assert (overall["nps_answers"], overall["nps"]) == (3, round(100 / 3, 1))
    # Of four resolutions, the one of the slow line came back within 7 days
    # (the same customer's later ticket, same category, no service).
    assert (overall["held_settled"], overall["held"], overall["held_rate"]) == (4, 3, 0.75)
    assert body["rows"] == []
    assert body["held_window_days"] == 7
    # Newest answer first.
    assert [c["comment"] for c in body["comments"]] == [
        "Fine now",
        "Took three calls",
        "Quick and friendly",
    ]


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        ("agent", {"alice-report": (2, 0.5, 0.5), "bob-report": (2, 1.0, 1.0)}),
        (
            "category",
            {"Slow line": (2, 1.0, 0.5), "Noisy line": (1, 1.0, 1.0), "—": (1, 0.0, 1.0)},
        ),
        ("segment", {"Residential": (2, 1.0, 0.5), "Business": (2, 0.5, 1.0)}),
        ("group", {"Hotline": (4, 0.75, 0.75)}),
    ],
)
def test_rows_per_grouping_carry_csat_and_held_resolution(desk, by, expected):
    body = api(f.user(Role.SERVICE_DESK_MANAGER)).get("/api/v1/reports/csat", {**PERIOD, "by": by})
    assert body.status_code == 200, body.content
    rows = {r["label"]: (r["responses"], r["csat"], r["held_rate"]) for r in body.json()["rows"]}
    assert rows == expected
    # The overall held resolution is the rows' sum, the same as without a grouping.
    overall = body.json()["overall"]
    assert (overall["held_settled"], overall["held"], overall["held_rate"]) == (4, 3, 0.75)


def test_a_bad_grouping_names_the_parameter(desk):
    answer = api(f.user(Role.TEAM_LEAD)).get("/api/v1/reports/csat", {"by": "weather"})
    assert answer.status_code == 422
    (error,) = answer.json()["errors"]
    assert error["field"] == "by"
    assert "agent" in str(error["accepted"])
    upside_down = api(f.user(Role.TEAM_LEAD)).get(
        "/api/v1/reports/csat", {"start": PERIOD["end"], "end": PERIOD["start"]}
    )
    assert upside_down.status_code == 422
    assert upside_down.json()["errors"][0]["field"] == "start"


def test_an_account_manager_sees_only_their_accounts(desk):
    body = api(desk["manager"]).get("/api/v1/reports/csat", {**PERIOD, "by": "agent"}).json()
    assert body["overall"]["responses"] == 2
    assert body["overall"]["held_settled"] == 2
    assert {c["customer"] for c in body["comments"]} == {"Firm Customer"}
    assert {r["label"]: r["responses"] for r in body["rows"]} == {
        "alice-report": 1,
        "bob-report": 1,
    }


def test_agents_may_not_read_it(desk):
    assert api(desk["alice"]).get("/api/v1/reports/csat").status_code == 403
    client = Client()
    client.force_login(desk["alice"])
    assert client.get("/reports/csat/").status_code == 403


def test_the_page_shows_figures_rows_comments_and_a_csv(desk, client):
    client.force_login(f.user(Role.TEAM_LEAD))
    page = client.get(
        "/reports/csat/",
        {
            "start": (NOW - timedelta(days=20)).date().isoformat(),
            "end": (NOW - timedelta(days=2)).date().isoformat(),
            "by": "agent",
        },
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-figure="csat">75 %<' in html
    assert 'data-figure="responses">4<' in html
    assert "alice-report" in html
    assert "Took three calls" in html
    comment = Survey.objects.get(comment="Took three calls")
    assert f'href="/tickets/TT-{comment.ticket_id:06d}/"' in html
    assert "/api/v1/reports/csat.csv?" in html
    assert 'href="/reports/csat/"' in client.get("/").content.decode()
    download = client.get("/api/v1/reports/csat.csv", {**PERIOD, "by": "agent"})
    assert download["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert rows[0][:3] == ["Agent", "sent", "responses"]
    assert [row[0] for row in rows[1:]] == ["alice-report", "bob-report", "Total"]
    assert rows[-1][2] == "4"


def test_a_bad_page_parameter_is_shown_not_raised(desk, client):
    client.force_login(f.user(Role.TEAM_LEAD))
    page = client.get("/reports/csat/", {"by": "weather"})
    assert page.status_code == 422


def test_queries_do_not_grow_with_surveys(desk):
    lead = api(f.user(Role.TEAM_LEAD))
    params = {**PERIOD, "by": "agent"}
    lead.get("/api/v1/reports/csat", params)  # the token's first use
    with CaptureQueriesContext(connection) as few:
        assert lead.get("/api/v1/reports/csat", params).status_code == 200
    for n in range(8):
        agent = f.user()
        answered(agent, f.customer(), rating=1 + n % 5, comment=f"comment {n}")
    with CaptureQueriesContext(connection) as many:
        body = lead.get("/api/v1/reports/csat", params).json()
    assert body["overall"]["responses"] == 12
    assert len(few) == len(many)


def test_a_key_accounts_site_counts_as_a_key_account_in_both_figures():
    lead = f.user(Role.TEAM_LEAD)
    group_account = f.customer(Segment.KEY_ACCOUNT, name="Group Account")
    site = f.customer(Segment.BUSINESS, name="Branch Office", parent_account=group_account)
    answered(lead, site, rating=5)
    body = api(lead).get("/api/v1/reports/csat", {**PERIOD, "by": "segment"}).json()
    assert [(r["key"], r["responses"], r["held_settled"]) for r in body["rows"]] == [
        (Segment.KEY_ACCOUNT, 1, 1)
    ]
