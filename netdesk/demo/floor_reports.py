"""Demo scheduled reports, subscribed by the manager: the weekly KPIs to
the manager, the daily list of tickets at risk of breaching to the team
lead (skipped on a day with none), and the weekly open tickets of the
account manager's own accounts (their copy holds only those)."""

from __future__ import annotations

from typing import Any

from netdesk.accounts.models import User
from netdesk.reports.models import ReportSubscription
from netdesk.reports.subscriptions import SubscriptionFields, subscription_create

MONDAY = 0
# (recipient's demo login, report, parameters, frequency, weekday, hour, skip when empty)
DEMO_SUBSCRIPTIONS: list[tuple[str, str, dict[str, Any], str, int | None, int, bool]] = [
    ("manager", "kpis", {}, "weekly", MONDAY, 7, False),
    ("teamlead", "tickets", {"query": "group=all&at_risk=60&order=due"}, "daily", None, 7, True),
    ("accounts", "tickets", {"query": "group=all&open=1&order=due"}, "weekly", MONDAY, 8, True),
]


def build_floor_reports(created: dict[str, Any]) -> dict[str, int]:
    """The demo's subscriptions (once: a recipient who already has the
    report keeps theirs). Returns how many were made."""
    manager = User.objects.filter(username="manager").first()
    if manager is None:
        return {"subscriptions": 0}
    made = 0
    for login, report, params, frequency, weekday, hour, skip in DEMO_SUBSCRIPTIONS:
        recipient = User.objects.filter(username=login, is_active=True).first()
        if recipient is None:
            continue
        if ReportSubscription.objects.filter(recipient=recipient, report=report).exists():
            continue
        subscription = subscription_create(
            actor=manager,
            fields=SubscriptionFields(
                report=report,
                frequency=frequency,
                params=params,
                hour=hour,
                weekday=weekday,
                formats=["csv", "xlsx"],
                skip_when_empty=skip,
                recipient=recipient,
            ),
        )
        created.setdefault("reports.ReportSubscription", []).append(subscription.pk)
        made += 1
    return {"subscriptions": made}
