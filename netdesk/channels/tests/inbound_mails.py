"""Raw mails for the inbound tests, written as a mail program would."""

from __future__ import annotations

import itertools
from email.message import EmailMessage
from email.utils import format_datetime

from django.utils import timezone

from netdesk.channels.models import Mailbox, OutboundKind, OutboundMessage
from netdesk.channels.parsing import make_message_id
from netdesk.tickets.models import Ticket

_seq = itertools.count(1)
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81"
    b"\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


def mail(
    *,
    sender: str = "ann@example.net",
    subject: str = "No internet since this morning",
    body: str = "Hello,\n\nmy line has been down since 8 am.\n\nAnn\n",
    message_id: str | None = "",
    in_reply_to: str = "",
    references: str = "",
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
) -> bytes:
    """One mail; a fresh Message-ID unless given (None: no Message-ID)."""
    message = EmailMessage()
    message["From"] = f"Ann Example <{sender}>" if sender else ""
    message["To"] = "support@isp.example"
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    if message_id is not None:
        message["Message-ID"] = f"<{message_id or f'm{next(_seq)}.{id(message)}@example.net'}>"
    if in_reply_to:
        message["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    for filename, content_type, data in attachments or []:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def sent(ticket: Ticket, *, to: str = "ann@example.net") -> OutboundMessage:
    """A message the desk sent about `ticket` (as the outbound queue writes it)."""
    return OutboundMessage.objects.create(
        kind=OutboundKind.REPLY,
        ticket=ticket,
        to_addresses=to,
        subject=f"[{ticket.reference}] {ticket.title}",
        body="We are looking into it.",
        message_id=make_message_id(ticket.pk, "localhost"),
        next_attempt_at=timezone.now(),
        state="sent",
    )


def bounce(*, original_message_id: str, recipient: str = "ann@example.net") -> bytes:
    """A delivery status notification (RFC 3464) for one of the desk's messages."""
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
        "To: support@isp.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <dsn{next(_seq)}@mx.example.net>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        "\r\n"
        "--B\r\n"
        "Content-Type: text/plain\r\n\r\n"
        "I'm sorry to have to inform you that your message could not be delivered.\r\n"
        "--B\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.net\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        "Action: failed\r\n"
        "Status: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <ann@example.net>: mailbox unknown\r\n"
        "--B\r\n"
        "Content-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: <{original_message_id}>\r\n"
        "From: support@isp.example\r\n"
        "Subject: Re: No internet\r\n"
        "--B--\r\n"
    ).encode()


def mailbox(**extra: object) -> Mailbox:
    name = str(extra.pop("name", f"support{next(_seq)}"))
    return Mailbox.objects.create(name=name, address=f"{name}@isp.example", **extra)
