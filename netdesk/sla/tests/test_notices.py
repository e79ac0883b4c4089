"""Escalation notices reach a real SMTP server on 127.0.0.1."""

import socket
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from django.utils import timezone

from netdesk.accounts.models import Role
from netdesk.sla.models import EscalationNotice
from netdesk.sla.notices import NO_SERVER, notices_deliver
from tests import factories as f

pytestmark = pytest.mark.django_db


class Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Any] = []

    def handle_message(self, message) -> None:
        self.messages.append(message)


@pytest.fixture
def smtp_server(settings):
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    yield inbox
    controller.stop()


def notice(recipient, deliver_after):
    ticket = f.ticket(f.user())
    return EscalationNotice.objects.create(
        ticket=ticket,
        recipient=recipient,
        subject=f"[{ticket.reference}] SLA at 80%",
        body="Resolution due soon",
        deliver_after=deliver_after,
    )


def test_due_notices_are_sent_once_and_later_ones_wait(smtp_server):
    lead = f.user(Role.TEAM_LEAD, email="lead@example.net")
    now = timezone.now()
    due = notice(lead, now - timedelta(minutes=1))
    later = notice(lead, now + timedelta(hours=8))
    assert notices_deliver(now=now) == 1
    assert notices_deliver(now=now) == 0
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "lead@example.net"
    assert message["Subject"] == due.subject
    due.refresh_from_db()
    later.refresh_from_db()
    assert due.delivered_at is not None
    assert later.delivered_at is None


def test_a_refused_connection_is_kept_with_its_reason(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = 1  # nothing listens there
    item = notice(f.user(Role.TEAM_LEAD, email="lead@example.net"), timezone.now())
    assert notices_deliver() == 0
    item.refresh_from_db()
    assert item.delivered_at is None
    assert item.attempts == 1
    assert "Connection" in item.last_error or "refused" in item.last_error.lower()


def test_without_a_mail_server_notices_say_why(settings):
    settings.EMAIL_HOST = ""
    item = notice(f.user(Role.TEAM_LEAD, email="lead@example.net"), timezone.now())
    assert notices_deliver() == 0
    item.refresh_from_db()
    assert item.last_error == NO_SERVER
