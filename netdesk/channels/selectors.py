"""Reads for the agent's side of the mail channel: a ticket's conversation as
mail, received and sent, in time order, in a fixed number of queries."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import Prefetch
from django.urls import reverse

from netdesk.channels.models import (
    InboundMessage,
    MessageTemplate,
    OutboundMessage,
    OutboundState,
    Outcome,
    TemplateEvent,
)
from netdesk.channels.services.delivery import NO_SERVER
from netdesk.tickets.models import Attachment, Ticket

INBOUND = "inbound"
OUTBOUND = "outbound"
MACHINE_OUTCOMES = frozenset({Outcome.BOUNCE, Outcome.AUTO_REPLY})

# An image source naming a part of the same mail (RFC 2392); the sanitised
# HTML keeps it quoted, so only whole attribute values are replaced.
CID_SOURCE = re.compile(r"""src=(["'])cid:([^"'<>\s]+)\1""", re.IGNORECASE)


@dataclass(frozen=True)
class ConversationAttachment:
    """A file of a message, downloadable through the ticket's attachment view."""

    pk: int
    filename: str
    content_type: str
    size: int

    @property
    def is_image(self) -> bool:
        return self.content_type in {"image/png", "image/jpeg", "image/gif", "image/webp"}


@dataclass(frozen=True)
class ConversationMessage:
    """One mail of a ticket's conversation, received or sent, as the agent
    reads it. `text` is the new part; `quoted` the whole text when the new
    part folded something away (empty otherwise)."""

    direction: str
    pk: int
    at: datetime
    sender_name: str
    sender_address: str
    to: list[str]
    cc: list[str]
    subject: str
    text: str
    quoted: str
    # Sanitised when the mail was taken; its cid: images point at the ticket.
    html: str
    message_id: str
    attachments: list[ConversationAttachment] = field(default_factory=list)
    # Received mail: who wrote, whether the desk knows them.
    contact_id: int | None = None
    sender_verified: bool = True
    customer_is_placeholder: bool = False
    problems: str = ""
    outcome: str = ""
    outcome_label: str = ""
    # Sent mail: what it is, who wrote it, how far it got.
    kind: str = ""
    kind_label: str = ""
    author: str = ""
    state: str = ""
    state_label: str = ""
    server_answer: str = ""
    sent_at: datetime | None = None
    delivery_note: str = ""
    # cid: -> attachment pk, for the inline images of the HTML view.
    inline_images: dict[str, int] = field(default_factory=dict)

    @property
    def inbound(self) -> bool:
        return self.direction == INBOUND

    @property
    def from_a_machine(self) -> bool:
        """A delivery report or an automatic reply: shown, labelled, and its
        sender neither a person to verify nor one to answer."""
        return self.outcome in MACHINE_OUTCOMES


def _addresses(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _attachment(row: Attachment) -> ConversationAttachment:
    return ConversationAttachment(
        pk=row.pk, filename=row.filename, content_type=row.content_type, size=row.size
    )


def html_with_images(html: str, images: dict[str, int], reference: str) -> str:
    """The sanitised HTML with each `cid:` image pointing at the ticket's
    attachment view; a `cid:` naming no stored file is left as it is (the
    browser shows nothing for it). Only whole src values naming cid: parts
    are replaced, with URLs the desk builds itself."""

    def source(match: re.Match[str]) -> str:
        attachment = images.get(match.group(2))
        if attachment is None:
            return match.group(0)
        return f'src="{reverse("ticket_attachment", args=[reference, attachment])}"'

    return CID_SOURCE.sub(source, html) if images else html


def _inbound(ticket: Ticket) -> list[ConversationMessage]:
    rows = list(
        # A duplicate is the same mail taken twice: shown once.
        InboundMessage.objects.filter(ticket=ticket)
        .exclude(outcome=Outcome.DUPLICATE)
        .defer("raw")
        .select_related("contact__customer")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("pk")))
        .order_by("received_at", "pk")
    )
    messages = []
    for row in rows:
        attachments = list(row.attachments.all())
        # Stored at intake (the raw mail is never read here); a file since
        # removed from the ticket is not pointed at.
        stored = {a.pk for a in attachments}
        images = {cid: pk for cid, pk in row.content_ids.items() if pk in stored}
        contact = row.contact
        text = row.reply_text or row.text
        messages.append(
            ConversationMessage(
                direction=INBOUND,
                pk=row.pk,
                at=row.received_at,
                sender_name=row.sender_name,
                sender_address=row.sender,
                to=_addresses(row.to_addresses),
                cc=_addresses(row.cc_addresses),
                subject=row.subject,
                text=text,
                quoted=row.text if row.text.strip() != text.strip() else "",
                html=html_with_images(row.html, images, ticket.reference),
                message_id=row.message_id,
                attachments=[_attachment(a) for a in attachments],
                contact_id=contact.pk if contact else None,
                sender_verified=contact.verified if contact else False,
                customer_is_placeholder=contact.customer.is_placeholder if contact else False,
                problems=row.problems,
                outcome=row.outcome,
                outcome_label=row.get_outcome_display() if row.outcome else "",
                inline_images=images,
            )
        )
    return messages


def _delivery_note(row: OutboundMessage) -> str:
    if row.state == OutboundState.QUEUED and not settings.EMAIL_HOST:
        return NO_SERVER
    return ""


def _outbound(ticket: Ticket) -> list[ConversationMessage]:
    rows = (
        OutboundMessage.objects.filter(ticket=ticket)
        .select_related("created_by", "comment")
        .prefetch_related(
            Prefetch("comment__attachments", queryset=Attachment.objects.order_by("pk"))
        )
        .order_by("created_at", "pk")
    )
    messages = []
    for row in rows:
        attachments = list(row.comment.attachments.all()) if row.comment else []
        messages.append(
            ConversationMessage(
                direction=OUTBOUND,
                pk=row.pk,
                at=row.created_at,
                sender_name=row.created_by.get_full_name() or row.created_by.username
                if row.created_by
                else "The desk",
                sender_address=row.from_address,
                to=_addresses(row.to_addresses),
                cc=_addresses(row.cc_addresses),
                subject=row.subject,
                text=row.body,
                quoted="",
                html="",
                message_id=row.message_id,
                attachments=[_attachment(a) for a in attachments],
                kind=row.kind,
                kind_label=row.get_kind_display(),
                author=row.created_by.username if row.created_by else "",
                state=row.state,
                state_label=row.get_state_display(),
                # The deliverer writes the same words when it finds no server.
                server_answer="" if row.server_answer == NO_SERVER else row.server_answer,
                sent_at=row.sent_at,
                delivery_note=_delivery_note(row),
            )
        )
    return messages


def ticket_conversation(ticket: Ticket) -> list[ConversationMessage]:
    """Every mail of the ticket, received and sent, oldest first, with its
    files and (for sent mail) its delivery state: four queries whatever the
    length, five when a received mail shows inline images."""
    messages = _inbound(ticket) + _outbound(ticket)
    return sorted(messages, key=lambda message: (message.at, message.direction, message.pk))


def reply_templates(ticket: Ticket) -> list[MessageTemplate]:
    """The reply templates an agent may start from: the one in the customer's
    language first ("de-at" falls back to "de", then English), then the
    other languages for a customer who writes in another one."""
    language = (ticket.customer.language or "").strip().lower()
    candidates = list(dict.fromkeys(c for c in (language, language.split("-")[0], "en") if c))

    def rank(template: MessageTemplate) -> tuple[int, str]:
        if template.language in candidates:
            return candidates.index(template.language), template.language
        return len(candidates), template.language

    return sorted(MessageTemplate.objects.filter(event=TemplateEvent.REPLY), key=rank)
