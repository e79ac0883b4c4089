"""`netdesk mail send`: what is due goes out now, batch after batch."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from netdesk.channels.models import OutboundKind, OutboundMessage, OutboundState
from netdesk.channels.services.delivery import NO_SERVER
from netdesk.channels.services.outbound import outbound_queue
from tests.mailservers import TEMPORARY_REFUSAL, SmtpSink

pytestmark = pytest.mark.django_db


def queue(n: int) -> None:
    for i in range(n):
        outbound_queue(kind=OutboundKind.TEST, to=[f"c{i}@example.net"], subject="s", body="b")


def send(*arguments: str) -> str:
    out = StringIO()
    call_command("mail", "send", *arguments, stdout=out)
    return out.getvalue()


def test_send_delivers_every_due_message_in_batches(mail_settings: SmtpSink):
    queue(230)
    assert send() == "Sent 230 messages; 0 queued for later.\n"
    assert len(mail_settings.messages) == 230


def test_send_says_what_waits_for_a_retry(mail_settings: SmtpSink):
    mail_settings.refuse = lambda n, _envelope: TEMPORARY_REFUSAL if n == 2 else None
    queue(3)
    assert send() == "Sent 2 messages; 1 queued for later.\n"


def test_send_stops_at_the_limit(mail_settings: SmtpSink):
    queue(5)
    assert send("--limit", "3") == "Sent 3 messages; 2 queued for later.\n"
    with pytest.raises(CommandError) as refused:
        send("--limit", "0")
    assert refused.value.returncode == 64


def test_send_without_a_mail_server_exits_75_and_keeps_the_messages(settings):
    settings.EMAIL_HOST = ""
    queue(1)
    with pytest.raises(CommandError) as refused:
        send()
    assert refused.value.returncode == 75
    assert str(refused.value) == NO_SERVER
    row = OutboundMessage.objects.get()
    assert (row.state, row.server_answer) == (OutboundState.QUEUED, NO_SERVER)
