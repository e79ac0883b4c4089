"""Service plans: validation with the field named, progress from the daily
figures (and live for a key account), the report mailed once after the
period's end, the pages and the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from netdesk.accounts.models import Role
from netdesk.channels.models import OutboundKind, OutboundMessage
from netdesk.core.errors import PermissionDenied, ValidationFailed
from netdesk.customers.models import Segment
from netdesk.reports.models import ServicePlan
from netdesk.reports.plans import PlanInput, plan_progress, plan_save, plans_report_due
from netdesk.reports.rollups import rollup_since
from netdesk.reports.tests.test_rollups import history
from tests import factories as f

pytestmark = pytest.mark.django_db


def days(n: int):
    return timezone.localdate() + timedelta(days=n)


def plan_input(**extra) -> PlanInput:
    values = {
        "name": "Second half",
        "period_start": days(-20),
        "period_end": days(20),
        "targets": {"fcr_rate": 30.0, "backlog_max": 1.0},
    }
    values.update(extra)
    return PlanInput(**values)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"period_end": days(-30)}, "period_end"),
        ({"targets": {"fcr_rate": 130.0}}, "target_fcr_rate"),
        ({"targets": {"csat_mean": 0.5}}, "target_csat_mean"),
        ({"targets": {"speed": 1.0}}, "targets"),
        ({"targets": {}}, "targets"),
        ({"scope": "group"}, "group"),
        ({"scope": "segment", "segment": "galactic"}, "segment"),
        ({"scope": "key_account"}, "customer"),
        ({"name": "  "}, "name"),
    ],
)
def test_a_bad_plan_is_refused_naming_the_field(extra, field):
    manager = f.user(Role.SERVICE_DESK_MANAGER)
    with pytest.raises(ValidationFailed) as refused:
        plan_save(actor=manager, data=plan_input(**extra))
    assert refused.value.field == field
    assert ServicePlan.objects.count() == 0


def test_only_the_manager_keeps_plans():
    with pytest.raises(PermissionDenied):
        plan_save(actor=f.user(Role.TEAM_LEAD), data=plan_input())


def test_progress_compares_the_actuals_with_the_targets():
    history()
    rollup_since(since=days(-40))
    manager = f.user(Role.SERVICE_DESK_MANAGER)
    plan = plan_save(actor=manager, data=plan_input())
    progress = plan_progress(plan)
    rows = {row["kpi"]: row for row in progress["targets"]}
    # 4 of the 12 resolved tickets on first contact (the history's flags).
    assert rows["fcr_rate"]["actual"] == pytest.approx(33.3)
    assert rows["fcr_rate"]["status"] == "on_track"
    assert rows["backlog_max"]["actual"] >= 2
    assert rows["backlog_max"]["status"] == "at_risk"
    assert progress["days_done"] == 21
    assert not progress["ended"]


def test_a_key_account_plan_reads_its_own_tickets():
    operator = f.user()
    account = f.customer(Segment.KEY_ACCOUNT)
    f.ticket(operator, account)
    f.ticket(operator)  # another customer's
    manager = f.user(Role.SERVICE_DESK_MANAGER)
    plan = plan_save(
        actor=manager,
        data=plan_input(scope="key_account", customer=account, targets={"backlog_max": 5.0}),
    )
    row = plan_progress(plan)["targets"][0]
    assert row["actual"] == 1
    assert row["status"] == "on_track"


def test_the_report_is_mailed_to_the_owner_once_after_the_period():
    history()
    rollup_since(since=days(-40))
    manager = f.user(Role.SERVICE_DESK_MANAGER, email="manager@example.net")
    plan = plan_save(actor=manager, data=plan_input(period_start=days(-15), period_end=days(-1)))
    running = plan_save(actor=manager, data=plan_input(name="Running"))
    now = timezone.now()
    assert plans_report_due(now=now) == 1
    assert plans_report_due(now=now) == 0
    message = OutboundMessage.objects.get(kind=OutboundKind.REPORT)
    assert message.to_addresses == "manager@example.net"
    assert "Second half" in message.subject
    assert "First contact resolution" in message.body
    assert message.attachment_count == 1
    plan.refresh_from_db()
    running.refresh_from_db()
    assert plan.reported_at == now
    assert running.reported_at is None
    final = {row["kpi"]: row["status"] for row in plan_progress(plan)["targets"]}
    assert set(final.values()) <= {"met", "missed", "no_data"}


def test_the_plan_pages(client):
    manager = f.user(Role.SERVICE_DESK_MANAGER)
    client.force_login(manager)
    response = client.post(
        reverse("plan_new"),
        {
            "name": "Quality plan",
            "scope": "desk",
            "period_start": days(-3).isoformat(),
            "period_end": days(-5).isoformat(),
            "target_fcr_rate": "70",
        },
    )
    assert response.status_code == 422
    assert "period_end" in response.context["form"].errors
    response = client.post(
        reverse("plan_new"),
        {
            "name": "Quality plan",
            "scope": "desk",
            "period_start": days(-3).isoformat(),
            "period_end": days(60).isoformat(),
            "target_fcr_rate": "70",
            "target_sla_compliance": "95",
        },
    )
    assert response.status_code == 302
    plan = ServicePlan.objects.get(name="Quality plan")
    assert sorted(plan.targets.values_list("kpi", flat=True)) == ["fcr_rate", "sla_compliance"]
    page = client.get(reverse("plan_detail", args=[plan.pk])).content.decode()
    assert "First contact resolution" in page
    assert 'class="progress"' in page
    csv = b"".join(client.get(reverse("plan_report", args=[plan.pk])).streaming_content)
    assert csv.decode().splitlines()[0] == "KPI,Comparison,Target,Actual,Unit,Status"
    board = client.get(reverse("dashboard")).context["board"]
    assert [p["name"] for p in board["plans"]] == ["Quality plan"]
    lead = f.user(Role.TEAM_LEAD)
    client.force_login(lead)
    assert client.get(reverse("plan_detail", args=[plan.pk])).status_code == 200
    assert client.get(reverse("plan_new")).status_code == 403


def test_plans_in_the_api(client):
    manager = f.user(Role.SERVICE_DESK_MANAGER)
    plan = plan_save(actor=manager, data=plan_input())
    headers = {"Authorization": f"Bearer {f.token_for(manager)}"}
    listed = client.get("/api/v1/reports/plans", headers=headers)
    assert listed.status_code == 200
    assert [p["name"] for p in listed.json()["items"]] == ["Second half"]
    one = client.get(f"/api/v1/reports/plans/{plan.pk}", headers=headers).json()
    assert {t["kpi"] for t in one["targets"]} == {"fcr_rate", "backlog_max"}
    assert client.get("/api/v1/reports/plans/999999", headers=headers).status_code == 404
    agent = f.user(Role.HOTLINE_OPERATOR)
    refused = client.get(
        "/api/v1/reports/plans", headers={"Authorization": f"Bearer {f.token_for(agent)}"}
    )
    assert refused.status_code == 403


def test_a_dashboard_in_the_api(client):
    history()
    rollup_since(since=days(-40))
    lead = f.user(Role.TEAM_LEAD)
    headers = {"Authorization": f"Bearer {f.token_for(lead)}"}
    board = client.get("/api/v1/reports/dashboard?role=manager&days=30", headers=headers).json()
    flow = next(c for c in board["charts"] if c["key"] == "flow")
    assert sum(flow["series"][0]["values"]) == 14
    assert flow["series"][0]["links"][0].startswith("/?group=all&created_after=")
    bad = client.get("/api/v1/reports/dashboard?days=7", headers=headers)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "days"
