"""KPIs on hand-made cases: each figure is worked out by hand in the test."""

from datetime import UTC, datetime, timedelta

import pytest

from netdesk.accounts.models import Role, TierKind
from netdesk.reports.kpis import (
    KpiScope,
    backlog_by_age,
    first_response_time,
    resolution_counts,
    response_rate,
    tickets_closed,
)
from netdesk.tickets import services
from netdesk.tickets.models import Ticket
from tests import factories as f

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(ticket, **times):
    """Move a ticket's timestamps to fixed moments (the services use now())."""
    Ticket.objects.filter(pk=ticket.pk).update(**times)
    ticket.refresh_from_db()
    return ticket


def scope(**extra):
    return KpiScope(start=T0 - timedelta(days=1), end=T0 + timedelta(days=10), **extra)


def test_response_rate_and_first_response_time():
    agent = f.user()
    a = at(
        f.ticket(agent, channel="email"),
        created_at=T0,
        first_response_at=T0 + timedelta(minutes=10),
    )
    b = at(
        f.ticket(agent, channel="email"),
        created_at=T0,
        first_response_at=T0 + timedelta(minutes=30),
    )
    at(f.ticket(agent, channel="email"), created_at=T0, first_response_at=None)
    at(f.ticket(agent, channel="email"), created_at=T0 - timedelta(days=5))  # outside the period
    assert response_rate(scope()) == {"created": 3, "responded": 2, "rate": round(2 / 3, 4)}
    frt = first_response_time(scope())
    assert frt == {"count": 2, "median_seconds": 1200.0, "mean_seconds": 1200.0}
    assert a.pk != b.pk


def test_resolution_counts_fcr_escalation_and_reopen():
    operator = f.user()
    noc_group = f.group(TierKind.SECOND_LINE)
    noc = f.user(Role.NOC_ENGINEER, groups=[noc_group])
    # 1: solved on first contact by the operator
    f.ticket(
        operator,
        call={
            "direction": "inbound",
            "summary": "reset",
            "outcome": "resolved",
            "resolution_code": "fixed",
            "root_cause": "customer_side",
        },
    )
    # 2: escalated to the NOC and solved there
    two = f.ticket(operator)
    services.ticket_escalate_functional(
        actor=operator, ticket=two, group=noc_group, reason="line test"
    )
    services.ticket_resolve(actor=noc, ticket=two, resolution_code="fixed", root_cause="hardware")
    # 3: solved by the operator, reopened, solved again (not FCR, not escalated)
    three = f.ticket(operator)
    services.ticket_resolve(
        actor=operator, ticket=three, resolution_code="fixed", root_cause="unknown"
    )
    services.ticket_reopen(actor=operator, ticket=three, reason="still slow")
    services.ticket_resolve(
        actor=operator, ticket=three, resolution_code="fixed", root_cause="capacity"
    )
    # 4: open, not counted
    f.ticket(operator)
    now_scope = KpiScope(start=T0, end=datetime.now(UTC) + timedelta(minutes=1))
    counts = resolution_counts(now_scope)
    assert counts["requests_solved"] == 3
    assert counts["solved_first_contact"] == 1
    assert counts["solved_without_escalation"] == 2
    assert counts["reopened"] == 1
    assert counts["first_contact_rate"] == round(1 / 3, 4)
    by_operator = resolution_counts(
        KpiScope(start=now_scope.start, end=now_scope.end, agent_id=operator.pk)
    )
    assert by_operator["requests_solved"] == 2
    by_noc = resolution_counts(
        KpiScope(start=now_scope.start, end=now_scope.end, group_id=noc_group.pk)
    )
    assert by_noc["requests_solved"] == 1
    assert by_noc["solved_without_escalation"] == 0


def test_tickets_closed_counts_closing_in_period():
    lead = f.user(Role.TEAM_LEAD)
    t = f.ticket(lead)
    services.ticket_resolve(actor=lead, ticket=t, resolution_code="fixed", root_cause="unknown")
    services.ticket_close(actor=lead, ticket=t)
    at(t, closed_at=T0 + timedelta(days=1))
    other = f.ticket(lead)
    services.ticket_resolve(actor=lead, ticket=other, resolution_code="fixed", root_cause="unknown")
    services.ticket_close(actor=lead, ticket=other)
    at(other, closed_at=T0 + timedelta(days=30))
    assert tickets_closed(scope()) == 1


def test_backlog_by_age_at_the_end_of_the_period():
    agent = f.user()
    end = T0 + timedelta(days=10)
    ages = {
        "under_1_day": [2],
        "1_to_3_days": [30, 47],
        "3_to_7_days": [100],
        "7_to_30_days": [],
        "over_30_days": [24 * 40],
    }
    for hours_list in ages.values():
        for hours in hours_list:
            at(f.ticket(agent), created_at=end - timedelta(hours=hours))
    # resolved after the end: still backlog at the end
    late = f.ticket(agent)
    services.ticket_resolve(actor=agent, ticket=late, resolution_code="fixed", root_cause="unknown")
    at(late, created_at=end - timedelta(hours=200), resolved_at=end + timedelta(days=1))
    # resolved before the end: not backlog
    early = f.ticket(agent)
    services.ticket_resolve(
        actor=agent, ticket=early, resolution_code="fixed", root_cause="unknown"
    )
    at(early, created_at=end - timedelta(hours=5), resolved_at=end - timedelta(hours=1))
    result = backlog_by_age(scope())
    assert result == {
        "under_1_day": 1,
        "1_to_3_days": 2,
        "3_to_7_days": 1,
        "7_to_30_days": 1,
        "over_30_days": 1,
    }
