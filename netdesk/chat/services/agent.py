"""The agent's side of a chat: taking it from the queue (when they are
available and have the skills it needs), writing, typing, leaving it to the
queue for a colleague, and ending it with its transcript filed on a ticket.
The visitor's side is in services/visitor.py."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from netdesk.accounts.models import Role, User
from netdesk.accounts.permissions import Action, require
from netdesk.chat.models import Chat, ChatMessage, ChatState, EndedBy, Sender
from netdesk.chat.services.events import chat_event_publish, chat_queue_changed, visitor_stream
from netdesk.chat.services.transcript import chat_transcript_file
from netdesk.core.errors import PermissionDenied, ServiceError, ValidationFailed
from netdesk.core.live import live_publish
from netdesk.core.locking import locked
from netdesk.core.text import ACCEPTED as STORABLE_TEXT
from netdesk.core.text import printable_excerpt, unstorable_problem
from netdesk.routing.selectors import agent_levels, is_available, skills_by_id
from netdesk.tickets.models import Ticket

# Agents paste configuration snippets and instructions: a longer bound than
# a visitor's, still short enough to read in a chat bubble.
AGENT_MESSAGE_MAX_CHARS = 4000
# May end a chat another agent holds (one left open by an agent gone home).
CHAT_SUPERVISORS = frozenset({Role.TEAM_LEAD, Role.SERVICE_DESK_MANAGER, Role.ADMINISTRATOR})


class ChatTaken(ServiceError):
    status = 409
    kind = "chat-taken"
    title = "Another agent has taken the chat"


class ChatNotTakeable(ServiceError):
    status = 409
    kind = "chat-not-takeable"
    title = "The chat cannot be taken"


class ChatNotActive(ServiceError):
    status = 409
    kind = "chat-not-active"
    title = "The chat is not with an agent"


def agent_display_name(agent: User | None) -> str:
    """How the visitor knows the agent: their first name."""
    if agent is None:
        return ""
    return agent.first_name or agent.get_username()


def _state_publish(chat: Chat, agent: User | None) -> None:
    chat_event_publish(
        chat=chat,
        kind="state",
        payload={"state": chat.state, "agent_name": agent_display_name(agent)},
    )


def missing_skills(agent: User, requirements: list[dict[str, Any]]) -> list[str]:
    """The chat's requirements the agent does not meet, in words."""
    wanted = [(int(r["skill"]), int(r["min_level"])) for r in requirements]
    if not wanted:
        return []
    levels = agent_levels([agent.pk], [skill for skill, _ in wanted]).get(agent.pk, {})
    short = [(skill, level) for skill, level in wanted if levels.get(skill, 0) < level]
    if not short:
        return []
    names = skills_by_id(skill for skill, _ in short)
    return [
        f"{names[skill].name if skill in names else f'skill {skill}'} at level {level} "
        f"(you have {levels.get(skill, 0)})"
        for skill, level in short
    ]


def _check_takeable(agent: User, chat: Chat) -> None:
    accepted = "a chat waiting in the queue"
    if chat.state == ChatState.ACTIVE:
        holder = chat.agent
        raise ChatTaken(
            f"Chat {chat.public_id} was taken by "
            f"{holder.get_username() if holder else 'another agent'} already.",
            field="chat",
            value=chat.public_id,
            accepted=accepted,
        )
    if chat.state != ChatState.QUEUED:
        raise ChatNotTakeable(
            f"Chat {chat.public_id} is {chat.get_state_display().lower()}; it cannot be taken.",
            field="chat",
            value=chat.public_id,
            accepted=accepted,
        )
    if chat.queued_at is None:
        raise ChatNotTakeable(
            f"The visitor of chat {chat.public_id} is reading a notice about an outage and "
            "has not asked for an agent yet.",
            field="chat",
            value=chat.public_id,
            accepted=accepted,
        )
    if not is_available(agent.pk):
        raise ChatNotTakeable(
            "You are marked away; mark yourself available to take chats.",
            field="agent",
            value=agent.get_username(),
            accepted="an agent who is available",
        )
    short = missing_skills(agent, chat.requirements)
    if short:
        raise ChatNotTakeable(
            f"Chat {chat.public_id} needs " + "; ".join(short) + ".",
            field="requirements",
            value=chat.requirements,
            accepted="an agent with these skills at these levels",
        )


@transaction.atomic
def chat_take(*, actor: User, chat: Chat) -> Chat:
    """The agent takes a waiting chat: they must be available and meet its
    skill requirements. The visitor hears who answers; every agent that the
    queue changed. Taking one's own chat again changes nothing."""
    require(actor, Action.CHAT_TAKE)
    chat = locked(chat, what="chat")
    if chat.state == ChatState.ACTIVE and chat.agent_id == actor.pk:
        return chat
    _check_takeable(actor, chat)
    now = timezone.now()
    chat.state = ChatState.ACTIVE
    chat.agent = actor
    chat.taken_at = now
    chat.last_agent_at = now
    chat.save(update_fields=["state", "agent", "taken_at", "last_agent_at"])
    _state_publish(chat, actor)
    chat_queue_changed()
    return chat


def _require_held(actor: User, chat: Chat, *, to: str) -> None:
    """Only the agent holding an active chat writes in it."""
    if chat.agent_id != actor.pk and chat.state == ChatState.ACTIVE:
        raise PermissionDenied(
            f"Chat {chat.public_id} is with another agent; only they may {to}.",
            field="chat",
            value=chat.public_id,
            accepted="a chat you have taken",
        )
    if chat.state != ChatState.ACTIVE or chat.agent_id != actor.pk:
        waiting = chat.state == ChatState.QUEUED
        raise ChatNotActive(
            f"Chat {chat.public_id} is {chat.get_state_display().lower()}; "
            + (f"take it first to {to}." if waiting else f"it is too late to {to}."),
            field="chat",
            value=chat.public_id,
            accepted="a chat you have taken",
        )


def agent_message_text(text: object) -> str:
    """An agent's message, checked: text, not blank, at most
    AGENT_MESSAGE_MAX_CHARS, storable. Surrounding blanks are dropped."""
    accepted = f"text of 1 to {AGENT_MESSAGE_MAX_CHARS} characters"
    if not isinstance(text, str):
        raise ValidationFailed(
            f"text must be a string ({accepted}); got {type(text).__name__}.",
            field="text",
            value=None,
            accepted=accepted,
        )
    cleaned = text.strip()
    if not cleaned or len(cleaned) > AGENT_MESSAGE_MAX_CHARS:
        raise ValidationFailed(
            f"text has {len(cleaned)} characters; send {accepted}.",
            field="text",
            value=printable_excerpt(cleaned, limit=40),
            accepted=accepted,
        )
    problem = unstorable_problem(cleaned)
    if problem is not None:
        raise ValidationFailed(
            f"text {problem}.",
            field="text",
            value=printable_excerpt(cleaned, limit=40),
            accepted=STORABLE_TEXT,
        )
    return cleaned


@transaction.atomic
def agent_message_add(*, actor: User, chat: Chat, text: object) -> ChatMessage:
    """A message from the agent holding the chat, heard by the visitor (and
    by the agent's other tabs)."""
    require(actor, Action.CHAT_TAKE)
    body = agent_message_text(text)
    chat = locked(chat, what="chat")
    _require_held(actor, chat, to="write in it")
    now = timezone.now()
    message = ChatMessage.objects.create(
        chat=chat, sender=Sender.AGENT, agent=actor, body=body, created_at=now
    )
    chat.last_agent_at = now
    chat.save(update_fields=["last_agent_at"])
    chat_event_publish(
        chat=chat,
        kind="message",
        payload={
            "id": message.pk,
            "sender": Sender.AGENT,
            "body": body,
            "at": now.isoformat(),
            "agent_name": agent_display_name(actor),
        },
    )
    return message


def agent_typing(*, actor: User, chat: Chat) -> None:
    """Tell the visitor the agent is typing. Not locked: a "typing" lost to
    a race is harmless, and the console sends another a moment later."""
    require(actor, Action.CHAT_TAKE)
    _require_held(actor, chat, to="type in it")
    live_publish(
        stream=visitor_stream(chat),
        kind="typing",
        payload={"sender": Sender.AGENT, "agent_name": agent_display_name(actor)},
    )


@transaction.atomic
def agent_left(*, actor: User, chat: Chat) -> Chat:
    """The agent leaves the chat without ending it (end of shift, a
    question for a colleague with other skills): the visitor hears that
    they left, and the chat joins the queue again, its waiting time
    counting anew so the desk's "nobody took it" clock starts over."""
    require(actor, Action.CHAT_TAKE)
    chat = locked(chat, what="chat")
    _require_held(actor, chat, to="leave it")
    chat_event_publish(
        chat=chat, kind="agent_left", payload={"agent_name": agent_display_name(actor)}
    )
    chat.state = ChatState.QUEUED
    chat.agent = None
    chat.taken_at = None
    chat.queued_at = timezone.now()
    chat.save(update_fields=["state", "agent", "taken_at", "queued_at"])
    _state_publish(chat, None)
    chat_queue_changed()
    return chat


def _may_end(actor: User, chat: Chat) -> bool:
    return chat.agent_id == actor.pk or actor.role in CHAT_SUPERVISORS


@transaction.atomic
def chat_end_by_agent(
    *, actor: User, chat: Chat, ticket: Ticket | None = None, outcome: str | None = None
) -> tuple[Chat, Ticket]:
    """End the chat (the agent holding it, or a team lead any chat) and file
    its transcript on `ticket` (an open ticket of its customer) or a new
    ticket. A chat the visitor ended (or that timed out) is filed the same
    way by the agent who held it. Ending a filed chat again answers its
    ticket."""
    require(actor, Action.CHAT_TAKE)
    chat = locked(chat, what="chat")
    if chat.state in (ChatState.ACTIVE, ChatState.ENDED) and not _may_end(actor, chat):
        raise PermissionDenied(
            f"Chat {chat.public_id} is with another agent; only they or a team lead may end it.",
            field="chat",
            value=chat.public_id,
            accepted="a chat you have taken",
        )
    if chat.state == ChatState.ACTIVE:
        chat.state = ChatState.ENDED
        chat.ended_at = timezone.now()
        chat.ended_by = EndedBy.AGENT
        chat.save(update_fields=["state", "ended_at", "ended_by"])
        _state_publish(chat, chat.agent)
        # The agent's own chats, which the queue's answer lists, changed.
        chat_queue_changed()
    elif chat.ticket_id is None and chat.state != ChatState.ENDED:
        raise ChatNotActive(
            f"Chat {chat.public_id} is {chat.get_state_display().lower()}; "
            + ("take it first to end it." if chat.state == ChatState.QUEUED else "nothing to end."),
            field="chat",
            value=chat.public_id,
            accepted="a chat you have taken",
        )
    # The contact is the holder's, also when a team lead ends it for them.
    agent = chat.agent if chat.agent is not None else actor
    filed = chat_transcript_file(chat=chat, actor=agent, ticket=ticket, outcome=outcome)
    chat.refresh_from_db(fields=["ticket"])
    return chat, filed
