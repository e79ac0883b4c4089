"""Sending subscribed reports: each due one once (however many ticks), its
tables attached as CSV and XLSX with the figures the report shows, computed
as its reader (an account manager's copy holds only their accounts'
tickets), skipped when empty if asked, and a failure recorded while the
subscription stays and runs again next period."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import openpyxl
import pytest
from django.utils import timezone

from netdesk.accounts.models import Role
from netdesk.channels.models import OutboundAttachment, OutboundKind, OutboundMessage
from netdesk.noc.models import IncidentTicket, NetworkIncident
from netdesk.reports.models import ReportSubscription
from netdesk.reports.sending import SKIPPED_EMPTY, subscriptions_send_due
from netdesk.reports.subscriptions import (
    SubscriptionFields,
    subscription_create,
    subscription_send_now,
)
from tests import factories as f

pytestmark = pytest.mark.django_db


def tomorrow_at(hour: int, minute: int = 1) -> datetime:
    day = timezone.localdate() + timedelta(days=1)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


def subscribe(actor, report: str = "kpis", **extra: object) -> ReportSubscription:
    values: dict[str, object] = {"report": report, "frequency": "daily", "params": {}, "hour": 7}
    return subscription_create(actor=actor, fields=SubscriptionFields(**(values | extra)))  # type: ignore[arg-type]


def files_of(message: OutboundMessage) -> dict[str, bytes]:
    return {
        a.filename: bytes(a.content) for a in OutboundAttachment.objects.filter(message=message)
    }


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode())))


def test_a_due_report_is_sent_once_with_its_tables_attached():
    manager = f.user(Role.SERVICE_DESK_MANAGER, email="manager@example.net")
    agent = f.user()
    for _ in range(3):
        f.ticket(agent)
    subscription = subscribe(manager, formats=["csv", "xlsx"])
    run = tomorrow_at(7)
    # Given two ticks (or two workers one after the other) at the same minute
    assert subscriptions_send_due(now=run) == 1
    assert subscriptions_send_due(now=run) == 0
    # Then one mail went to the manager with the KPI table as CSV and XLSX
    mail = OutboundMessage.objects.get(kind=OutboundKind.REPORT)
    assert mail.to_addresses == "manager@example.net"
    today = timezone.localdate().isoformat()
    assert mail.subject == f"KPIs — Whole desk, {today}"
    files = files_of(mail)
    assert sorted(files) == [f"kpis-{today}.csv", f"kpis-{today}.xlsx"]
    rows = csv_rows(files[f"kpis-{today}.csv"])
    assert rows[0] == ["Figure", "Value"]
    figures = dict((row[0], row[1]) for row in rows[1:])
    assert figures["Scope"] == "Whole desk"
    assert figures["Response: created"] == "3"
    sheet = openpyxl.load_workbook(io.BytesIO(files[f"kpis-{today}.xlsx"])).active
    assert sheet is not None
    cells = {row[0]: row[1] for row in sheet.iter_rows(values_only=True)}
    assert cells["Response: created"] == 3
    assert cells["Figure"] == "Value"
    # And the subscription says so and moves on to the next day
    subscription.refresh_from_db()
    assert subscription.last_outcome.startswith("sent to manager@example.net (2 files)")
    assert subscription.last_run_at == run
    assert subscription.next_run_at == tomorrow_at(7, 0) + timedelta(days=1)


def test_runs_missed_while_no_worker_ran_are_sent_once():
    agent = f.user(email="a@example.net")
    subscription = subscribe(agent)
    late = tomorrow_at(7) + timedelta(days=3)
    assert subscriptions_send_due(now=late) == 1
    assert subscriptions_send_due(now=late) == 0
    assert OutboundMessage.objects.filter(kind=OutboundKind.REPORT).count() == 1
    subscription.refresh_from_db()
    assert subscription.next_run_at == tomorrow_at(7, 0) + timedelta(days=4)


def test_an_account_managers_copy_holds_only_their_accounts():
    manager = f.user(Role.SERVICE_DESK_MANAGER)
    account_manager = f.user(Role.ACCOUNT_MANAGER, email="am@example.net")
    mine = f.ticket(manager, f.customer(account_manager=account_manager), title="Mine")
    other = f.ticket(manager, f.customer(), title="Not mine")
    now = timezone.now()
    incident = NetworkIncident.objects.create(
        title="OLT down", detected_by="alarm", started_at=now, detected_at=now
    )
    for ticket in (mine, other):
        IncidentTicket.objects.create(incident=incident, ticket=ticket, linked_at=now)
    # The manager subscribes the account manager to the failure report
    subscribe(manager, "failures", recipient=account_manager)
    # and the same report to an address, read as the manager.
    subscribe(manager, "failures", address="noc@example.net")
    assert subscriptions_send_due(now=tomorrow_at(7)) == 2
    tickets_column = {}
    for mail in OutboundMessage.objects.filter(kind=OutboundKind.REPORT):
        (content,) = files_of(mail).values()
        rows = csv_rows(content)
        column = rows[0].index("Tickets linked")
        tickets_column[mail.to_addresses] = rows[1][column]
    assert tickets_column["am@example.net"] == mine.reference
    assert sorted(tickets_column["noc@example.net"].split("; ")) == sorted(
        [mine.reference, other.reference]
    )


def test_an_account_managers_kpis_are_their_own():
    manager = f.user(Role.SERVICE_DESK_MANAGER)
    account_manager = f.user(Role.ACCOUNT_MANAGER, email="am@example.net")
    f.ticket(manager)
    f.ticket(account_manager, f.customer(account_manager=account_manager))
    subscribe(manager, recipient=account_manager)
    subscriptions_send_due(now=tomorrow_at(7))
    (content,) = files_of(OutboundMessage.objects.get(kind=OutboundKind.REPORT)).values()
    figures = dict((row[0], row[1]) for row in csv_rows(content)[1:])
    assert figures["Scope"] == account_manager.username
    assert figures["Response: created"] == "1"


def test_an_empty_report_is_skipped_when_asked():
    agent = f.user(email="a@example.net")
    skipping = subscribe(agent, skip_when_empty=True)
    sending = subscribe(agent)
    assert subscriptions_send_due(now=tomorrow_at(7)) == 2
    skipping.refresh_from_db()
    sending.refresh_from_db()
    assert skipping.last_outcome == SKIPPED_EMPTY
    assert sending.last_outcome.startswith("sent to a@example.net")
    assert OutboundMessage.objects.filter(kind=OutboundKind.REPORT).count() == 1


def test_a_failure_is_recorded_and_tried_again_next_period():
    lead = f.user(Role.TEAM_LEAD, email="lead@example.net")
    group = f.group()
    subscription = subscribe(lead, params={"group": group.pk})
    # The group disappears after the subscription was made.
    ReportSubscription.objects.filter(pk=subscription.pk).update(params={"group": 987654})
    assert subscriptions_send_due(now=tomorrow_at(7)) == 1
    subscription.refresh_from_db()
    assert subscription.last_outcome == "failed: No group has id 987654."
    assert subscription.is_active
    assert subscription.next_run_at == tomorrow_at(7, 0) + timedelta(days=1)
    assert not OutboundMessage.objects.filter(kind=OutboundKind.REPORT).exists()


def test_a_deactivated_readers_report_is_skipped_with_the_reason():
    agent = f.user(email="a@example.net")
    subscription = subscribe(agent)
    agent.is_active = False
    agent.save()
    subscriptions_send_due(now=tomorrow_at(7))
    subscription.refresh_from_db()
    assert subscription.last_outcome == f"skipped: {agent.username}'s account is deactivated"
    assert not OutboundMessage.objects.filter(kind=OutboundKind.REPORT).exists()


def test_send_now_leaves_the_schedule_alone():
    agent = f.user(email="a@example.net")
    subscription = subscribe(agent)
    due = subscription.next_run_at
    sent = subscription_send_now(actor=agent, subscription_id=subscription.pk)
    assert sent.last_outcome.startswith("on request: sent to a@example.net")
    assert sent.next_run_at == due
    assert OutboundMessage.objects.filter(kind=OutboundKind.REPORT).count() == 1
