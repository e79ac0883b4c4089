"""The one outbound queue: every message the desk sends (replies,
acknowledgements, status notices, incident notices, service-level notices)
is written here as a row; `delivery.outbound_deliver_due` sends it.

A row carries everything the mail needs: its Message-ID (which names the
ticket, so an answer threads back whatever its subject), In-Reply-To and
References taken from the ticket's mail, the sending mailbox's address and
whether it is automatic (RFC 3834: other systems must not answer it)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import getaddresses, parseaddr
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.channels.addresses import addresses_checked
from netdesk.channels.models import (
    AUTOMATIC_KINDS,
    InboundMessage,
    Mailbox,
    OutboundAttachment,
    OutboundKind,
    OutboundMessage,
    OutboundState,
    Outcome,
    TemplateEvent,
)
from netdesk.channels.parsing import address_key, make_message_id
from netdesk.channels.services.templates import (
    MessageContext,
    message_render,
    template_context,
    template_for,
)
from netdesk.core.errors import ValidationFailed
from netdesk.customers.models import Customer
from netdesk.noc.models import IncidentUpdate, NetworkIncident
from netdesk.sla.models import EscalationNotice
from netdesk.tickets.models import Comment, Ticket

# The template each kind of message is worded by (a test message has none).
KIND_EVENTS = {
    OutboundKind.REPLY: TemplateEvent.REPLY,
    OutboundKind.ACKNOWLEDGEMENT: TemplateEvent.ACKNOWLEDGEMENT,
    OutboundKind.STATUS: TemplateEvent.STATUS_RESOLVED,
    OutboundKind.INCIDENT_NOTICE: TemplateEvent.INCIDENT_NOTICE,
    OutboundKind.ALL_CLEAR: TemplateEvent.ALL_CLEAR,
    OutboundKind.SLA_NOTICE: TemplateEvent.SLA_NOTICE,
    OutboundKind.SURVEY: TemplateEvent.SURVEY,
}
# Mail the customer reads as part of their ticket's conversation; notices to
# staff and test messages stand alone.
THREADED_KINDS = frozenset({OutboundKind.REPLY, OutboundKind.ACKNOWLEDGEMENT, OutboundKind.STATUS})
# Mail that is not a person's words is never threaded on: an out-of-office
# answer or a delivery report is not what the customer replied.
_NOT_CONVERSATION = (Outcome.BOUNCE, Outcome.AUTO_REPLY, Outcome.DUPLICATE)
# References keeps the thread's first message and the latest ones: enough for
# every mail client to thread, short enough for any header limit.
REFERENCES_KEPT = 10
NO_ADDRESS = "not sent: no address (the ticket has no sender, contact or customer e-mail address)"


@dataclass(frozen=True)
class MailFile:
    """A file to send with a message (a report's table as CSV or XLSX)."""

    filename: str
    content_type: str
    content: bytes


def ticket_mailbox(ticket: Ticket | None) -> Mailbox | None:
    """The mailbox a ticket's mail goes out from: the one its first mail came
    in to, else the first active mailbox; None when the desk has none."""
    if ticket is not None:
        first = (
            InboundMessage.objects.filter(ticket=ticket, mailbox__isnull=False)
            .select_related("mailbox")
            .order_by("received_at", "pk")
            .first()
        )
        if first is not None and first.mailbox is not None:
            return first.mailbox
    return Mailbox.objects.filter(active=True).order_by("pk").first()


def desk_addresses() -> set[str]:
    """Every address of the desk itself (address keys), never a recipient."""
    keys = {address_key(parseaddr(settings.DEFAULT_FROM_EMAIL)[1])}
    for address, reply_address in Mailbox.objects.values_list("address", "reply_address"):
        keys |= {address_key(a) for a in (address, reply_address) if a}
    return keys


def _valid(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def _checked_addresses(field: str, given: Iterable[str]) -> list[str]:
    """Bare addresses from what a caller gave ("Name <a@b>" or "a@b", one
    per item or several separated), each once; by the rule the reply
    composer applies too: a bad one is refused by name, and so are more
    than MAX_RECIPIENTS."""
    return addresses_checked(given, field=field)


def recipients_checked(to: Iterable[str], cc: Iterable[str]) -> tuple[list[str], list[str]]:
    """Checked addresses; an address in To is not copied again."""
    to_addresses = _checked_addresses("to", to)
    taken = {a.lower() for a in to_addresses}
    return to_addresses, [a for a in _checked_addresses("cc", cc) if a.lower() not in taken]


def reply_recipients(ticket: Ticket) -> tuple[list[str], list[str]]:
    """Who a reply goes to: the sender of the ticket's latest mail, else its
    contact's address, else its customer's; and the copies of a reply-all:
    the other addresses that mail was to or copied to, the desk's own left out."""
    latest = (
        InboundMessage.objects.filter(ticket=ticket)
        .exclude(sender="")
        .exclude(outcome__in=_NOT_CONVERSATION)
        .order_by("-received_at", "-pk")
        .first()
    )
    candidates = [
        latest.sender if latest else "",
        ticket.contact.email if ticket.contact else "",
        ticket.customer.email,
    ]
    to = next(([a] for a in candidates if a and _valid(a)), [])
    if latest is None:
        return to, []
    skip = desk_addresses() | {address_key(a) for a in to}
    cc: list[str] = []
    for _name, address in getaddresses([latest.to_addresses, latest.cc_addresses]):
        key = address_key(address)
        if address and key not in skip and _valid(address):
            skip.add(key)
            cc.append(address)
    return to, cc


def thread_headers(ticket: Ticket) -> tuple[str, str]:
    """In-Reply-To and References (ids without <>, References space-separated)
    for a new message on `ticket`: it answers the customer's latest mail, or
    else follows the desk's latest; References lists the thread in order."""
    conversation = (
        InboundMessage.objects.filter(ticket=ticket)
        .exclude(message_id="")
        .exclude(outcome__in=_NOT_CONVERSATION)
    )
    found: dict[int, list[tuple[datetime, int, str]]] = {0: [], 1: [], 2: []}
    # The customer's latest mails, the desk's and the thread's first mail:
    # one statement; each part put back in its order here (a UNION keeps none).
    for side, at, pk, message_id in _union_rows(
        conversation.order_by("-received_at", "-pk").values_list("received_at", "pk", "message_id")[
            :REFERENCES_KEPT
        ],
        OutboundMessage.objects.filter(ticket=ticket, kind__in=THREADED_KINDS)
        .exclude(state__in=(OutboundState.FAILED, OutboundState.BOUNCED))
        .order_by("-created_at", "-pk")
        .values_list("created_at", "pk", "message_id")[:REFERENCES_KEPT],
        conversation.order_by("received_at", "pk").values_list("received_at", "pk", "message_id")[
            :1
        ],
    ):
        found[side].append((at, pk, message_id))
    inbound = [(at, message_id) for at, _pk, message_id in sorted(found[0], reverse=True)]
    outbound = [(at, message_id) for at, _pk, message_id in sorted(found[1], reverse=True)]
    first = found[2][0][2] if found[2] else ""
    thread = [message_id for _at, message_id in sorted(inbound + outbound)]
    ids = list(dict.fromkeys(([first] if first else []) + thread[-(REFERENCES_KEPT - 1) :]))
    in_reply_to = inbound[0][1] if inbound else (outbound[0][1] if outbound else "")
    return in_reply_to, " ".join(ids)


def _union_rows(*parts: QuerySet[Any, Any]) -> list[tuple[int, datetime, int, str]]:
    """(part number, time, pk, Message-ID) of each `values_list(time, pk,
    id)` part in one UNION ALL statement (each part wrapped: SQLite takes
    no ORDER BY or LIMIT in a compound's own parts)."""
    selects: list[str] = []
    params: list[Any] = []
    for number, part in enumerate(parts):
        sql, part_params = part.query.get_compiler(using=part.db).as_sql()
        selects.append(f"SELECT {number}, * FROM ({sql}) AS part{number}")  # noqa: S608
        params.extend(part_params)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), params)
        found = cursor.fetchall()
    # SQLite hands the time back as text, in one format for every row.
    return [
        (number, datetime.fromisoformat(at) if isinstance(at, str) else at, pk, message_id)
        for number, at, pk, message_id in found
    ]


def message_language(
    ticket: Ticket | None, customer: Customer | None, mailbox: Mailbox | None
) -> str:
    """The language a message is worded in: its customer's, else the mailbox's, else English."""
    owner = customer or (ticket.customer if ticket else None)
    return (owner.language if owner else "") or (mailbox.language if mailbox else "") or "en"


def _words(
    *, kind: str, context: MessageContext, language: str, subject: str | None, body: str | None
) -> tuple[str, str]:
    """The subject (one line) and body: as given, else from the template."""
    if subject is None or body is None:
        event = KIND_EVENTS.get(OutboundKind(kind))
        if event is None:
            raise ValueError(f"a {kind} message needs its subject and body")
        template = template_for(event=event, language=language)
        rendered = message_render(template=template, values=template_context(context))
        subject = subject if subject is not None else rendered.subject
        body = body if body is not None else rendered.body
    return " ".join(subject.split()), body


@transaction.atomic
def outbound_queue(
    *,
    kind: str,
    to: Sequence[str],
    cc: Sequence[str] = (),
    context: MessageContext | None = None,
    language: str = "",
    subject: str | None = None,
    body: str | None = None,
    ticket: Ticket | None = None,
    comment: Comment | None = None,
    actor: User | None = None,
    mailbox: Mailbox | None = None,
    send_at: datetime | None = None,
    escalation_notice: EscalationNotice | None = None,
    incident: NetworkIncident | None = None,
    incident_update: IncidentUpdate | None = None,
    customer: Customer | None = None,
    files: Sequence[MailFile] = (),
) -> OutboundMessage:
    """Write one message to the queue, due at `send_at` (now by default).

    Its words are `subject` and `body` when given, else the template of its
    kind in `language` (else the customer's, the mailbox's, English)
    rendered from `context` (the ticket alone when not given). With no
    address in `to` the row is written as failed with the reason, so what
    could not be sent shows on the ticket instead of vanishing. An address
    that is not one is refused, naming the field. `files` go with it."""
    if kind not in OutboundKind.values:
        raise ValidationFailed(
            f"kind {kind!r} is not accepted.",
            field="kind",
            value=kind,
            accepted=list(OutboundKind.values),
        )
    context = context or MessageContext(ticket=ticket)
    ticket = ticket or context.ticket
    incident = incident or (incident_update.incident if incident_update else None)
    to_addresses, cc_addresses = recipients_checked(to, cc)
    mailbox = mailbox or ticket_mailbox(ticket)
    subject, body = _words(
        kind=kind,
        context=context,
        language=language or message_language(ticket, customer, mailbox),
        subject=subject,
        body=body,
    )
    if ticket is not None and ticket.reference not in subject:
        # Mail clients lose the headers now and then; the reference in the
        # subject still threads the answer (for the ticket's own contacts).
        subject = f"[{ticket.reference}] {subject}"
    in_reply_to, references = (
        thread_headers(ticket) if ticket is not None and kind in THREADED_KINDS else ("", "")
    )
    message = OutboundMessage.objects.create(
        kind=kind,
        ticket=ticket,
        mailbox=mailbox,
        comment=comment,
        from_address=mailbox.from_address if mailbox else settings.DEFAULT_FROM_EMAIL,
        to_addresses=", ".join(to_addresses),
        cc_addresses=", ".join(cc_addresses),
        subject=subject,
        body=body,
        message_id=make_message_id(ticket.pk if ticket else None, settings.NETDESK_MAIL_DOMAIN),
        in_reply_to=in_reply_to,
        references=references,
        automatic=kind in AUTOMATIC_KINDS,
        state=OutboundState.QUEUED if to_addresses else OutboundState.FAILED,
        server_answer="" if to_addresses else NO_ADDRESS,
        next_attempt_at=send_at or timezone.now(),
        created_by=actor,
        escalation_notice=escalation_notice,
        incident=incident,
        incident_update=incident_update,
        customer=customer,
        attachment_count=len(files),
    )
    return _with_files_stored(message, files)


def _with_files_stored(message: OutboundMessage, files: Sequence[MailFile]) -> OutboundMessage:
    if files:
        OutboundAttachment.objects.bulk_create(
            OutboundAttachment(
                message=message,
                filename=file.filename,
                content_type=file.content_type,
                content=file.content,
            )
            for file in files
        )
    return message


def acknowledgement_queue(*, ticket: Ticket, inbound: InboundMessage) -> OutboundMessage:
    """Tell the sender of a mail that opened `ticket` that it was received
    (the inbound pipeline calls this only for mail a person wrote)."""
    sender = inbound.sender if inbound.sender and _valid(inbound.sender) else ""
    return outbound_queue(
        kind=OutboundKind.ACKNOWLEDGEMENT,
        to=[sender] if sender else [],
        context=MessageContext(ticket=ticket, contact=inbound.contact),
        ticket=ticket,
        mailbox=inbound.mailbox,
    )


def reply_queue(
    *,
    ticket: Ticket,
    comment: Comment,
    actor: User | None,
    recipients: dict[str, list[str]] | None,
) -> OutboundMessage:
    """Send an agent's public reply: to `recipients` from the composer, else
    to `reply_recipients`. The mail says exactly what the ticket shows; the
    reply template gives its subject (and the composer's starting text)."""
    if recipients is None:
        to, _copies = reply_recipients(ticket)
        cc: list[str] = []
    else:
        to, cc = list(recipients.get("to", [])), list(recipients.get("cc", []))
    return outbound_queue(
        kind=OutboundKind.REPLY,
        to=to,
        cc=cc,
        context=MessageContext(ticket=ticket, agent=actor, body=comment.body),
        body=comment.body,
        ticket=ticket,
        comment=comment,
        actor=actor,
    )


def resolved_notice_queue(*, ticket: Ticket, actor: User | None) -> OutboundMessage:
    """Tell the customer their ticket is resolved (and how to take it up again)."""
    to, _copies = reply_recipients(ticket)
    return outbound_queue(
        kind=OutboundKind.STATUS,
        to=to,
        context=MessageContext(ticket=ticket, agent=actor),
        ticket=ticket,
        actor=actor,
    )


def escalation_notice_queue(*, notice: EscalationNotice) -> OutboundMessage:
    """Queue a service-level escalation notice for its delivery time (the
    recipient's working hours); delivery marks the notice delivered."""
    address = notice.recipient.email if notice.recipient else notice.address
    return outbound_queue(
        kind=OutboundKind.SLA_NOTICE,
        to=[address] if address and _valid(address) else [],
        context=MessageContext(ticket=notice.ticket, notice=notice),
        language="en",
        ticket=notice.ticket,
        send_at=notice.deliver_after,
        escalation_notice=notice,
    )
