"""Scheduled reports end to end: subscribing starts the worker tick; the
tick sends the due report onto the outbound queue, and delivery takes it
to a real SMTP server with its files attached; the tick stops when no
subscription is active."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import openpyxl
import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from netdesk.accounts.models import Role
from netdesk.channels.services.delivery import outbound_deliver_due
from netdesk.reports.models import ReportSubscription
from netdesk.reports.sending import subscriptions_send_due
from netdesk.reports.subscriptions import SubscriptionFields, subscription_create
from netdesk.reports.tasks import ensure_report_tick, report_subscriptions_tick
from tests import factories as f
from tests.mailservers import SmtpSink

pytestmark = pytest.mark.django_db


def test_subscribing_starts_the_tick_and_the_tick_stops_without_subscriptions(
    django_capture_on_commit_callbacks,
):
    DBTaskResult.objects.all().delete()
    agent = f.user(email="a@example.net")
    with django_capture_on_commit_callbacks(execute=True):
        subscription_create(
            actor=agent,
            fields=SubscriptionFields(report="kpis", frequency="daily", params={}),
        )
    tick = report_subscriptions_tick.module_path
    assert DBTaskResult.objects.filter(task_path=tick).count() == 1
    DBTaskResult.objects.all().delete()
    # Nothing due yet: the tick sends nothing and queues the next one.
    assert report_subscriptions_tick.call() == 0
    assert DBTaskResult.objects.filter(task_path=tick).count() == 1
    ReportSubscription.objects.update(is_active=False)
    DBTaskResult.objects.all().delete()
    assert report_subscriptions_tick.call() == 0
    ensure_report_tick()
    assert not DBTaskResult.objects.exists()


def test_the_mail_reaches_the_server_with_its_files(mail_settings: SmtpSink):
    lead = f.user(Role.TEAM_LEAD, email="lead@example.net")
    f.ticket(lead, title="Fibre cut in the street")
    subscription_create(
        actor=lead,
        fields=SubscriptionFields(
            report="tickets",
            frequency="daily",
            params={"query": "group=all&open=1"},
            formats=["csv", "xlsx"],
        ),
    )
    day = timezone.localdate() + timedelta(days=1)
    assert (
        subscriptions_send_due(
            now=timezone.make_aware(datetime(day.year, day.month, day.day, 7, 1))
        )
        == 1
    )
    assert outbound_deliver_due() == 1
    (received,) = mail_settings.messages
    mail = message_from_bytes(received.raw, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    assert mail["To"] == "lead@example.net"
    assert mail["Subject"] == "Tickets (1), " + timezone.localdate().isoformat()
    text = mail.get_body(preferencelist=("plain",))
    assert text is not None
    assert "On the desk: /" in text.get_content()
    assert "As of " + timezone.localdate().isoformat() in text.get_content()
    files = {part.get_filename(): part.get_payload(decode=True) for part in mail.iter_attachments()}
    today = timezone.localdate().isoformat()
    rows = list(csv.reader(io.StringIO(files[f"tickets-{today}.csv"].decode())))  # type: ignore[union-attr]
    assert rows[1][rows[0].index("Title")] == "Fibre cut in the street"
    book = openpyxl.load_workbook(io.BytesIO(files[f"tickets-{today}.xlsx"]))  # type: ignore[arg-type]
    sheet = book.active
    assert sheet is not None
    assert sheet.title == "tickets"
    assert sheet.max_row == 2
