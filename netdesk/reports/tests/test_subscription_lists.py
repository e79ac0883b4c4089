"""The other subscribable reports: a ticket list (the queue's filters, as
the reader sees them: an account manager's copy lists only their
accounts' tickets), satisfaction, a role's dashboard and a service plan."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest
from django.utils import timezone

from netdesk.accounts.models import Role
from netdesk.channels.models import OutboundAttachment, OutboundKind, OutboundMessage
from netdesk.core.errors import PermissionDenied, ValidationFailed
from netdesk.reports.models import ReportSubscription, ServicePlan, ServicePlanTarget
from netdesk.reports.sending import SKIPPED_EMPTY, subscriptions_send_due
from netdesk.reports.subscriptions import SubscriptionFields, subscription_create
from tests import factories as f

pytestmark = pytest.mark.django_db


def tomorrow_at(hour: int) -> datetime:
    day = timezone.localdate() + timedelta(days=1)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, 1))


def subscribe(actor, report: str, **extra: object) -> ReportSubscription:
    values: dict[str, object] = {"report": report, "frequency": "daily", "params": {}, "hour": 7}
    return subscription_create(actor=actor, fields=SubscriptionFields(**(values | extra)))  # type: ignore[arg-type]


def attached(to: str) -> dict[str, bytes]:
    mail = OutboundMessage.objects.get(kind=OutboundKind.REPORT, to_addresses=to)
    return {a.filename: bytes(a.content) for a in OutboundAttachment.objects.filter(message=mail)}


def test_a_ticket_list_holds_only_the_readers_tickets():
    manager = f.user(Role.SERVICE_DESK_MANAGER, email="manager@example.net")
    account_manager = f.user(Role.ACCOUNT_MANAGER, email="am@example.net")
    mine = f.ticket(manager, f.customer(account_manager=account_manager), title="Bell\x07 rings")
    other = f.ticket(manager, f.customer())
    query = {"query": "group=all&open=1", "period": "created"}
    subscribe(manager, "tickets", recipient=account_manager, params=query, formats=["csv", "xlsx"])
    subscribe(manager, "tickets", params=query)
    assert subscriptions_send_due(now=tomorrow_at(7)) == 2
    today = timezone.localdate().isoformat()
    for_am = attached("am@example.net")
    rows = list(csv.reader(io.StringIO(for_am[f"tickets-{today}.csv"].decode())))
    assert rows[0][0] == "Reference"
    assert [row[0] for row in rows[1:]] == [mine.reference]
    sheet = openpyxl.load_workbook(io.BytesIO(for_am[f"tickets-{today}.xlsx"])).active
    assert sheet is not None
    cells = list(sheet.iter_rows(values_only=True))
    assert [row[0] for row in cells[1:]] == [mine.reference]
    assert "Bell rings" in cells[1]
    for_manager = attached("manager@example.net")
    rows = list(csv.reader(io.StringIO(for_manager[f"tickets-{today}.csv"].decode())))
    assert sorted(row[0] for row in rows[1:]) == sorted([mine.reference, other.reference])


def test_a_ticket_list_of_another_period_is_empty_and_skipped():
    lead = f.user(Role.TEAM_LEAD, email="lead@example.net")
    f.ticket(lead)
    subscription = subscribe(
        lead,
        "tickets",
        params={"query": "group=all", "period": "resolved"},
        skip_when_empty=True,
    )
    subscriptions_send_due(now=tomorrow_at(7))
    subscription.refresh_from_db()
    assert subscription.last_outcome == SKIPPED_EMPTY


def test_ticket_list_filters_are_checked_by_the_queues_parser():
    lead = f.user(Role.TEAM_LEAD)
    with pytest.raises(ValidationFailed) as error:
        subscribe(lead, "tickets", params={"query": "sla_state=purple"})
    assert error.value.field == "sla_state"
    with pytest.raises(ValidationFailed):
        subscribe(lead, "tickets", params={"query": "", "period": "someday"})
    # A hotline agent exports no lists, so subscribes to none.
    with pytest.raises(PermissionDenied):
        subscribe(f.user(), "tickets", params={"query": "mine=1"})


def test_satisfaction_is_checked_and_skipped_without_surveys():
    lead = f.user(Role.TEAM_LEAD, email="lead@example.net")
    with pytest.raises(ValidationFailed):
        subscribe(lead, "csat", params={"by": "weather"})
    subscription = subscribe(lead, "csat", params={"by": "group"}, skip_when_empty=True)
    sending = subscribe(lead, "csat")
    subscriptions_send_due(now=tomorrow_at(7))
    subscription.refresh_from_db()
    assert subscription.last_outcome == SKIPPED_EMPTY
    sending.refresh_from_db()
    assert sending.last_outcome.startswith("sent to lead@example.net (1 files)")


def test_a_dashboard_sends_a_table_per_chart():
    manager = f.user(Role.SERVICE_DESK_MANAGER, email="manager@example.net")
    with pytest.raises(PermissionDenied):
        subscribe(f.user(), "dashboard", params={"role": "manager"})
    subscribe(manager, "dashboard", params={"role": "manager"}, frequency="weekly", weekday=0)
    monday = timezone.localdate() + timedelta(days=7 - timezone.localdate().weekday())
    run = timezone.make_aware(datetime(monday.year, monday.month, monday.day, 7, 1))
    assert subscriptions_send_due(now=run) == 1
    files = attached("manager@example.net")
    assert len(files) >= 3
    assert all(name.startswith("dashboard-manager-") for name in files)
    first = next(iter(files.values())).decode().splitlines()
    # A week's chart: its heading and a row per day.
    assert len(first) >= 2


def test_a_service_plan_sends_its_targets():
    manager = f.user(Role.SERVICE_DESK_MANAGER, email="manager@example.net")
    today = timezone.localdate()
    plan = ServicePlan.objects.create(
        name="Second half",
        period_start=date(today.year, 1, 1),
        period_end=date(today.year, 12, 31),
        owner=manager,
        created_at=timezone.now(),
    )
    ServicePlanTarget.objects.create(plan=plan, kpi="fcr_rate", target=70)
    ServicePlanTarget.objects.create(plan=plan, kpi="sla_compliance", target=95)
    with pytest.raises(ValidationFailed):
        subscribe(manager, "service_plan", params={"plan": "first"})
    subscribe(manager, "service_plan", params={"plan": plan.pk})
    subscriptions_send_due(now=tomorrow_at(7))
    (content,) = attached("manager@example.net").values()
    rows = list(csv.reader(io.StringIO(content.decode())))
    assert rows[0] == ["KPI", "Comparison", "Target", "Actual", "Unit", "Status"]
    assert sorted(row[0] for row in rows[1:]) == ["First contact resolution", "SLA compliance"]


def test_a_long_list_is_cut_and_the_mail_says_so(monkeypatch):
    monkeypatch.setattr("netdesk.reports.subscribable_lists.MAX_MAIL_ROWS", 2)
    lead = f.user(Role.TEAM_LEAD, email="lead@example.net")
    for _ in range(3):
        f.ticket(lead)
    subscribe(lead, "tickets", params={"query": "group=all"})
    subscriptions_send_due(now=tomorrow_at(7))
    mail = OutboundMessage.objects.get(kind=OutboundKind.REPORT)
    assert "more than 2 tickets; the first 2 are attached" in mail.body
    (content,) = attached("lead@example.net").values()
    assert len(content.decode().splitlines()) == 3


def test_each_mail_links_to_the_page_showing_the_same():
    manager = f.user(Role.SERVICE_DESK_MANAGER, email="manager@example.net")
    group = f.group()
    f.ticket(manager)
    plan = ServicePlan.objects.create(
        name="Plan",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        created_at=timezone.now(),
    )
    ServicePlanTarget.objects.create(plan=plan, kpi="fcr_rate", target=70)
    expected = {
        "kpis": ({"group": group.pk}, f"/reports/kpis/?scope=group&group={group.pk}"),
        "sla": ({"by": "group", "table": "all"}, "/reports/sla/?kind=sla&by=group"),
        "tickets": ({"query": "group=all&open=1"}, "/?group=all&open=1"),
        "dashboard": ({"role": "noc"}, "/reports/dashboard/noc/"),
        "service_plan": ({"plan": plan.pk}, f"/reports/plans/{plan.pk}/"),
    }
    for report, (params, _link) in expected.items():
        subscribe(manager, report, params=params)
    subscriptions_send_due(now=tomorrow_at(7))
    bodies = {
        s.report: OutboundMessage.objects.get(pk=int(s.last_outcome.rsplit(" ", 1)[1])).body
        for s in ReportSubscription.objects.all()
    }
    for report, (_params, link) in expected.items():
        found = re.search(r"On the desk: (\S+)\n", bodies[report])
        assert found is not None, bodies[report]
        # PostgreSQL keeps JSON keys in its own order: compare the address's parts.
        shown, wanted = urlsplit(found[1]), urlsplit(link)
        assert (shown.path, parse_qs(shown.query)) == (wanted.path, parse_qs(wanted.query))
