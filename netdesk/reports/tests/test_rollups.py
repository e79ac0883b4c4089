"""The dashboards' daily figures equal what the live KPI definitions count
over the same days, and recomputing them changes nothing."""

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.db.models import Q
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from netdesk.accounts.models import Role, TierKind
from netdesk.customers.models import Segment
from netdesk.reports.kpis import KpiScope, kpi_report
from netdesk.reports.models import BreakdownKind, DayBreakdown, DayFigures
from netdesk.reports.rollup_tasks import rollup_recent, rollup_tick
from netdesk.reports.rollups import day_rows, rollup_days
from netdesk.reports.selectors import day_start
from netdesk.reports.sla import ComplianceQuery, compliance_rows
from netdesk.tickets import services
from netdesk.tickets.models import Ticket
from tests import factories as f

pytestmark = pytest.mark.django_db


def moment(days_ago: int, hour: int) -> datetime:
    day = timezone.localdate() - timedelta(days=days_ago)
    return timezone.make_aware(datetime.combine(day, time(hour)))


def history() -> dict[str, Any]:
    """Tickets over the last twelve days in two groups and two segments:
    some resolved (on first contact or not), some reopened, some open."""
    first_line = f.group()
    noc_group = f.group(TierKind.SECOND_LINE)
    operator = f.user(Role.HOTLINE_OPERATOR, groups=[first_line])
    business = f.customer(Segment.BUSINESS)
    home = f.customer(Segment.RESIDENTIAL)
    made = []
    for n in range(14):
        owner = business if n % 2 else home
        ticket = f.ticket(operator, owner, channel="email" if n % 3 else "phone")
        if n % 4 == 0:
            Ticket.objects.filter(pk=ticket.pk).update(group=noc_group)
            ticket.refresh_from_db()
        made.append(ticket)
        created = moment(12 - n % 9, 8 + n % 10)
        if n % 5 != 4:
            services.ticket_resolve(
                actor=operator, ticket=ticket, resolution_code="fixed", root_cause="hardware"
            )
            resolved = created + timedelta(days=n % 3, hours=2)
            first_contact = n % 3 == 0
            Ticket.objects.filter(pk=ticket.pk).update(
                created_at=created,
                resolved_at=resolved,
                first_response_at=created + timedelta(minutes=5),
                first_contact_resolved=first_contact,
                reopen_count=1 if n == 7 else 0,
            )
        else:
            Ticket.objects.filter(pk=ticket.pk).update(created_at=created)
    return {"operator": operator, "first_line": first_line, "noc": noc_group, "tickets": made}


def sums(first_days_ago: int, last_days_ago: int, **filters: object) -> dict[str, float]:
    today = timezone.localdate()
    rows = DayFigures.objects.filter(
        day__gte=today - timedelta(days=first_days_ago),
        day__lte=today - timedelta(days=last_days_ago),
        **filters,
    )
    names = [
        "created",
        "responded",
        "resolved",
        "resolved_first_contact",
        "resolved_without_escalation",
        "reopened",
        "held",
        "held_decided",
        "sla_due",
        "sla_breached",
    ]
    return {name: sum(getattr(row, name) for row in rows) for name in names}


def scope_of(first_days_ago: int, last_days_ago: int, **extra: object) -> KpiScope:
    today = timezone.localdate()
    return KpiScope(
        start=day_start(today - timedelta(days=first_days_ago)),
        end=day_start(today - timedelta(days=last_days_ago - 1)),
        **extra,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(("first", "last"), [(14, 0), (12, 12), (9, 6), (3, 0)])
def test_day_figures_equal_the_kpi_report(first, last):
    data = history()
    rollup_days(first=timezone.localdate() - timedelta(days=20), last=timezone.localdate())
    for extra in ({}, {"group_id": data["noc"].pk}):
        report = kpi_report(scope_of(first, last, **extra))
        stored = sums(first, last, **({"group_id": extra["group_id"]} if extra else {}))
        assert stored["created"] == report["response"]["created"]
        assert stored["responded"] == report["response"]["responded"]
        resolution = report["resolution"]
        assert stored["resolved"] == resolution["requests_solved"]
        assert stored["resolved_first_contact"] == resolution["solved_first_contact"]
        assert stored["resolved_without_escalation"] == resolution["solved_without_escalation"]
        assert stored["reopened"] == resolution["reopened"]
        assert stored["held"] == report["held_resolution"]["held"]
        assert stored["held_decided"] == report["held_resolution"]["settled"]
    assert DayFigures.objects.filter(created__gt=0).count() > 3


def test_resolve_seconds_sum_each_ticket_resolved_that_day():
    history()
    today = timezone.localdate()
    rollup_days(first=today - timedelta(days=20), last=today)
    expected: dict[Any, float] = {}
    resolved = Ticket.objects.filter(resolved_at__isnull=False)
    for created_at, resolved_at in resolved.values_list("created_at", "resolved_at"):
        assert resolved_at is not None
        day = timezone.localdate(resolved_at)
        expected[day] = expected.get(day, 0) + (resolved_at - created_at).total_seconds()
    stored: dict[Any, float] = {}
    for row in DayFigures.objects.filter(resolved__gt=0):
        stored[row.day] = stored.get(row.day, 0) + row.resolve_seconds
    assert stored.keys() == expected.keys()
    for day, seconds in expected.items():
        assert stored[day] == pytest.approx(seconds, abs=0.01)


@pytest.mark.parametrize(("first_days_ago", "last_days_ago"), [(20, 0), (5, 0), (11, 4)])
def test_backlog_at_each_day_end_equals_the_kpi_backlog(first_days_ago, last_days_ago):
    # From 5 days ago, most open tickets came before the first day stored;
    # up to 4 days ago (a backfill), some were resolved after the last day.
    history()
    today = timezone.localdate()
    rollup_days(
        first=today - timedelta(days=first_days_ago), last=today - timedelta(days=last_days_ago)
    )
    for days_ago in range(max(1, last_days_ago), min(15, first_days_ago + 1)):
        day = today - timedelta(days=days_ago)
        report = kpi_report(scope_of(days_ago + 3, days_ago))
        live = sum(report["backlog_by_age"].values())
        stored = sum(row.backlog for row in DayFigures.objects.filter(day=day))
        assert stored == live, day
    last_checked = today - timedelta(days=max(1, last_days_ago))
    assert sum(row.backlog for row in DayFigures.objects.filter(day=last_checked)) > 0


def test_service_levels_equal_the_sla_report():
    history()
    today = timezone.localdate()
    rollup_days(first=today - timedelta(days=20), last=today)
    rows = compliance_rows(
        ComplianceQuery(
            start=day_start(today - timedelta(days=20)), end=day_start(today + timedelta(days=1))
        )
    )
    stored = sums(20, 0)
    assert stored["sla_due"] == sum(row["due"] for row in rows)
    assert stored["sla_breached"] == sum(row["breached"] for row in rows)


def test_breakdowns_count_every_ticket_once():
    data = history()
    today = timezone.localdate()
    rollup_days(first=today - timedelta(days=20), last=today)
    created = len(data["tickets"])
    for kind in (BreakdownKind.CHANNEL, BreakdownKind.CATEGORY, BreakdownKind.HOUR):
        assert (
            sum(DayBreakdown.objects.filter(kind=kind).values_list("count", flat=True)) == created
        )
    by_channel = {
        key: sum(
            DayBreakdown.objects.filter(kind=BreakdownKind.CHANNEL, key=key).values_list(
                "count", flat=True
            )
        )
        for key in ("email", "phone")
    }
    assert by_channel == {
        "email": Ticket.objects.filter(channel="email").count(),
        "phone": Ticket.objects.filter(channel="phone").count(),
    }
    resolved = Ticket.objects.filter(resolved_at__isnull=False).count()
    assert (
        sum(
            DayBreakdown.objects.filter(kind=BreakdownKind.ROOT_CAUSE).values_list(
                "count", flat=True
            )
        )
        == resolved
    )


def test_the_tick_is_idempotent_and_follows_a_late_change():
    data = history()
    rollup_recent()
    first = sorted(
        DayFigures.objects.values_list(
            "day", "group_id", "segment", "created", "resolved", "backlog"
        )
    )
    rollup_recent()
    again = sorted(
        DayFigures.objects.values_list(
            "day", "group_id", "segment", "created", "resolved", "backlog"
        )
    )
    assert first == again
    # A ticket resolved yesterday is reopened: the next tick moves it back
    # into yesterday's backlog and out of its resolutions.
    yesterday = timezone.localdate() - timedelta(days=1)
    before = sums(1, 1)
    ticket = data["tickets"][0]
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=moment(2, 9), resolved_at=moment(1, 9), status="resolved"
    )
    rollup_recent()
    moved = sums(1, 1)
    assert moved["resolved"] >= 1
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=None, status="in_progress")
    rollup_recent()
    assert sums(1, 1)["resolved"] == moved["resolved"] - 1
    assert before is not None
    assert sum(r.backlog for r in DayFigures.objects.filter(day=yesterday)) == sum(
        kpi_report(scope_of(1, 1))["backlog_by_age"].values()
    )


def test_a_key_accounts_figures_are_read_live_from_its_own_tickets():
    data = history()
    account = f.customer(Segment.KEY_ACCOUNT)
    site = f.customer(Segment.BUSINESS, parent_account=account)
    mine = [f.ticket(data["operator"], account), f.ticket(data["operator"], site)]
    today = timezone.localdate()
    rows = day_rows(
        first=today - timedelta(days=1),
        last=today,
        scope=Q(customer_id=account.pk) | Q(customer__parent_account_id=account.pk),
    )
    assert sum(m["created"] for m in rows.figures.values()) == len(mine)


def test_the_tick_writes_the_recent_days_sends_due_reports_and_queues_the_next():
    history()
    written = rollup_tick.call()
    assert written == DayFigures.objects.count() > 0
    waiting = DBTaskResult.objects.filter(
        task_path=rollup_tick.module_path, status=TaskResultStatus.READY
    )
    assert waiting.count() == 1
    rollup_tick.call()
    assert waiting.count() == 1
