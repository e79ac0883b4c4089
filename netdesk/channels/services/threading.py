"""Which ticket a mail belongs to. In this order: a Message-ID the desk holds
for a ticket in In-Reply-To or References (one it sent, or a mail already
stored on the ticket); the ticket reference in the subject, only when the
sender is a verified contact of that ticket's customer; otherwise none. A
stranger naming someone else's ticket opens a new ticket linked to it, so
nobody can add to another customer's ticket by writing its number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from netdesk.channels.models import InboundMessage, OutboundMessage
from netdesk.channels.parsing import (
    ParsedMail,
    message_id_ticket,
    reference_ticket_pk,
    subject_references,
)
from netdesk.customers.models import Contact
from netdesk.tickets.choices import Status
from netdesk.tickets.models import Ticket

# Merged tickets point on; a chain this long is a loop in the data.
MERGE_HOPS = 20


@dataclass(frozen=True)
class Thread:
    """Where a mail goes: `ticket` to add it to (None: a new ticket), the
    ticket a new one is linked to as related, and how it was found."""

    ticket: Ticket | None
    related: Ticket | None
    found_by: str

    @property
    def reopens(self) -> bool:
        return self.ticket is not None and self.ticket.status == Status.RESOLVED


def thread_of(*, mail: ParsedMail, contacts: list[Contact]) -> Thread:
    """The thread of `mail`, from `contacts`, the sender's contacts (see
    senders.sender_contacts), and the reopen window (NETDESK_MAIL_REOPEN_DAYS):
    a resolved ticket answered within it reopens, one resolved longer ago
    or closed gets a new ticket linked to it."""
    ticket, found_by = _held(mail, contacts)
    if ticket is None:
        return Thread(ticket=None, related=None, found_by="new")
    if found_by == UNVERIFIED:
        return Thread(ticket=None, related=ticket, found_by=found_by)
    if _answerable(ticket):
        return Thread(ticket=ticket, related=None, found_by=found_by)
    return Thread(ticket=None, related=ticket, found_by=f"{found_by}, ticket {ticket.status}")


def thread_attach(*, mail: ParsedMail, contacts: list[Contact]) -> Ticket | None:
    """The ticket an automatic reply belongs to, whatever its state: it is
    kept there, never reopening it and never opening a ticket of its own."""
    ticket, found_by = _held(mail, contacts)
    return None if found_by == UNVERIFIED else ticket


UNVERIFIED = "subject, sender not a verified contact of the ticket's customer"


def _held(mail: ParsedMail, contacts: list[Contact]) -> tuple[Ticket | None, str]:
    ticket = _by_message_id(mail)
    if ticket is not None:
        return ticket, "message-id"
    ticket = _by_subject(mail)
    if ticket is None:
        return None, "new"
    if not _verified_contact_of(contacts, ticket):
        return ticket, UNVERIFIED
    return ticket, "subject"


def _answerable(ticket: Ticket) -> bool:
    if ticket.status == Status.CLOSED:
        return False
    if ticket.status != Status.RESOLVED:
        return True
    window = timedelta(days=settings.NETDESK_MAIL_REOPEN_DAYS)
    return ticket.resolved_at is not None and ticket.resolved_at >= timezone.now() - window


def _mentioned_ids(mail: ParsedMail) -> list[str]:
    """In-Reply-To first, then References from the newest (last) back."""
    ids = [*mail.in_reply_to, *reversed(mail.references)]
    return [message_id for message_id in dict.fromkeys(ids) if message_id]


def _by_message_id(mail: ParsedMail) -> Ticket | None:
    ids = _mentioned_ids(mail)
    if not ids:
        return None
    spellings = id_spellings(ids)
    held: dict[str, int] = {}
    for message_id, ticket_pk in OutboundMessage.objects.filter(
        message_id__in=spellings, ticket__isnull=False
    ).values_list("message_id", "ticket_id"):
        held.setdefault(message_id.strip("<>"), ticket_pk)
    for message_id, ticket_pk in InboundMessage.objects.filter(
        message_id__in=spellings, ticket__isnull=False
    ).values_list("message_id", "ticket_id"):
        held.setdefault(message_id.strip("<>"), ticket_pk)
    for message_id in ids:
        named = held.get(message_id) or message_id_ticket(message_id, settings.NETDESK_MAIL_DOMAIN)
        if named:
            ticket = _ticket(named)
            if ticket is not None:
                return ticket
    return None


def id_spellings(ids: list[str]) -> list[str]:
    """Each Message-ID bare and in angle brackets: what a sender wrote is not
    always spelt as the desk stored it."""
    bare = [message_id.strip().strip("<>") for message_id in ids]
    return [*bare, *(f"<{message_id}>" for message_id in bare)]


def _by_subject(mail: ParsedMail) -> Ticket | None:
    for reference in subject_references(mail.subject):
        ticket = _ticket(reference_ticket_pk(reference))
        if ticket is not None:
            return ticket
    return None


def _ticket(pk: int) -> Ticket | None:
    """The ticket, or the one it was merged into (with its customer, which
    the mail is logged for)."""
    tickets = Ticket.objects.select_related("customer")
    ticket = tickets.filter(pk=pk).first()
    hops = 0
    while ticket is not None and ticket.merged_into_id is not None and hops < MERGE_HOPS:
        ticket = tickets.filter(pk=ticket.merged_into_id).first()
        hops += 1
    return ticket


def _verified_contact_of(contacts: list[Contact], ticket: Ticket) -> bool:
    return any(
        contact.verified and contact.customer_id == ticket.customer_id for contact in contacts
    )
