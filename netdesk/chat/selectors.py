"""Reads for the agents' chat console: the queue an agent may take from,
the chats they hold, a chat's messages and the tickets its transcript may
be filed on. Lists cost a fixed number of queries whatever their length."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, can
from netdesk.chat.models import Chat, ChatMessage, ChatState
from netdesk.core.cursors import time_cursor_read, time_cursor_write
from netdesk.core.errors import ValidationFailed
from netdesk.customers.models import Customer
from netdesk.routing.selectors import agent_levels, is_available
from netdesk.tickets.models import Ticket
from netdesk.tickets.selectors import tickets_visible_to

# The oldest waiting chats the console shows; more wait their turn.
QUEUE_SHOWN_MAX = 100
MESSAGES_SHOWN_MAX = 500
TICKETS_OFFERED_MAX = 20
CHATS_PAGE_MAX = 200


@dataclass(frozen=True)
class WaitingChat:
    chat: Chat
    waiting_seconds: int


@dataclass(frozen=True)
class ChatQueue:
    """What an agent sees of the chat queue: the chats they may take,
    oldest first; how many others wait for skills they lack; whether they
    are available; and the chats they hold (talking, or ended by the
    visitor and waiting to be filed on a ticket)."""

    waiting: list[WaitingChat]
    others_waiting: int
    available: bool
    mine: list[Chat]


def _meets(levels: dict[int, int], chat: Chat) -> bool:
    return all(levels.get(int(r["skill"]), 0) >= int(r["min_level"]) for r in chat.requirements)


def chats_held_by(agent: User) -> QuerySet[Chat]:
    """The agent's chats still on their desk: with them now, or ended by the
    visitor (or the timeout) and not yet filed on a ticket."""
    return (
        Chat.objects.filter(agent=agent)
        .filter(Q(state=ChatState.ACTIVE) | Q(state=ChatState.ENDED, ticket__isnull=True))
        .select_related("customer")
        .order_by("taken_at", "id")
    )


def chat_queue_for(agent: User, *, now: datetime | None = None) -> ChatQueue:
    """The queue as `agent` sees it, in at most six queries."""
    now = now or timezone.now()
    waiting = list(
        Chat.objects.filter(state=ChatState.QUEUED, queued_at__isnull=False)
        .select_related("customer")
        .order_by("queued_at", "id")[:QUEUE_SHOWN_MAX]
    )
    skills = sorted({int(r["skill"]) for chat in waiting for r in chat.requirements})
    levels = agent_levels([agent.pk], skills).get(agent.pk, {}) if skills else {}
    takeable = [chat for chat in waiting if _meets(levels, chat)]
    return ChatQueue(
        waiting=[
            WaitingChat(
                chat, max(0, int((now - (chat.queued_at or chat.started_at)).total_seconds()))
            )
            for chat in takeable
        ],
        others_waiting=len(waiting) - len(takeable),
        available=is_available(agent.pk),
        mine=list(chats_held_by(agent)),
    )


def chat_by_public_id(public_id: str) -> Chat | None:
    return Chat.objects.select_related("customer", "agent").filter(public_id=public_id).first()


def chat_messages(chat: Chat, *, after: int = 0) -> list[ChatMessage]:
    """The chat's messages after message id `after`, oldest first, with
    the agent who wrote each."""
    return list(
        ChatMessage.objects.filter(chat=chat, pk__gt=after)
        .select_related("agent")
        .order_by("id")[:MESSAGES_SHOWN_MAX]
    )


def tickets_to_file_on(customer: Customer | None, agent: User) -> list[Ticket]:
    """The customer's open tickets the agent may file a chat on, newest first."""
    if customer is None:
        return []
    return list(
        tickets_visible_to(agent)
        .filter(customer=customer, is_open=1)
        .order_by("-id")[:TICKETS_OFFERED_MAX]
    )


def chats_visible_to(user: User) -> QuerySet[Chat]:
    """Everyone who sees every agent's figures sees every chat; an agent
    the chats they took."""
    if can(user, Action.KPI_VIEW_ALL):
        return Chat.objects.all()
    return Chat.objects.filter(agent=user)


def chat_page(
    *, user: User, state: str | None, cursor: str | None, limit: int
) -> tuple[list[Chat], str | None]:
    """A page of chats, newest first, with their message counts, and the
    cursor of the next page (None on the last). Keyset pagination on
    (started_at, id): one query however deep the page."""
    if not 1 <= limit <= CHATS_PAGE_MAX:
        raise ValidationFailed(
            f"limit {limit} is out of range.",
            field="limit",
            value=limit,
            accepted=f"1 to {CHATS_PAGE_MAX}",
        )
    chats = chats_visible_to(user)
    if state:
        chats = chats.filter(state=state)
    if cursor:
        started, pk = time_cursor_read(cursor)
        chats = chats.filter(Q(started_at__lt=started) | Q(started_at=started, pk__lt=pk))
    rows: list[Chat] = list(
        chats.select_related("customer", "agent", "ticket")
        .annotate(message_count=Count("messages"))
        .order_by("-started_at", "-pk")[: limit + 1]
    )
    next_cursor = (
        time_cursor_write(rows[limit - 1].started_at, rows[limit - 1].pk)
        if len(rows) > limit
        else None
    )
    return rows[:limit], next_cursor
