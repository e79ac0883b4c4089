"""Rows of a ticket's mail for the conversation tests: received and sent
messages written as the pipeline and the outbound queue leave them."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.channels.models import (
    InboundMessage,
    InboundState,
    OutboundKind,
    OutboundMessage,
    Outcome,
    Source,
)
from netdesk.customers.models import Contact
from netdesk.tickets.models import Attachment, Comment, Ticket
from netdesk.tickets.services import attachment_add

_seq = itertools.count(1)
START = timezone.now() - timedelta(days=1)


def received(
    ticket: Ticket,
    *,
    at: datetime | None = None,
    contact: Contact | None = None,
    files: int = 0,
    actor: User | None = None,
    **extra: Any,
) -> InboundMessage:
    n = next(_seq)
    message = InboundMessage.objects.create(
        source=Source.PIPE,
        message_id=extra.pop("message_id", f"customer.{n}@example.net"),
        content_hash=f"{n:064x}",
        raw=extra.pop("raw", b"From: customer@example.net\r\n\r\nHello\r\n"),
        received_at=at or START + timedelta(minutes=n),
        state=InboundState.PROCESSED,
        outcome=extra.pop("outcome", Outcome.REPLY_ADDED),
        ticket=ticket,
        contact=contact,
        sender=extra.pop("sender", "customer@example.net"),
        sender_name=extra.pop("sender_name", "Carla Customer"),
        subject=extra.pop("subject", f"Re: {ticket.title}"),
        to_addresses=extra.pop("to_addresses", "support@isp.example"),
        text=extra.pop("text", "Still down.\n\n> earlier words\n"),
        reply_text=extra.pop("reply_text", "Still down."),
        **extra,
    )
    for i in range(files):
        message.attachments.add(attached(ticket, actor=actor, name=f"log-{n}-{i}.txt"))
    return message


def attached(
    ticket: Ticket, *, actor: User | None, name: str, content: bytes = b"modem log\n"
) -> Attachment:
    return attachment_add(
        actor=actor, ticket=ticket, upload=SimpleUploadedFile(name, content, "text/plain")
    )


def sent(ticket: Ticket, *, at: datetime | None = None, **extra: Any) -> OutboundMessage:
    """A message of the outbound queue; a reply carries its comment, as the
    agent's reply leaves it."""
    n = next(_seq)
    kind = extra.pop("kind", OutboundKind.REPLY)
    if kind == OutboundKind.REPLY and "comment" not in extra:
        extra["comment"] = Comment.objects.create(
            ticket=ticket, author=extra.get("created_by"), visibility="public", body="reply"
        )
    message = OutboundMessage.objects.create(
        kind=kind,
        ticket=ticket,
        from_address="support@isp.example",
        to_addresses=extra.pop("to_addresses", "customer@example.net"),
        subject=extra.pop("subject", f"[{ticket.reference}] {ticket.title}"),
        body=extra.pop("body", "We are on it."),
        message_id=f"<ndk.{ticket.pk}.t{n}@isp.example>",
        next_attempt_at=timezone.now(),
        **extra,
    )
    if at is not None:
        # created_at is set on insert; a test that orders messages sets it after.
        OutboundMessage.objects.filter(pk=message.pk).update(created_at=at)
        message.created_at = at
    return message
