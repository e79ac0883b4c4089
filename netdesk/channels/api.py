"""A ticket's conversation by mail in the API: what was received and sent,
with files and delivery state, for whoever may read the ticket."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router

from netdesk.accounts.permissions import Action, require, user_of
from netdesk.channels.selectors import ConversationMessage, ticket_conversation
from netdesk.core.schemas import ObjectOutputSchema, answers
from netdesk.tickets.selectors import ticket_get

router = Router(tags=["mail"])


class MessageAttachmentOut(ObjectOutputSchema):
    id: int
    filename: str
    content_type: str
    size: int
    url: str


class MessageOut(ObjectOutputSchema):
    direction: str
    id: int
    at: datetime
    sender_name: str
    sender: str
    sender_verified: bool | None
    to: list[str]
    cc: list[str]
    subject: str
    text: str
    quoted: str
    html: str
    message_id: str
    attachments: list[MessageAttachmentOut]
    kind: str | None
    state: str | None
    server_answer: str | None
    sent_at: datetime | None
    delivery_note: str | None


def message_out(message: ConversationMessage, reference: str) -> dict[str, object]:
    """One mail in its API shape: files link to the ticket's attachment view;
    fields of the other direction are null."""
    inbound = message.inbound
    return {
        "direction": message.direction,
        "id": message.pk,
        "at": message.at,
        "sender_name": message.sender_name,
        "sender": message.sender_address,
        "sender_verified": message.sender_verified if inbound else None,
        "to": message.to,
        "cc": message.cc,
        "subject": message.subject,
        "text": message.text,
        "quoted": message.quoted,
        "html": message.html,
        "message_id": message.message_id,
        "attachments": [
            {
                "id": a.pk,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "url": reverse("ticket_attachment", args=[reference, a.pk]),
            }
            for a in message.attachments
        ],
        "kind": None if inbound else message.kind,
        "state": None if inbound else message.state,
        "server_answer": None if inbound else message.server_answer,
        "sent_at": None if inbound else message.sent_at,
        "delivery_note": None if inbound else message.delivery_note,
    }


@router.get(
    "/tickets/{ref}/messages",
    response=answers(list[MessageOut]),
    summary="The ticket's mail, received and sent, oldest first",
)
def ticket_messages(request: HttpRequest, ref: str) -> list[dict[str, object]]:
    user = user_of(request)
    require(user, Action.TICKET_VIEW)
    ticket = ticket_get(user=user, ref=ref)
    return [message_out(m, ticket.reference) for m in ticket_conversation(ticket)]
