"""Delivering the outbound queue to a real SMTP server on 127.0.0.1: the
headers on the wire, the server's answers kept, temporary refusals retried
with backoff until every message is delivered once, permanent ones failed."""

from __future__ import annotations

from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.smtp import Envelope
from django.utils import timezone

from netdesk.channels.models import OutboundKind, OutboundMessage, OutboundState
from netdesk.channels.services.delivery import (
    MAX_ATTEMPTS,
    NO_SERVER,
    outbound_deliver_due,
    retry_delay,
)
from netdesk.channels.services.outbound import outbound_queue
from tests import factories as f
from tests.mailservers import PERMANENT_REFUSAL, TEMPORARY_REFUSAL, SinkMessage, SmtpSink

pytestmark = pytest.mark.django_db


def parsed(message: SinkMessage) -> EmailMessage:
    mail = message_from_bytes(message.raw, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    return mail


def queue(n: int = 1, **extra: Any) -> list[OutboundMessage]:
    return [
        outbound_queue(
            kind=extra.get("kind", OutboundKind.TEST),
            to=extra.get("to", [f"customer{i}@example.net"]),
            subject=extra.get("subject", f"Message {i}"),
            body=extra.get("body", "Hello"),
        )
        for i in range(n)
    ]


def later(minutes: float) -> datetime:
    return timezone.now() + timedelta(minutes=minutes)


def test_the_mail_on_the_wire_carries_every_header(mail_settings: SmtpSink, settings):
    settings.DEFAULT_FROM_EMAIL = "support@isp.example"
    ticket = f.ticket(f.user(), title="Störung")
    first = outbound_queue(
        kind=OutboundKind.ACKNOWLEDGEMENT, to=["kunde@example.net"], ticket=ticket
    )
    reply = outbound_queue(
        kind=OutboundKind.REPLY,
        to=["kunde@example.net"],
        cc=["chef@example.net"],
        ticket=ticket,
        subject="Ärger mit der Leitung – gelöst ✓",
        body="Grüße aus Köln: die Störung ist behoben.\n",
    )
    assert outbound_deliver_due() == 2
    ack, answer = (parsed(m) for m in mail_settings.messages)
    assert ack["Auto-Submitted"] == "auto-generated"
    assert answer["Auto-Submitted"] is None
    assert answer["Message-ID"] == f"<{reply.message_id}>"
    assert answer["In-Reply-To"] == f"<{first.message_id}>"
    assert answer["References"] == f"<{first.message_id}>"
    assert answer["From"] == answer["Reply-To"] == "support@isp.example"
    assert answer["To"] == "kunde@example.net"
    assert answer["Cc"] == "chef@example.net"
    assert answer["Date"].datetime is not None
    assert answer["Subject"] == f"[{ticket.reference}] Ärger mit der Leitung – gelöst ✓"
    assert answer.get_content() == "Grüße aus Köln: die Störung ist behoben.\r\n"
    # Seven bits on the wire: no server is asked for 8BITMIME or SMTPUTF8.
    assert mail_settings.messages[1].raw.isascii()
    assert mail_settings.messages[1].rcpt_tos == ("kunde@example.net", "chef@example.net")
    reply.refresh_from_db()
    assert (reply.state, reply.attempts, reply.server_answer) == (OutboundState.SENT, 1, "250 OK")
    assert reply.sent_at is not None
    assert reply.claimed_until is None


def test_messages_wait_for_their_time():
    later_row = outbound_queue(
        kind=OutboundKind.TEST, to=["a@example.net"], subject="s", body="b", send_at=later(30)
    )
    assert later_row.next_attempt_at > timezone.now()


def test_a_server_refusing_every_tenth_message_once_gets_each_once(mail_settings: SmtpSink):
    refused: set[str] = set()

    def every_tenth_once(n: int, envelope: Envelope) -> str | None:
        message_id = message_from_bytes(envelope.original_content or b"")["Message-ID"]
        if n % 10 or message_id in refused:
            return None
        refused.add(message_id)
        return TEMPORARY_REFUSAL

    mail_settings.refuse = every_tenth_once
    rows = queue(45)
    assert outbound_deliver_due(limit=100) == 41
    retried = OutboundMessage.objects.filter(state=OutboundState.QUEUED)
    assert retried.count() == 4
    assert {r.server_answer for r in retried} == {TEMPORARY_REFUSAL}
    # Not before their backoff (one minute after the first refusal).
    assert outbound_deliver_due(now=later(0.5)) == 0
    assert outbound_deliver_due(now=later(1.5)) == 4
    ids = [parsed(m)["Message-ID"] for m in mail_settings.messages]
    assert sorted(ids) == sorted(f"<{row.message_id}>" for row in rows)
    assert not OutboundMessage.objects.exclude(state=OutboundState.SENT).exists()
    assert OutboundMessage.objects.filter(attempts=2).count() == 4


def test_a_permanent_refusal_fails_the_message_with_the_servers_answer(
    mail_settings: SmtpSink,
):
    mail_settings.refuse = lambda _n, _envelope: PERMANENT_REFUSAL
    (row,) = queue()
    assert outbound_deliver_due() == 0
    row.refresh_from_db()
    assert (row.state, row.attempts, row.server_answer) == (
        OutboundState.FAILED,
        1,
        PERMANENT_REFUSAL,
    )
    assert outbound_deliver_due(now=later(600)) == 0


def test_refused_recipients_are_named(mail_settings: SmtpSink):
    mail_settings.refuse_recipient = lambda address: (
        "550 5.1.1 No such user" if address.startswith("gone") else None
    )
    partly = queue(to=["gone@example.net", "here@example.net"])[0]
    wholly = queue(to=["gone@example.net"])[0]
    assert outbound_deliver_due() == 1
    partly.refresh_from_db()
    wholly.refresh_from_db()
    assert partly.state == OutboundState.SENT
    assert partly.server_answer == (
        "250 OK (refused: RCPT TO gone@example.net: 550 5.1.1 No such user)"
    )
    assert mail_settings.messages[0].rcpt_tos == ("here@example.net",)
    assert wholly.state == OutboundState.FAILED
    assert wholly.server_answer == "RCPT TO gone@example.net: 550 5.1.1 No such user"


def test_temporary_refusals_back_off_and_give_up_after_ten(mail_settings: SmtpSink):
    mail_settings.refuse = lambda _n, _envelope: TEMPORARY_REFUSAL
    (row,) = queue()
    now = timezone.now()
    for attempt in range(1, MAX_ATTEMPTS):
        assert outbound_deliver_due(now=now) == 0
        row.refresh_from_db()
        assert (row.state, row.attempts) == (OutboundState.QUEUED, attempt)
        assert row.next_attempt_at == now + retry_delay(attempt)
        now = row.next_attempt_at
    outbound_deliver_due(now=now)
    row.refresh_from_db()
    assert (row.state, row.attempts) == (OutboundState.FAILED, MAX_ATTEMPTS)
    assert row.server_answer == f"{TEMPORARY_REFUSAL} (gave up after {MAX_ATTEMPTS} attempts)"
    assert len(mail_settings.refused) == MAX_ATTEMPTS


def test_backoff_doubles_from_a_minute_up_to_an_hour():
    assert [retry_delay(n).total_seconds() / 60 for n in range(1, 9)] == [
        1,
        2,
        4,
        8,
        16,
        32,
        60,
        60,
    ]


def test_without_a_mail_server_nothing_is_tried_and_rows_say_why(settings):
    settings.EMAIL_HOST = ""
    (row,) = queue()
    assert outbound_deliver_due() == 0
    row.refresh_from_db()
    assert (row.state, row.attempts, row.server_answer) == (OutboundState.QUEUED, 0, NO_SERVER)


def test_once_a_server_is_configured_waiting_rows_go_out(settings, smtp_sink: SmtpSink):
    settings.EMAIL_HOST = ""
    (row,) = queue()
    outbound_deliver_due()
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp_sink.host, smtp_sink.port
    assert outbound_deliver_due() == 1
    row.refresh_from_db()
    assert (row.state, row.server_answer) == (OutboundState.SENT, "250 OK")


def test_an_unreachable_server_is_a_temporary_failure_for_the_whole_batch(
    settings, smtp_sink: SmtpSink
):
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp_sink.host, smtp_sink.port
    smtp_sink.stop()
    queue(3)
    assert outbound_deliver_due() == 0
    rows = OutboundMessage.objects.all()
    assert {(r.state, r.attempts) for r in rows} == {(OutboundState.QUEUED, 1)}
    assert all(r.server_answer.startswith("cannot connect to 127.0.0.1") for r in rows)
    smtp_sink.start()
    assert outbound_deliver_due(now=later(2)) == 3


def test_a_row_whose_deliverer_died_is_taken_again_after_its_lease(mail_settings: SmtpSink):
    abandoned, claimed = queue(2)
    OutboundMessage.objects.filter(pk=abandoned.pk).update(
        state=OutboundState.SENDING, claimed_until=later(-1)
    )
    OutboundMessage.objects.filter(pk=claimed.pk).update(
        state=OutboundState.SENDING, claimed_until=later(10)
    )
    assert outbound_deliver_due() == 1
    abandoned.refresh_from_db()
    claimed.refresh_from_db()
    assert abandoned.state == OutboundState.SENT
    assert claimed.state == OutboundState.SENDING


def test_failed_rows_without_an_address_are_never_claimed(mail_settings: SmtpSink):
    row = outbound_queue(kind=OutboundKind.TEST, to=[], subject="s", body="b")
    assert row.state == OutboundState.FAILED
    assert outbound_deliver_due() == 0
    assert mail_settings.attempts == 0


def test_long_lines_and_a_named_sender_are_encoded(mail_settings: SmtpSink, settings):
    settings.DEFAULT_FROM_EMAIL = "Kundenservice Köln <service@isp.example>"
    long_line = "x" * 2000
    queue(body=f"{long_line}\nend\n")
    assert outbound_deliver_due() == 1
    raw = mail_settings.messages[0].raw
    assert raw.isascii()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    mail = parsed(mail_settings.messages[0])
    assert mail["From"] == "Kundenservice Köln <service@isp.example>"
    assert mail.get_content().replace("\r\n", "\n") == f"{long_line}\nend\n"
