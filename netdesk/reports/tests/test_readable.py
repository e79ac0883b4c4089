"""Reports people can read: labels rather than codes, durations in hours and
minutes, whole days in the reader's zone (the page and its CSV agree), key
accounts only where the report says key accounts."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from netdesk.accounts.models import Role
from netdesk.noc.models import IncidentState, NetworkIncident
from netdesk.reports.formatting import format_duration
from netdesk.sla.models import BusinessCalendar, SlaPolicy, SlaTimer
from netdesk.tickets.models import Ticket
from tests import factories as f

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def breached_timer(ticket: Ticket, at: datetime, metric: str = "resolution") -> SlaTimer:
    calendar, _ = BusinessCalendar.objects.get_or_create(name="cal", always_open=True)
    policy, _ = SlaPolicy.objects.get_or_create(name="Gold", calendar=calendar)
    SlaTimer.objects.filter(ticket=ticket, metric=metric).delete()
    return SlaTimer.objects.create(
        ticket=ticket,
        policy=policy,
        kind="sla",
        metric=metric,
        started_at=at - timedelta(hours=2),
        target_seconds=3600,
        state="breached",
        stopped_at=at,
        breached_at=at - timedelta(hours=1),
        due_at=at - timedelta(hours=1),
        computed_at=at,
    )


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, "—"),
        (0, "0 s"),
        (42.4, "42 s"),
        (60, "1 min"),
        (7500, "2 h 05 min"),
        (93_600, "26 h 00 min"),
    ],
)
def test_durations_read_as_hours_and_minutes(seconds, shown):
    assert format_duration(seconds) == shown


@pytest.fixture
def lead(client):
    user = f.user(Role.TEAM_LEAD)
    user.time_zone = "Europe/Berlin"
    user.save(update_fields=["time_zone"])
    client.force_login(user)
    return user


def test_sla_page_shows_labels_not_codes(lead, client):
    operator = f.user()
    now = timezone.now()
    breached_timer(f.ticket(operator, f.customer("key_account")), now - timedelta(days=1))
    breached_timer(f.ticket(operator, impact=1, urgency=1), now - timedelta(days=2))
    expected = {
        "segment": ("Customer segment", ["Group / key account", "Residential"], "key_account"),
        "priority": ("Priority", ["P1 critical"], "<tr><td>1</td>"),
        "metric": ("Target", ["Resolution"], "resolution<"),
    }
    for by, (heading, labels, code) in expected.items():
        html = client.get("/reports/sla/", {"by": by}).content.decode()
        table = html[html.index("<table") : html.index("</table>")]
        assert f"<th>{heading}</th>" in table
        for label in labels:
            assert label in table
        assert code not in table


def test_per_key_account_lists_key_accounts_only(lead, client):
    operator = f.user()
    now = timezone.now() - timedelta(days=1)
    bank = f.customer("key_account", name="Hauptstadt Bank")
    branch = f.customer("business", name="Hauptstadt Bank – Mitte", parent_account=bank)
    breached_timer(f.ticket(operator, bank), now)
    breached_timer(f.ticket(operator, branch), now)
    breached_timer(f.ticket(operator, f.customer("business", name="Bäckerei Schulz")), now)
    breached_timer(f.ticket(operator, f.customer(name="Anna Privat")), now)
    response = client.get("/reports/sla/", {"by": "key_account"})
    assert [(r["label"], r["due"]) for r in response.context["rows"]] == [("Hauptstadt Bank", 2)]
    html = response.content.decode()
    assert "Bäckerei Schulz" not in html
    assert "Anna Privat" not in html


def test_whole_day_default_period_in_the_readers_zone_and_the_csv_agrees(lead, client):
    operator = f.user()
    today = timezone.localdate(timezone=BERLIN)
    first_day = today - timedelta(days=29)
    midnight = datetime(first_day.year, first_day.month, first_day.day, tzinfo=BERLIN)
    # Breached a minute before and a minute after the first day began, in Berlin.
    breached_timer(f.ticket(operator), midnight - timedelta(minutes=1))
    inside = breached_timer(f.ticket(operator), midnight + timedelta(minutes=1))
    response = client.get("/reports/sla/", {"by": "metric"})
    report = response.context["report"]
    assert report.start == midnight
    assert timezone.localtime(report.end, BERLIN).time() == datetime.min.time()
    assert [t.pk for t in response.context["breached"]] == [inside.pk]
    form = response.context["form"]
    assert form["start"].value() == first_day.isoformat()
    assert form["end"].value() == today.isoformat()
    html = response.content.decode()
    assert 'type="date"' in html
    assert f'value="{first_day.isoformat()}"' in html
    link = html[html.index("/api/v1/reports/sla.csv?") :].split('"', 1)[0]
    query = parse_qs(link.split("?", 1)[1].replace("&amp;", "&"))
    assert datetime.fromisoformat(query["start"][0]) == report.start
    assert datetime.fromisoformat(query["end"][0]) == report.end
    for table, count in (("compliance", 1), ("breached", 1)):
        response = client.get(link.replace("&amp;", "&") + f"&table={table}")
        body = b"".join(response.streaming_content).decode()
        assert len(list(csv.reader(io.StringIO(body)))) == 1 + count
    # An API call without a period reads the same whole days (in the desk's zone).
    api = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(lead)}")
    body = api.get("/api/v1/reports/sla").json()
    start = datetime.fromisoformat(body["start"]).astimezone(timezone.get_default_timezone())
    assert start.time() == datetime.min.time()
    assert datetime.fromisoformat(body["end"]) - datetime.fromisoformat(body["start"]) >= (
        timedelta(days=30) - timedelta(hours=1)
    )


def test_kpi_page_shows_durations_and_whole_days(lead, client):
    operator = f.user()
    ticket = f.ticket(operator, channel="email")
    created = timezone.now() - timedelta(days=1)
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=created, first_response_at=created + timedelta(seconds=7500)
    )
    response = client.get(reverse("kpi_dashboard"))
    html = response.content.decode()
    assert "2 h 05 min" in html
    assert "7500" not in html
    scope = response.context["scope"]
    assert timezone.localtime(scope.start, BERLIN).time() == datetime.min.time()
    assert timezone.localtime(scope.end, BERLIN).time() == datetime.min.time()


def test_failure_page_shows_labels_and_durations(client):
    client.force_login(f.user(Role.NOC_ENGINEER))
    start = datetime(2026, 6, 3, 10, tzinfo=UTC)
    NetworkIncident.objects.create(
        title="Trench dug through",
        detected_by="complaints",
        state=IncidentState.RESOLVED,
        started_at=start,
        detected_at=start + timedelta(minutes=20),
        resolved_at=start + timedelta(minutes=125),
        root_cause="fibre_cut",
    )
    html = client.get(reverse("failure_report"), {"month": "2026-06"}).content.decode()
    assert "Fibre / cable cut" in html
    assert "fibre_cut" not in html
    assert "2 h 05 min" in html
    assert "20 min" in html
    assert "125.0 min" not in html


def test_kpis_of_another_agent_look_the_same_whether_the_name_exists_or_not():
    operator = f.user()
    colleague = f.user()
    api = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(operator)}")
    known = api.get("/api/v1/kpis", {"agent": colleague.username})
    unknown = api.get("/api/v1/kpis", {"agent": "no-such-agent"})
    assert known.status_code == unknown.status_code == 403
    strip = lambda body: {**body, "errors": [{**e, "value": None} for e in body["errors"]]}  # noqa: E731
    assert strip(known.json()) == strip(unknown.json())
    assert api.get("/api/v1/kpis", {"agent": operator.username}).status_code == 200
