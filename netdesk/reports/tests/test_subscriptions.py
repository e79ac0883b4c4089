"""Subscribing to a scheduled report: every field checked with a clear
error, the report's parameters checked as its reader, and who may
subscribe whom (anyone themselves; a manager others and addresses)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from netdesk.accounts.models import Role
from netdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from netdesk.reports.subscriptions import (
    SubscriptionFields,
    fields_of,
    subscription_create,
    subscription_delete,
    subscription_update,
    subscriptions_visible_to,
)
from tests import factories as f

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 10, 12, tzinfo=UTC)  # a Wednesday


def kpis(**extra: object) -> SubscriptionFields:
    values: dict[str, object] = {"report": "kpis", "frequency": "daily", "params": {}}
    return SubscriptionFields(**(values | extra))  # type: ignore[arg-type]


def refused(error: type[Exception], actor, fields: SubscriptionFields) -> Exception:
    with pytest.raises(error) as raised:
        subscription_create(actor=actor, fields=fields, now=NOW)
    return raised.value


def test_an_agent_subscribes_themselves_for_the_next_hour_due():
    agent = f.user(email="agent@example.net")
    subscription = subscription_create(actor=agent, fields=kpis(hour=7), now=NOW)
    assert subscription.recipient == agent
    assert subscription.created_by == agent
    assert subscription.address == ""
    assert subscription.formats == ["csv"]
    assert subscription.next_run_at == datetime(2026, 6, 11, 7, tzinfo=UTC)
    assert subscription.weekday is None


def test_weekly_and_monthly_keep_only_their_own_day():
    agent = f.user()
    weekly = subscription_create(
        actor=agent, fields=kpis(frequency="weekly", weekday=0, day_of_month=5), now=NOW
    )
    assert (weekly.weekday, weekly.day_of_month) == (0, None)
    assert weekly.next_run_at == datetime(2026, 6, 15, 7, tzinfo=UTC)
    monthly = subscription_create(
        actor=agent,
        fields=kpis(frequency="monthly", day_of_month=28, weekday=3, formats=["xlsx", "csv"]),
        now=NOW,
    )
    assert (monthly.weekday, monthly.day_of_month) == (None, 28)
    assert monthly.formats == ["csv", "xlsx"]
    assert monthly.next_run_at == datetime(2026, 6, 28, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"report": "horoscope"}, "report"),
        ({"frequency": "hourly"}, "frequency"),
        ({"hour": 24}, "hour"),
        ({"frequency": "weekly"}, "weekday"),
        ({"frequency": "weekly", "weekday": 7}, "weekday"),
        ({"frequency": "monthly", "day_of_month": 29}, "day_of_month"),
        ({"frequency": "monthly"}, "day_of_month"),
        ({"formats": ["pdf"]}, "formats"),
        ({"formats": []}, "formats"),
        ({"params": {"colour": "red"}}, "params.colour"),
        ({"params": {"group": "noc"}}, "params.group"),
        ({"params": {"group": True}}, "params.group"),
        ({"params": {"group": 10**30}}, "params.group"),
        ({"report": "service_plan", "params": {"plan": -1}}, "params.plan"),
        ({"report": "service_plan", "params": {}}, "params.plan"),
        ({"params": {"group": 999999}}, "group"),
        ({"params": {"agent": "nobody-here"}}, "agent"),
        ({"report": "sla", "params": {"by": "weather"}}, "params.by"),
        ({"report": "sla", "params": {"table": "everything"}}, "params.table"),
        ({"report": "failures", "params": {"month": "June"}}, "month"),
    ],
)
def test_a_bad_field_is_refused_by_name(changes, field):
    manager = f.user(Role.SERVICE_DESK_MANAGER)
    error = refused(ValidationFailed, manager, kpis(**changes))
    assert error.field == field  # type: ignore[attr-defined]


def test_an_agent_may_subscribe_nobody_else():
    agent, colleague = f.user(), f.user()
    error = refused(PermissionDenied, agent, kpis(recipient=colleague))
    assert error.field == "recipient"  # type: ignore[attr-defined]
    refused(PermissionDenied, agent, kpis(address="boss@example.net"))


def test_the_report_is_checked_as_its_reader():
    manager = f.user(Role.SERVICE_DESK_MANAGER)
    agent = f.user()
    # The agent may not see the SLA report, nor a group's KPIs.
    refused(PermissionDenied, manager, kpis(report="sla", recipient=agent))
    group = f.group()
    refused(PermissionDenied, manager, kpis(recipient=agent, params={"group": group.pk}))
    # The manager may, for themselves or for a bare address (read as them).
    to_address = subscription_create(
        actor=manager,
        fields=kpis(report="sla", address="noc-leads@example.net", params={"by": "group"}),
        now=NOW,
    )
    assert to_address.recipient is None
    assert to_address.params == {"kind": "sla", "by": "group", "table": "compliance"}


def test_a_manager_subscribes_a_colleague_but_not_a_deactivated_one():
    manager = f.user(Role.SERVICE_DESK_MANAGER)
    lead = f.user(Role.TEAM_LEAD)
    made = subscription_create(
        actor=manager, fields=kpis(recipient=lead, params={"group": f.group().pk}), now=NOW
    )
    assert made.recipient == lead
    assert made.created_by == manager
    lead.is_active = False
    lead.save()
    refused(ValidationFailed, manager, kpis(recipient=lead))
    paused = subscription_update(
        actor=manager,
        subscription_id=made.pk,
        fields=fields_of(made, is_active=False),
        now=NOW,
    )
    assert not paused.is_active
    refused(ValidationFailed, manager, kpis(address="not an address"))


def test_each_sees_their_own_subscriptions_and_a_manager_all():
    manager = f.user(Role.SERVICE_DESK_MANAGER)
    agent, other = f.user(), f.user()
    mine = subscription_create(actor=agent, fields=kpis(), now=NOW)
    theirs = subscription_create(actor=other, fields=kpis(), now=NOW)
    for_agent = subscription_create(actor=manager, fields=kpis(recipient=agent), now=NOW)
    assert set(subscriptions_visible_to(agent)) == {mine, for_agent}
    assert set(subscriptions_visible_to(manager)) == {mine, theirs, for_agent}
    with pytest.raises(NotFound):
        subscription_update(
            actor=agent, subscription_id=theirs.pk, fields=fields_of(theirs, hour=9), now=NOW
        )
    with pytest.raises(NotFound):
        subscription_delete(actor=agent, subscription_id=theirs.pk)


def test_a_change_moves_the_next_send_time():
    agent = f.user()
    made = subscription_create(actor=agent, fields=kpis(hour=7), now=NOW)
    changed = subscription_update(
        actor=agent,
        subscription_id=made.pk,
        fields=fields_of(made, frequency="weekly", weekday=4, hour=16),
        now=NOW,
    )
    assert changed.next_run_at == datetime(2026, 6, 12, 16, tzinfo=UTC)
    subscription_delete(actor=agent, subscription_id=made.pk)
    assert not subscriptions_visible_to(agent).exists()
