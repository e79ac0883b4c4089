"""Mail administration endpoints: the quarantine, and processing a received
message again."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema

from netdesk.accounts.permissions import Action, require, user_of
from netdesk.channels.models import InboundMessage, Mailbox
from netdesk.channels.selectors_admin import QUARANTINE_PAGE, quarantine_page
from netdesk.channels.services.inbound import mail_reprocess
from netdesk.core.errors import NotFound, ValidationFailed
from netdesk.core.schemas import MAX_ID, ObjectOutputSchema, answers
from netdesk.tickets.models.ticket import reference_for

router = Router(tags=["mail"])


class InboundOut(ObjectOutputSchema):
    id: int = Field(validation_alias="pk")
    mailbox: str | None
    source: str
    message_id: str
    sender: str
    sender_name: str
    subject: str
    received_at: Any
    state: str
    outcome: str
    reason: str
    attempts: int
    size: int
    ticket: str | None
    raw_url: str

    @staticmethod
    def resolve_mailbox(message: InboundMessage) -> str | None:
        return message.mailbox.name if message.mailbox else None

    @staticmethod
    def resolve_ticket(message: InboundMessage) -> str | None:
        return reference_for(message.ticket_id) if message.ticket_id else None

    @staticmethod
    def resolve_raw_url(message: InboundMessage) -> str:
        return reverse("channels_inbound_raw", kwargs={"message_id": message.pk})


class QuarantineOut(ObjectOutputSchema):
    items: list[InboundOut]
    next_cursor: str | None


class QuarantineQuery(Schema):
    mailbox: str | None = Field(
        None, max_length=60, description="a mailbox's name; all when absent"
    )
    cursor: str | None = Field(
        None, max_length=20, description="next_cursor of the page before: older messages"
    )
    limit: int = Field(50, ge=1, le=QUARANTINE_PAGE)


def _cursor(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
        raise ValidationFailed(
            f"The cursor {raw!r} is not one this API gave.",
            field="cursor",
            value=raw,
            accepted="the next_cursor of an earlier answer",
        )
    return int(raw)


@router.get(
    "/quarantine",
    response=answers(QuarantineOut),
    summary="Quarantined mail, newest first (keyset pagination)",
)
def quarantine_list(request: HttpRequest, query: Query[QuarantineQuery]) -> dict[str, Any]:
    require(user_of(request), Action.MAIL_QUARANTINE)
    mailbox = None
    if query.mailbox is not None:
        mailbox = Mailbox.objects.filter(name=query.mailbox).first()
        if mailbox is None:
            raise ValidationFailed(
                f"No mailbox named {query.mailbox!r}.",
                field="mailbox",
                value=query.mailbox,
                accepted=list(Mailbox.objects.values_list("name", flat=True)[:50]),
            )
    page = quarantine_page(mailbox=mailbox, before=_cursor(query.cursor), limit=query.limit)
    return {
        "items": page.messages,
        "next_cursor": str(page.next_before) if page.next_before else None,
    }


@router.post(
    "/inbound/{message_id}/reprocess",
    response=answers(InboundOut),
    summary="Process a received (usually quarantined) message again",
)
def inbound_reprocess(request: HttpRequest, message_id: int) -> InboundMessage:
    user = user_of(request)
    require(user, Action.MAIL_QUARANTINE)
    found = InboundMessage.objects.filter(pk=message_id).first()
    if found is None:
        raise NotFound(
            f"No received message {message_id}.",
            field="message_id",
            value=message_id,
            accepted="the id of a received message (GET /mail/quarantine)",
        )
    mail_reprocess(actor=user, message=found)
    return InboundMessage.objects.select_related("mailbox").get(pk=found.pk)
