"""The read API of web chats for reports (/api/v1/chat/...): who chatted,
when, with whom, how it ended and the ticket it landed on. The agents'
console and the visitor's widget have JSON endpoints of their own."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from netdesk.accounts.permissions import Action, require, user_of
from netdesk.chat.models import Chat, ChatState
from netdesk.chat.selectors import CHATS_PAGE_MAX, chat_page
from netdesk.core.schemas import OutputSchema, answers

router = Router(tags=["chat"])


class ChatOut(OutputSchema):
    chat: str
    state: str
    visitor_name: str
    customer: str | None
    language: str
    agent: str | None
    started_at: datetime
    queued_at: datetime | None
    taken_at: datetime | None
    ended_at: datetime | None
    ended_by: str | None
    outage: str | None
    messages: int
    ticket: str | None


class ChatPage(OutputSchema):
    items: list[ChatOut]
    next: str | None


class ChatListQuery(Schema):
    state: Literal[tuple(ChatState.values)] | None = None  # type: ignore[valid-type]
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(50, ge=1, le=CHATS_PAGE_MAX)


def chat_row(chat: Chat) -> dict[str, Any]:
    """One chat as the API gives it (the customer by account number; a
    placeholder for an unnamed visitor is none)."""
    customer = chat.customer
    return {
        "chat": chat.public_id,
        "state": chat.state,
        "visitor_name": chat.visitor_name,
        "customer": customer.account_number if customer and not customer.is_placeholder else None,
        "language": chat.language,
        "agent": chat.agent.get_username() if chat.agent else None,
        "started_at": chat.started_at,
        "queued_at": chat.queued_at,
        "taken_at": chat.taken_at,
        "ended_at": chat.ended_at,
        "ended_by": chat.ended_by or None,
        "outage": chat.outage_reference or None,
        "messages": getattr(chat, "message_count", 0),
        "ticket": chat.ticket.reference if chat.ticket else None,
    }


@router.get(
    "/chats",
    response=answers(ChatPage),
    summary="Web chats, newest first (keyset pagination); agents see the chats they took",
)
def list_chats(request: HttpRequest, query: Query[ChatListQuery]) -> dict[str, Any]:
    user = user_of(request)
    require(user, Action.CHAT_TAKE)
    rows, next_cursor = chat_page(
        user=user, state=query.state, cursor=query.cursor, limit=query.limit
    )
    return {"items": [chat_row(chat) for chat in rows], "next": next_cursor}
