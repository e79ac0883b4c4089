"""Escalation notices created before their delivery moved into the outbound
queue (undelivered, no outbound message) are queued once when a worker
starts, and delivered like the notices created since."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from netdesk.channels.models import OutboundKind, OutboundMessage
from netdesk.channels.services.delivery import outbound_deliver_due
from netdesk.channels.services.outbound import escalation_notice_queue
from netdesk.channels.tasks import ensure_mail_tick
from netdesk.sla.models import EscalationNotice
from netdesk.tickets.models import Ticket
from tests import factories as f

pytestmark = pytest.mark.django_db


def old_notice(ticket: Ticket, *, address: str, **extra: Any) -> EscalationNotice:
    """A notice as the service-level firing left it before the upgrade:
    written without the hook that queues its mail."""
    return EscalationNotice.objects.create(
        ticket=ticket,
        address=address,
        subject=f"[{ticket.reference}] Resolution time 80 % used",
        body="Escalated before the upgrade.",
        deliver_after=timezone.now() - timedelta(hours=1),
        **extra,
    )


def test_undelivered_notices_from_before_are_queued_once_and_delivered(mail_settings):
    ticket = f.ticket(f.user())
    waiting = old_notice(ticket, address="lead@isp.example")
    old_notice(ticket, address="done@isp.example", delivered_at=timezone.now())
    since = old_notice(ticket, address="new@isp.example")
    escalation_notice_queue(notice=since)  # as the hook queues it today

    ensure_mail_tick()
    ensure_mail_tick()  # a second worker starting

    mails = OutboundMessage.objects.filter(kind=OutboundKind.SLA_NOTICE)
    assert sorted(mails.values_list("to_addresses", flat=True)) == [
        "lead@isp.example",
        "new@isp.example",
    ]
    assert mails.get(escalation_notice=waiting).next_attempt_at == waiting.deliver_after
    outbound_deliver_due()
    waiting.refresh_from_db()
    assert waiting.delivered_at is not None
    assert any("lead@isp.example" in m.rcpt_tos for m in mail_settings.messages)
