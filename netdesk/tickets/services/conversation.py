"""Logging contacts (call reports), notes, replies and attachments on tickets."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.core.errors import ValidationFailed
from netdesk.core.hooks import hooks_run
from netdesk.core.locking import locked
from netdesk.customers.models import Contact, Customer
from netdesk.tickets.choices import Channel, Direction, Outcome, Visibility
from netdesk.tickets.events import (
    event_attachment_added,
    event_interaction_logged,
    event_note_added,
    event_reply_added,
)
from netdesk.tickets.models import Attachment, Comment, Interaction, Ticket
from netdesk.tickets.services.changes import ticket_changed
from netdesk.tickets.services.file_types import attachment_type, upload_size

# A live conversation answers the customer: the call or chat itself is the response.
LIVE_CHANNELS = {Channel.PHONE, Channel.CHAT, Channel.WALK_IN}
MAX_CALL_SECONDS = 24 * 3600


def _mark_first_response(ticket: Ticket, at: datetime) -> None:
    """The caller refreshes the ticket's timers: every update to the
    customer starts a "next update" interval, not only the first."""
    if ticket.first_response_at is None or at < ticket.first_response_at:
        ticket.first_response_at = max(at, ticket.created_at)
        ticket.save(update_fields=["first_response_at"])


@transaction.atomic
def interaction_log(
    *,
    actor: User | None,
    customer: Customer,
    channel: str,
    direction: str,
    summary: str,
    outcome: str,
    started_at: datetime | None = None,
    duration_seconds: int = 0,
    ticket: Ticket | None = None,
    contact: Contact | None = None,
    announce: bool = True,
    ticket_written: bool = False,
) -> Interaction:
    """Record one contact. On a ticket it becomes a timeline event and, when an
    agent spoke to or wrote to the customer, the ticket's first response.
    `announce=False` leaves announcing the change to the caller (a new
    ticket announces itself once, with its first response in).
    `ticket_written=True`: the caller wrote the ticket in this transaction
    (a new ticket), so it holds the row and the instance is the row."""
    require(actor, Action.INTERACTION_LOG)
    if ticket is not None and not ticket_written:
        ticket = locked(ticket)
    now = timezone.now()
    started_at = started_at or now
    _check_call(
        customer=customer,
        channel=channel,
        direction=direction,
        summary=summary,
        outcome=outcome,
        started_at=started_at,
        duration_seconds=duration_seconds,
        ticket=ticket,
        contact=contact,
        now=now,
    )
    interaction = Interaction.objects.create(
        ticket=ticket,
        customer=customer,
        contact=contact,
        agent=actor,
        channel=channel,
        direction=direction,
        started_at=started_at,
        duration_seconds=duration_seconds,
        summary=summary,
        outcome=outcome,
    )
    if ticket is not None:
        event_interaction_logged(
            ticket=ticket,
            actor=actor,
            channel=channel,
            direction=direction,
            summary=summary,
            at=now,
        )
        answered = direction == Direction.OUTBOUND or (
            direction == Direction.INBOUND and channel in LIVE_CHANNELS
        )
        if answered:
            _mark_first_response(ticket, started_at)
            if announce:  # the customer was updated: a new "next update" interval
                ticket_changed(ticket)
        ticket.updated_at = now
        ticket.save(update_fields=["updated_at"])
    return interaction


def _check_call(
    *,
    customer: Customer,
    channel: str,
    direction: str,
    summary: str,
    outcome: str,
    started_at: datetime,
    duration_seconds: int,
    ticket: Ticket | None,
    contact: Contact | None,
    now: datetime,
) -> None:
    for field, value, choices in (
        ("channel", channel, Channel),
        ("direction", direction, Direction),
        ("outcome", outcome, Outcome),
    ):
        if value not in choices.values:
            raise ValidationFailed(
                f"{field} {value!r} is not accepted.",
                field=field,
                value=value,
                accepted=list(choices.values),
            )
    if not summary.strip():
        raise ValidationFailed(
            "A call report needs a summary of what was said.",
            field="summary",
            value=summary,
            accepted="a non-empty text",
        )
    if not 0 <= duration_seconds <= MAX_CALL_SECONDS:
        raise ValidationFailed(
            f"Duration {duration_seconds} s is out of range.",
            field="duration_seconds",
            value=duration_seconds,
            accepted=f"0 to {MAX_CALL_SECONDS} seconds",
        )
    if started_at > now + timedelta(minutes=5):
        raise ValidationFailed(
            "A contact cannot start in the future.",
            field="started_at",
            value=started_at.isoformat(),
            accepted="a time up to now",
        )
    if ticket is not None and ticket.customer_id != customer.pk:
        raise ValidationFailed(
            f"{ticket.reference} belongs to another customer.",
            field="ticket",
            value=ticket.reference,
            accepted=f"a ticket of customer {customer.account_number}",
        )
    if contact is not None and contact.customer_id != customer.pk:
        raise ValidationFailed(
            f"Contact {contact.pk} belongs to another customer.",
            field="contact",
            value=contact.pk,
            accepted=f"a contact of customer {customer.account_number}",
        )


@transaction.atomic
def comment_add(
    *,
    actor: User,
    ticket: Ticket,
    body: str,
    visibility: str,
    recipients: dict[str, list[str]] | None = None,
) -> Comment:
    """An internal note, or a reply the customer sees (which answers them).
    A reply is announced as `ticket_reply_added`, so the channels send it:
    to `recipients` ({"to": [...], "cc": [...]}) when given, else to the
    ticket's customer."""
    if visibility not in Visibility.values:
        raise ValidationFailed(
            f"visibility {visibility!r} is not accepted.",
            field="visibility",
            value=visibility,
            accepted=list(Visibility.values),
        )
    require(actor, Action.REPLY_ADD if visibility == Visibility.PUBLIC else Action.NOTE_ADD)
    if recipients is not None and visibility != Visibility.PUBLIC:
        raise ValidationFailed(
            "An internal note is not sent to anyone: recipients go with a public reply.",
            field="recipients",
            value=recipients,
            accepted="no recipients for an internal note",
        )
    ticket = locked(ticket)
    if not body.strip():
        raise ValidationFailed(
            "The text is empty.", field="body", value=body, accepted="a non-empty text"
        )
    comment = Comment.objects.create(ticket=ticket, author=actor, visibility=visibility, body=body)
    if visibility == Visibility.PUBLIC:
        event_reply_added(ticket=ticket, actor=actor, body=body)
        _mark_first_response(ticket, comment.created_at)
        ticket_changed(ticket)  # also starts the next "next update" interval
        hooks_run(
            "ticket_reply_added",
            ticket=ticket,
            comment=comment,
            actor=actor,
            recipients=recipients,
        )
    else:
        event_note_added(ticket=ticket, actor=actor, body=body)
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["updated_at"])
    return comment


@transaction.atomic
def attachment_add(
    *, actor: User | None, ticket: Ticket, upload: UploadedFile, comment: Comment | None = None
) -> Attachment:
    """Store a file on a ticket after checking its size, and its type from its
    content and name (never from what the client declares)."""
    require(actor, Action.NOTE_ADD)
    ticket = locked(ticket)
    size = upload_size(upload)
    content_type = attachment_type(upload)
    filename = (upload.name or "file").replace("/", "_").replace("\\", "_")[-200:]
    attachment = Attachment(
        ticket=ticket,
        comment=comment,
        filename=filename,
        content_type=content_type,
        size=size,
        uploaded_by=actor,
        stored_name=secrets.token_hex(16),
    )
    # The stored name is random: the upload's own name never reaches the file system.
    attachment.file.save(attachment.stored_name, upload, save=False)
    attachment.save()
    event_attachment_added(
        ticket=ticket, actor=actor, filename=filename, content_type=content_type, size=size
    )
    return attachment
