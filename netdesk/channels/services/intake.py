"""What one parsed mail does to the desk: the desk's own mail coming back,
delivery reports, automatic replies, answers to a ticket and new requests.
Runs inside the processing transaction of services.inbound, as the desk
itself (actor None)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from netdesk.channels.models import InboundMessage, Mailbox, OutboundMessage, OutboundState, Outcome
from netdesk.channels.parsing import (
    AutoKind,
    BounceInfo,
    ParsedMail,
    address_key,
    message_id_ticket,
)
from netdesk.channels.services.outbound import acknowledgement_queue
from netdesk.channels.services.senders import (
    contacts_mark_bouncing,
    sender_contact_ensure,
    sender_contacts,
)
from netdesk.channels.services.threading import id_spellings, thread_attach, thread_of
from netdesk.config import parse_rate
from netdesk.core.errors import ServiceError
from netdesk.core.hooks import hooks_run
from netdesk.core.ratelimit import rate_count_bump
from netdesk.customers.models import Contact
from netdesk.tickets.choices import Channel, Direction, LinkKind, Status, TicketType
from netdesk.tickets.choices import Outcome as CallOutcome
from netdesk.tickets.models import Ticket
from netdesk.tickets.services import (
    attachment_add,
    interaction_log,
    ticket_change_status,
    ticket_create,
    ticket_link,
    ticket_reopen,
)
from netdesk.tickets.services.changes import ticket_changed

NO_SUBJECT = "(no subject)"
TITLE_MAX = 200
# The timeline shows what the customer wrote; the whole mail stays on the message.
SUMMARY_MAX = 4000


@dataclass(frozen=True)
class Taken:
    """What became of a mail: its outcome, the ticket it is on, and why."""

    outcome: str
    reason: str = ""
    ticket: Ticket | None = None
    quarantined: bool = False
    # Attachments the upload checks refused, each with its reason.
    refused_files: tuple[str, ...] = ()


def mail_intake(*, message: InboundMessage, mail: ParsedMail, rate_limited: bool = True) -> Taken:
    """Do what `mail` asks for; `message` is its stored row (locked), whose
    contact is filled in here. `rate_limited=False` when a person asked for
    the mail to be processed again."""
    own = _own_message(mail)
    if own:
        return Taken(Outcome.AUTO_REPLY, f"the desk's own message <{own}> came back; not answered")
    if mail.bounce is not None:
        return _bounce(message=message, report=mail.bounce)
    contacts = sender_contacts(mail.from_address)
    message.contact = contacts[0] if contacts else None
    if mail.auto is not None:
        taken = _automatic(message=message, mail=mail, contacts=contacts)
        if taken is not None:
            return taken
    thread = thread_of(mail=mail, contacts=contacts)
    if thread.ticket is not None:
        refused = _add(message=message, mail=mail, ticket=thread.ticket, reopen=True)
        why = f"threaded by {thread.found_by}"
        return Taken(Outcome.REPLY_ADDED, why, thread.ticket, refused_files=refused)
    refusal = _refused(mail, rate_limited=rate_limited)
    if refusal:
        return Taken(Outcome.QUARANTINED, refusal, quarantined=True)
    ticket, refused = _open(message=message, mail=mail)
    reasons = ["automatic mail: not acknowledged"] if mail.auto else []
    if thread.related is not None:
        ticket_link(actor=None, source=ticket, target=thread.related, kind=LinkKind.RELATED_TO)
        reasons.append(f"related to {thread.related.reference} ({thread.found_by})")
    return Taken(Outcome.TICKET_CREATED, "; ".join(reasons), ticket, refused_files=refused)


def _automatic(
    *, message: InboundMessage, mail: ParsedMail, contacts: list[Contact]
) -> Taken | None:
    """Machine mail answering a ticket is kept on it, whatever its state,
    reopening nothing; an automatic reply answering nothing is only kept.
    None: other machine mail, which may open a ticket (never acknowledged)."""
    ticket = thread_attach(mail=mail, contacts=contacts)
    auto_reply = mail.auto == AutoKind.AUTO_REPLIED
    if ticket is not None:
        refused = _add(message=message, mail=mail, ticket=ticket, reopen=False)
        outcome = Outcome.AUTO_REPLY if auto_reply else Outcome.REPLY_ADDED
        why = f"automatic mail ({mail.auto}): added, not answered"
        return Taken(outcome, why, ticket, refused_files=refused)
    if auto_reply:
        return Taken(Outcome.AUTO_REPLY, "automatic reply to no ticket of the desk: kept only")
    return None


def acknowledge(*, message: InboundMessage, mail: ParsedMail, taken: Taken) -> None:
    """Tell the sender their new request arrived, unless a machine wrote it."""
    if taken.outcome == Outcome.TICKET_CREATED and taken.ticket is not None and mail.auto is None:
        acknowledgement_queue(ticket=taken.ticket, inbound=message)


def _own_message(mail: ParsedMail) -> str:
    """The Message-ID when the mail is one the desk sent (a loop), else ""."""
    if not mail.message_id:
        return ""
    if message_id_ticket(mail.message_id, settings.NETDESK_MAIL_DOMAIN) is not None:
        return mail.message_id
    sent = OutboundMessage.objects.filter(message_id__in=id_spellings([mail.message_id]))
    return mail.message_id if sent.exists() else ""


def _bounce(*, message: InboundMessage, report: BounceInfo) -> Taken:
    """A delivery report: the message it reports on is marked bounced with
    the server's words, the address bouncing on every contact that has it,
    and the report is kept on the ticket the message was about."""
    answer = report.diagnostic or report.status or "delivery failed"
    sent = None
    if report.original_message_id:
        sent = (
            OutboundMessage.objects.select_for_update(of=("self",))
            .filter(message_id__in=id_spellings([report.original_message_id]))
            .select_related("ticket")
            .first()
        )
    recipient = report.recipient or (sent.to_addresses.split(",")[0].strip() if sent else "")
    if sent is not None:
        sent.state = OutboundState.BOUNCED
        sent.server_answer = answer
        sent.save(update_fields=["state", "server_answer"])
    marked = contacts_mark_bouncing(address=recipient, reason=answer) if recipient else 0
    ticket = sent.ticket if sent is not None else None
    what = f"delivery to {recipient or 'an unnamed recipient'} failed: {answer}"
    if ticket is not None:
        _log(message=message, ticket=ticket, contact=None, summary=f"Bounce: {what}")
    elif sent is None:
        what += "; it answers no message the desk holds"
    return Taken(Outcome.BOUNCE, f"{what} ({marked} contact(s) marked bouncing)", ticket)


def _refused(mail: ParsedMail, *, rate_limited: bool) -> str:
    """Why a new ticket may not be opened for this mail, or "". The sender's
    count is bumped even when a person lifted the limit: the bump also locks
    the sender's count row until the transaction ends (PostgreSQL), so two
    processes opening tickets for one stranger at once make one placeholder."""
    if not mail.from_address:
        return "the mail names no sender (From) to open a ticket for"
    limit, period = parse_rate(settings.NETDESK_MAIL_SENDER_RATE)
    sender = address_key(mail.from_address)
    count = rate_count_bump(
        key=f"mail-sender:{sender}:{period}", period_start=int(time.time() // period)
    )
    if count <= limit or not rate_limited:
        return ""
    return (
        f"{sender} sent more than {settings.NETDESK_MAIL_SENDER_RATE} new requests "
        "(NETDESK_MAIL_SENDER_RATE): a mail loop? Reprocess it to open the ticket anyway."
    )


def _open(*, message: InboundMessage, mail: ParsedMail) -> tuple[Ticket, tuple[str, ...]]:
    # A stranger is looked up again: another process may have made their
    # placeholder while this one waited for the sender's count row.
    contact = message.contact or sender_contact_ensure(
        address=mail.from_address, name=mail.from_name
    )
    message.contact = contact
    mailbox: Mailbox | None = message.mailbox
    title = " ".join(mail.subject.split())[:TITLE_MAX] or NO_SUBJECT
    ticket = ticket_create(
        actor=None,
        customer=contact.customer,
        contact=contact,
        ticket_type=mailbox.ticket_type if mailbox else TicketType.FAULT,
        category=mailbox.category if mailbox else None,
        group=mailbox.group if mailbox else None,
        channel=Channel.EMAIL,
        title=title,
        description=mail.reply_text or mail.text,
        call={
            "direction": Direction.INBOUND,
            "started_at": message.received_at,
            "duration_seconds": 0,
            "summary": _summary(mail),
            "outcome": CallOutcome.TICKET_CREATED,
        },
    )
    return ticket, _attachments_store(message=message, mail=mail, ticket=ticket)


def _add(
    *, message: InboundMessage, mail: ParsedMail, ticket: Ticket, reopen: bool
) -> tuple[str, ...]:
    """The mail on an existing ticket. A person's answer reopens a resolved
    ticket and takes one waiting on the customer back into work; a machine's
    changes nothing."""
    contact = message.contact if _of_customer(message.contact, ticket) else None
    customer = ticket.customer
    if reopen and ticket.status == Status.RESOLVED:
        ticket_reopen(
            actor=None,
            ticket=ticket,
            reason=f"The customer answered by email ({mail.from_address}).",
        )
    elif reopen and ticket.status == Status.PENDING_CUSTOMER:
        ticket_change_status(
            actor=None,
            ticket=ticket,
            status=Status.IN_PROGRESS,
            note="The customer answered by email.",
        )
    _log(message=message, ticket=ticket, contact=contact, summary=_summary(mail))
    if ticket.customer_id == customer.pk:
        # Logging re-read the ticket under lock; its customer is the one read
        # with it in this transaction, and service levels need it.
        ticket.customer = customer
    ticket_changed(ticket)
    if reopen:
        hooks_run("ticket_customer_replied", ticket=ticket)
    return _attachments_store(message=message, mail=mail, ticket=ticket)


def _of_customer(contact: Contact | None, ticket: Ticket) -> bool:
    return contact is not None and contact.customer_id == ticket.customer_id


def _log(*, message: InboundMessage, ticket: Ticket, contact: Contact | None, summary: str) -> None:
    interaction_log(
        actor=None,
        customer=ticket.customer,
        contact=contact,
        ticket=ticket,
        channel=Channel.EMAIL,
        direction=Direction.INBOUND,
        summary=summary,
        outcome=CallOutcome.TICKET_UPDATED,
        started_at=min(message.received_at, timezone.now()),
    )


def _summary(mail: ParsedMail) -> str:
    said = mail.reply_text.strip() or mail.text.strip()
    head = f"Email from {mail.from_address or 'an unnamed sender'}: {mail.subject or NO_SUBJECT}"
    return f"{head}\n\n{said}"[:SUMMARY_MAX] if said else head[:SUMMARY_MAX]


def _attachments_store(
    *, message: InboundMessage, mail: ParsedMail, ticket: Ticket
) -> tuple[str, ...]:
    """Each file through the upload checks; one refused is named (the raw
    mail still holds it), never dropped unsaid."""
    refused: list[str] = []
    content_ids: dict[str, int] = {}
    for number, part in enumerate(mail.attachments, start=1):
        name = part.filename or f"attachment-{number}"
        upload = SimpleUploadedFile(name, part.data, content_type=part.content_type)
        try:
            with transaction.atomic():
                stored = attachment_add(actor=None, ticket=ticket, upload=upload)
        except ServiceError as refusal:
            refused.append(f"attachment {name!r} not stored on the ticket: {refusal.message}")
            continue
        message.attachments.add(stored)
        if part.content_id:
            content_ids[part.content_id] = stored.pk
    if content_ids:
        # Its own UPDATE, only for mail with inline parts: the conversation
        # maps cid: images with it instead of parsing the raw mail again.
        message.content_ids = content_ids
        InboundMessage.objects.filter(pk=message.pk).update(content_ids=content_ids)
    return tuple(refused)
