"""The demo's email channel, through the real pipeline (`mail_take`, no
mail server): a mailbox "support" and mail in every state. A subscriber's
fault report (acknowledged, an out-of-office answer kept on the ticket, an
agent's reply and the subscriber's answer threading back), a stranger's
question on a placeholder customer whose acknowledgement bounces, and one
broken mail in quarantine. Outbound mail stays queued: without
NETDESK_EMAIL_HOST the desk sends nothing and says so."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from django.conf import settings
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.channels.models import InboundMessage, Mailbox, OutboundKind, OutboundMessage, Source
from netdesk.channels.services.inbound import mail_take
from netdesk.channels.services.mailboxes import MailboxSettings, mailbox_save
from netdesk.customers.models import Contact, Segment
from netdesk.tickets.choices import Visibility
from netdesk.tickets.models import Ticket
from netdesk.tickets.services import comment_add

STRANGER = "jonas.fischer@example.org"
# A mail cut off by a failing relay: the header block is missing.
BROKEN = (
    b"--=_cut_by_relay\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    b"my router shows a red light since the thunderstorm\r\n"
)


def _mail(
    *,
    sender: tuple[str, str],
    to: str,
    subject: str,
    body: str,
    replying_to: list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = f"{sender[0]} <{sender[1]}>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = make_msgid(domain=sender[1].rpartition("@")[2])
    if replying_to:
        message["In-Reply-To"] = replying_to[-1]
        message["References"] = " ".join(replying_to)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message.as_bytes()


def _bounce(*, undelivered: OutboundMessage, reporting: str) -> bytes:
    """A Postfix-style delivery report (RFC 3464) for `undelivered`."""
    sender = undelivered.from_address or settings.DEFAULT_FROM_EMAIL
    recipient = undelivered.to_addresses
    boundary = f"{make_msgid(domain=reporting)[1:-1]}/report"
    lines = [
        f"From: Mail Delivery System <MAILER-DAEMON@{reporting}>",
        f"To: {sender}",
        "Subject: Undelivered Mail Returned to Sender",
        f"Date: {format_datetime(timezone.now())}",
        f"Message-ID: {make_msgid(domain=reporting)}",
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"',
        "",
        f"--{boundary}",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        f"This is the mail system at host {reporting}.",
        f"Your message could not be delivered to <{recipient}>: the mailbox is full.",
        "",
        f"--{boundary}",
        "Content-Type: message/delivery-status",
        "",
        f"Reporting-MTA: dns; {reporting}",
        "",
        f"Final-Recipient: rfc822; {recipient}",
        "Action: failed",
        "Status: 5.2.2",
        f"Diagnostic-Code: smtp; 552 5.2.2 <{recipient}>: mailbox full",
        "",
        f"--{boundary}",
        "Content-Type: text/rfc822-headers",
        "",
        f"From: {sender}",
        f"To: {recipient}",
        f"Subject: {undelivered.subject}",
        f"Message-ID: {undelivered.message_id}",
        "Auto-Submitted: auto-generated",
        "",
        f"--{boundary}--",
        "",
    ]
    return "\r\n".join(lines).encode()


def _acknowledgement(ticket: Ticket | None) -> OutboundMessage | None:
    return (
        OutboundMessage.objects.filter(ticket=ticket, kind=OutboundKind.ACKNOWLEDGEMENT).first()
        if ticket
        else None
    )


def _subscriber_thread(box: Mailbox, contact: Contact, agent: User) -> list[InboundMessage]:
    """A fault report, its out-of-office answer, the agent's reply and the
    subscriber's answer to it."""
    who = (contact.name, contact.email)
    report = mail_take(
        raw=_mail(
            sender=who,
            to=box.address,
            subject="No internet since this morning",
            body=(
                "Hello,\n\nsince about 7 am my internet connection is down. The router's "
                "DSL light keeps blinking. I already restarted it twice.\n\n"
                f"Kind regards\n{contact.name}\n"
            ),
        ),
        mailbox=box,
        source=Source.DEMO,
    )
    taken = [report]
    acknowledgement = _acknowledgement(report.ticket)
    if report.ticket is None or acknowledgement is None:
        return taken
    ticket = report.ticket
    taken.append(
        mail_take(
            raw=_mail(
                sender=who,
                to=box.address,
                subject=f"Automatic reply: {acknowledgement.subject}",
                body="I am out of the office until Monday and read no mail until then.\n",
                replying_to=[acknowledgement.message_id],
                headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
            ),
            mailbox=box,
            source=Source.DEMO,
        )
    )
    comment_add(
        actor=agent,
        ticket=ticket,
        visibility=Visibility.PUBLIC,
        body=(
            "Hello,\n\nwe measured your line: the sync drops every few minutes. Could you "
            "plug the router directly into the first phone socket, without the extension "
            "cable, and tell us whether the light stays steady?"
        ),
    )
    reply = OutboundMessage.objects.filter(ticket=ticket, kind=OutboundKind.REPLY).last()
    thread = [report.message_id and f"<{report.message_id}>", acknowledgement.message_id]
    if reply is not None:
        thread.append(reply.message_id)
    taken.append(
        mail_take(
            raw=_mail(
                sender=who,
                to=box.address,
                subject=f"Re: [{ticket.reference}] {ticket.title}",
                body=(
                    "Without the extension cable the light is steady now and the internet "
                    "works. Thank you!\n\n"
                    f"{contact.name}\n\n-- \nSent from my phone\n\n"
                    f"> Could you plug the router directly into the first phone socket?\n"
                ),
                replying_to=[t for t in thread if t],
            ),
            mailbox=box,
            source=Source.DEMO,
        )
    )
    return taken


def _stranger_thread(box: Mailbox) -> list[InboundMessage]:
    """A question from an address no customer has, whose acknowledgement bounces."""
    question = mail_take(
        raw=_mail(
            sender=("Jonas Fischer", STRANGER),
            to=box.address,
            subject="Fibre availability in Lindenstraße?",
            body=(
                "Good evening,\n\nis fibre available at Lindenstraße 12 yet? I would like "
                "to switch from my current provider.\n\nJonas Fischer\n"
            ),
        ),
        mailbox=box,
        source=Source.DEMO,
    )
    taken = [question]
    acknowledgement = _acknowledgement(question.ticket)
    if acknowledgement is not None:
        raw = _bounce(undelivered=acknowledgement, reporting="mx.example.org")
        taken.append(mail_take(raw=raw, mailbox=box, source=Source.DEMO))
    return taken


def build_mail(created: dict[str, Any]) -> None:
    """The demo mailbox and its mail. Records what it made in `created`:
    the mailbox, the received mail and the placeholder customers of
    unknown senders (their tickets go with them on --reset)."""
    box = mailbox_save(
        actor=None,
        mailbox=None,
        values=MailboxSettings(
            name="support",
            address=f"support@{settings.NETDESK_MAIL_DOMAIN}",
            language="en",
        ),
    )
    created["channels.Mailbox"] = [box.pk]
    contact = (
        Contact.objects.filter(customer__segment=Segment.RESIDENTIAL, verified=True)
        .exclude(email="")
        .order_by("pk")
        .first()
    )
    agent = User.objects.get(username="hotline")
    taken = _subscriber_thread(box, contact, agent) if contact else []
    taken += _stranger_thread(box)
    taken.append(mail_take(raw=BROKEN, mailbox=box, source=Source.DEMO))
    created["channels.InboundMessage"] = [message.pk for message in taken]
    created["channels.placeholders"] = sorted(
        {
            message.ticket.customer_id
            for message in taken
            if message.ticket is not None and message.ticket.customer.is_placeholder
        }
    )
