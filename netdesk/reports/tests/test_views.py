"""The KPI dashboard of the agent UI."""

from __future__ import annotations

import pytest
from django.urls import reverse

from netdesk.accounts.models import Role
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_lead_sees_desk_kpis_with_backlog_bars(client):
    operator = f.user()
    lead = f.user(Role.TEAM_LEAD)
    f.ticket(
        operator,
        call={
            "direction": "inbound",
            "summary": "Reboot",
            "outcome": "resolved",
            "resolution_code": "fixed",
            "root_cause": "customer_side",
        },
    )
    f.ticket(operator)
    client.force_login(lead)
    response = client.get(reverse("kpi_dashboard"))
    assert response.status_code == 200
    report = response.context["report"]
    assert report["resolution"]["requests_solved"] == 1
    page = response.content.decode()
    for label in ("Response rate", "First-contact rate", "Reopen rate", "Backlog by age"):
        assert label in page
    assert sum(bucket["count"] for bucket in response.context["backlog"]) == 1


def test_lead_may_pick_a_group_or_an_agent(client):
    operator = f.user()
    lead = f.user(Role.TEAM_LEAD)
    client.force_login(lead)
    group = f.group()
    response = client.get(reverse("kpi_dashboard"), {"scope": "group", "group": group.pk})
    assert response.context["scope"].group_id == group.pk
    response = client.get(reverse("kpi_dashboard"), {"scope": "agent", "agent": operator.username})
    assert response.context["scope"].agent_id == operator.pk


def test_agent_sees_only_their_own_figures(client):
    operator = f.user()
    client.force_login(operator)
    response = client.get(reverse("kpi_dashboard"), {"scope": "desk"})
    assert response.status_code == 200
    assert response.context["scope"].agent_id == operator.pk
    assert "group" not in response.context["form"].fields


def test_period_errors_are_shown_on_the_field(client):
    lead = f.user(Role.TEAM_LEAD)
    client.force_login(lead)
    response = client.get(reverse("kpi_dashboard"), {"start": "2026-05-10", "end": "2026-05-01"})
    assert response.status_code == 422
    assert "start" in response.context["form"].errors
    response = client.get(reverse("kpi_dashboard"), {"scope": "agent", "agent": "ghost"})
    assert "agent" in response.context["form"].errors
