"""Role dashboards: who opens which, charts drawn as SVG whose links select
exactly the tickets each mark counts, and a fixed number of queries."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from netdesk.accounts.models import Role
from netdesk.noc.models import (
    Alarm,
    AlarmSeverity,
    AlarmSource,
    AlarmState,
    DetectedBy,
    NetworkIncident,
)
from netdesk.reports.dashboards import dashboard_data
from netdesk.reports.rollups import rollup_since
from netdesk.reports.tests.test_rollups import history
from netdesk.surveys.models import Survey, SurveyState
from netdesk.surveys.stats import csat_figures
from netdesk.tickets.selectors import ticket_filter_from_query, tickets_filtered
from tests import factories as f

pytestmark = pytest.mark.django_db


def rolled_up() -> dict[str, Any]:
    data = history()
    rollup_since(since=timezone.localdate() - timedelta_days(40))
    return data


def timedelta_days(days: int) -> timedelta:
    return timedelta(days=days)


def counted(user, href: str) -> int:
    """How many tickets the queue shows for a chart's link."""
    parts = urlsplit(href)
    assert parts.path == "/"
    params = QueryDict(parts.query)
    return tickets_filtered(
        user=user, filters=ticket_filter_from_query(user=user, params=params)
    ).count()


def chart(board: dict[str, Any], key: str) -> dict[str, Any]:
    return next(c for c in board["charts"] if c["key"] == key)


def test_every_ticket_mark_links_to_exactly_its_tickets():
    rolled_up()
    manager = f.user(Role.SERVICE_DESK_MANAGER)
    today = timezone.localdate()
    board = dashboard_data(
        user=manager,
        role="manager",
        start=today - timedelta_days(29),
        end=today + timedelta_days(1),
    )
    checked = 0
    for key in ("flow", "channels", "categories", "root_causes", "heatmap"):
        for series in chart(board, key)["series"]:
            for value, href in zip(series["values"], series["links"], strict=True):
                if value:
                    assert counted(manager, href) == value, (key, href)
                    checked += 1
    fcr = chart(board, "resolution")["series"][0]
    for value, href in zip(fcr["values"], fcr["links"], strict=True):
        if value:
            # The FCR link shows the tickets solved on first contact that week.
            assert counted(manager, href) > 0
    assert checked > 20
    assert sum(chart(board, "flow")["series"][0]["values"]) == 14


def test_charts_render_accessible_svg_with_links_and_a_table(client):
    rolled_up()
    manager = f.user(Role.SERVICE_DESK_MANAGER)
    client.force_login(manager)
    response = client.get(reverse("dashboard"), {"days": 90})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('<svg class="chart') == 10
    assert 'role="img"' in page
    assert "aria-label=" in page
    assert "<style" not in page.split("<body", 1)[1]
    assert "<script>" not in page
    links = [unescape(h) for h in re.findall(r'<a href="(/\?[^"]+)"', page)]
    assert any("created_after=" in link and "channel=email" in link for link in links)
    assert any("weekday=" in link and "hour=" in link for link in links)
    assert "<details>" in page
    assert "<title>Tickets in, " in page
    first = next(link for link in links if "created_after" in link and "channel" not in link)
    query = parse_qs(urlsplit(first).query)
    assert query["group"] == ["all"]


@pytest.mark.parametrize(
    ("role", "own", "others"),
    [
        (Role.HOTLINE_OPERATOR, "hotline", ["noc", "teamlead", "manager"]),
        (Role.NOC_ENGINEER, "noc", ["hotline", "manager"]),
        (Role.TEAM_LEAD, "teamlead", []),
        (Role.SERVICE_DESK_MANAGER, "manager", []),
    ],
)
def test_each_role_opens_its_own_dashboard(client, role, own, others):
    user = f.user(role)
    client.force_login(user)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert response.context["role"] == own
    for other in others:
        assert client.get(reverse("dashboard_role", args=[other])).status_code == 403
    if not others:
        for other in ("hotline", "noc", "teamlead", "manager"):
            assert client.get(reverse("dashboard_role", args=[other])).status_code == 200


@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.FIELD_ENGINEER])
def test_roles_that_see_part_of_the_tickets_get_no_desk_dashboard(client, role):
    client.force_login(f.user(role))
    assert client.get(reverse("dashboard")).status_code == 403


def test_a_bad_period_is_refused_with_the_field(client):
    client.force_login(f.user(Role.TEAM_LEAD))
    response = client.get(reverse("dashboard"), {"days": "45"})
    assert response.status_code == 422
    assert "days" in response.context["form"].errors


def test_hotline_dashboard_shows_the_operators_group(client):
    data = rolled_up()
    client.force_login(data["operator"])
    response = client.get(reverse("dashboard"))
    board = response.context["board"]
    assert board["group"] == data["first_line"]
    flow = chart(board, "flow")
    assert all(f"group={data['first_line'].pk}" in link for link in flow["series"][0]["links"])
    assert sum(flow["series"][0]["values"]) == 10  # the other 4 went to the NOC group


def test_the_dashboard_costs_the_same_queries_for_few_and_many_tickets(client):
    manager = f.user(Role.SERVICE_DESK_MANAGER)
    client.force_login(manager)
    operator = f.user()
    f.ticket(operator)
    rollup_since(since=timezone.localdate() - timedelta_days(40))
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("dashboard"), {"days": 90}).status_code == 200
    rolled_up()
    for _ in range(10):
        f.ticket(operator)
    rollup_since(since=timezone.localdate() - timedelta_days(40))
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("dashboard"), {"days": 90}).status_code == 200
    assert len(many) == len(few)


def test_the_noc_dashboard_counts_firing_alarms(client):
    now = timezone.now()
    for n, state in enumerate([AlarmState.FIRING, AlarmState.FIRING, AlarmState.CLEARED]):
        Alarm.objects.create(
            fingerprint=f"bench-{n}",
            source=AlarmSource.values[0],
            name="LinkDown",
            severity=AlarmSeverity.values[0],
            state=state,
            first_seen=now,
            last_seen=now,
        )
    NetworkIncident.objects.create(
        title="Fibre cut",
        detected_by=DetectedBy.MANUAL,
        started_at=now - timedelta(days=2),
        detected_at=now - timedelta(days=2),
        affected_customers=7,
    )
    client.force_login(f.user(Role.NOC_ENGINEER))
    board = client.get(reverse("dashboard")).context["board"]
    incidents = chart(board, "incidents")
    assert sum(incidents["series"][0]["values"]) == 1
    assert sum(incidents["series"][1]["values"]) == 7
    assert incidents["series"][0]["links"][-1].startswith("/reports/failures/?month=")
    figures = {
        figure["label"]: figure
        for figure in client.get(reverse("dashboard")).context["board"]["figures"]
    }
    assert figures["Firing alarms"]["value"] == 2
    assert figures["Firing alarms"]["link"] == "/noc/alarms/?state=firing"
    assert figures["Active network incidents"]["value"] == 1


def test_the_csat_trend_counts_as_the_csat_report():
    operator = f.user()
    resolved = timezone.now() - timedelta(days=2)
    for n, rating in enumerate([5, 4, 2, None]):
        ticket = f.ticket(operator)
        Survey.objects.create(
            ticket=ticket,
            public_id=f"survey-{n}",
            customer=ticket.customer,
            group=ticket.group,
            channel="email",
            state=SurveyState.ANSWERED if rating else SurveyState.SENT,
            rating=rating,
            resolved_at=resolved,
            sent_at=resolved,
            created_at=resolved,
        )
    manager = f.user(Role.SERVICE_DESK_MANAGER)
    today = timezone.localdate()
    board = dashboard_data(
        user=manager,
        role="manager",
        start=today - timedelta_days(29),
        end=today + timedelta_days(1),
    )
    csat = chart(board, "csat")
    week = next(i for i, value in enumerate(csat["series"][0]["values"]) if value is not None)
    expected = csat_figures(surveys=Survey.objects.all(), by=None)[0]
    assert csat["series"][0]["values"][week] == round(100 * expected["csat"], 1) == 66.7
    assert csat["series"][1]["values"][week] == 75.0
    assert csat["series"][0]["links"][week].startswith("/reports/csat/?start=")
    assert [v for v in csat["series"][0]["values"] if v is not None] == [66.7]
