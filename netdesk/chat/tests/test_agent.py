"""The agent's side of a chat through its services: who may take a waiting
chat (available, with the skills it needs), writing and typing to the
visitor, leaving it to the queue, ending it (the holder, or a team lead)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from netdesk.accounts.models import Role, User
from netdesk.chat.models import Chat, ChatMessage, ChatState, EndedBy, Sender
from netdesk.chat.services.agent import (
    ChatNotActive,
    ChatNotTakeable,
    ChatTaken,
    agent_left,
    agent_message_add,
    agent_typing,
    chat_end_by_agent,
    chat_take,
)
from netdesk.chat.services.events import visitor_stream
from netdesk.competency.models import AgentSkill, Framework, LevelSource, Skill
from netdesk.core.errors import PermissionDenied, ValidationFailed
from netdesk.core.live import LiveItem, live_cursor, live_read
from netdesk.core.views_live import EVERY_AGENT, agent_stream
from netdesk.routing.models import AgentAvailability
from netdesk.tickets.models import Interaction
from tests import factories as f

pytestmark = pytest.mark.django_db

_numbers = iter(range(1, 10**9))


def waiting_chat(**fields: Any) -> Chat:
    """A chat waiting in the queue, as the visitor's start leaves it."""
    now = timezone.now()
    n = next(_numbers)
    values: dict[str, Any] = {
        "visitor_token_hash": f"{n:064x}",
        "visitor_name": "Vera",
        "started_at": now - timedelta(minutes=2),
        "queued_at": now - timedelta(minutes=2),
        "last_visitor_at": now,
    }
    values.update(fields)
    return Chat.objects.create(**values)


def visitor_says(chat: Chat, body: str) -> ChatMessage:
    return ChatMessage.objects.create(
        chat=chat, sender=Sender.VISITOR, body=body, created_at=timezone.now()
    )


def skill(code: str = "CHAT-EN") -> Skill:
    framework, _ = Framework.objects.get_or_create(
        name="Chat test", defaults={"state": "published"}
    )
    found, _ = Skill.objects.get_or_create(
        framework=framework, code=code, defaults={"name": f"Skill {code}", "category": "soft"}
    )
    return found


def level_set(agent: User, of: Skill, level: int) -> None:
    now = timezone.now()
    AgentSkill.objects.create(
        agent=agent,
        skill=of,
        level=level,
        source=LevelSource.ASSESSMENT,
        valid_from=now - timedelta(days=1),
        recorded_at=now,
    )


def heard(stream: str, after: int) -> list[LiveItem]:
    return live_read(streams=[stream], after=after)


def test_an_available_agent_takes_a_waiting_chat_and_the_visitor_hears_who() -> None:
    agent = f.user(Role.HOTLINE_OPERATOR, first_name="Tom")
    chat = waiting_chat()
    cursor = live_cursor()

    taken = chat_take(actor=agent, chat=chat)

    chat.refresh_from_db()
    assert (chat.state, chat.agent_id) == (ChatState.ACTIVE, agent.pk)
    assert taken.taken_at is not None
    [state] = heard(visitor_stream(chat), cursor)
    assert (state.kind, state.payload) == ("state", {"state": "active", "agent_name": "Tom"})
    assert [e.kind for e in heard(agent_stream(agent.pk), cursor)] == ["chat_state"]
    assert [e.kind for e in heard(EVERY_AGENT, cursor)] == ["chat_queue"]


def test_a_chat_taken_by_one_agent_is_refused_to_another_and_kept_by_the_first() -> None:
    first, second = f.user(), f.user()
    chat = waiting_chat()
    chat_take(actor=first, chat=chat)

    with pytest.raises(ChatTaken, match=first.username) as refused:
        chat_take(actor=second, chat=chat)
    assert refused.value.status == 409

    # Taking one's own chat again (a double click) changes nothing.
    assert chat_take(actor=first, chat=chat).agent_id == first.pk


def test_an_agent_marked_away_cannot_take_a_chat() -> None:
    agent = f.user()
    AgentAvailability.objects.create(agent=agent, available=False, updated_at=timezone.now())

    with pytest.raises(ChatNotTakeable, match="marked away"):
        chat_take(actor=agent, chat=waiting_chat())


def test_the_chats_skill_requirements_decide_who_may_take_it() -> None:
    english = skill()
    chat = waiting_chat(requirements=[{"skill": english.pk, "min_level": 3}])
    novice, fluent = f.user(), f.user()
    level_set(novice, english, 2)
    level_set(fluent, english, 4)

    with pytest.raises(ChatNotTakeable) as refused:
        chat_take(actor=novice, chat=chat)
    assert "Skill CHAT-EN at level 3 (you have 2)" in refused.value.message
    assert refused.value.field == "requirements"

    assert chat_take(actor=fluent, chat=chat).agent_id == fluent.pk


def test_a_visitor_still_reading_an_outage_notice_is_not_taken() -> None:
    chat = waiting_chat(queued_at=None, outage_reference="NI-000001")
    with pytest.raises(ChatNotTakeable, match="outage"):
        chat_take(actor=f.user(), chat=chat)


def test_ended_chats_and_roles_without_chats_are_refused() -> None:
    with pytest.raises(ChatNotTakeable, match="ended"):
        chat_take(actor=f.user(), chat=waiting_chat(state=ChatState.ENDED))
    with pytest.raises(PermissionDenied, match=r"chat\.take"):
        chat_take(actor=f.user(Role.FIELD_ENGINEER), chat=waiting_chat())


def test_the_holder_writes_and_the_visitor_and_the_agent_hear_it() -> None:
    agent = f.user(first_name="Tom")
    chat = chat_take(actor=agent, chat=waiting_chat())
    cursor = live_cursor()

    message = agent_message_add(actor=agent, chat=chat, text="  Hello, how can I help?  ")

    assert (message.sender, message.body, message.agent_id) == (
        Sender.AGENT,
        "Hello, how can I help?",
        agent.pk,
    )
    [to_visitor] = heard(visitor_stream(chat), cursor)
    assert to_visitor.kind == "message"
    assert to_visitor.payload["sender"] == "agent"
    assert to_visitor.payload["agent_name"] == "Tom"
    assert to_visitor.payload["id"] == message.pk
    [to_agent] = heard(agent_stream(agent.pk), cursor)
    assert (to_agent.kind, to_agent.payload["chat"]) == ("chat_message", chat.public_id)


def test_only_the_holder_writes_in_a_chat() -> None:
    holder, other = f.user(), f.user()
    queued = waiting_chat()
    with pytest.raises(ChatNotActive, match="take it first"):
        agent_message_add(actor=other, chat=queued, text="Hi")
    chat = chat_take(actor=holder, chat=queued)
    with pytest.raises(PermissionDenied, match="another agent"):
        agent_message_add(actor=other, chat=chat, text="Hi")
    with pytest.raises(PermissionDenied):
        agent_typing(actor=other, chat=chat)
    with pytest.raises(ValidationFailed, match="text"):
        agent_message_add(actor=holder, chat=chat, text="   ")
    with pytest.raises(ValidationFailed, match="text"):
        agent_message_add(actor=holder, chat=chat, text="x" * 4001)
    with pytest.raises(ValidationFailed, match="NUL"):
        agent_message_add(actor=holder, chat=chat, text="a\x00b")
    assert not ChatMessage.objects.filter(chat=chat).exists()


def test_the_visitor_hears_the_agent_typing() -> None:
    agent = f.user(first_name="Tom")
    chat = chat_take(actor=agent, chat=waiting_chat())
    cursor = live_cursor()

    agent_typing(actor=agent, chat=chat)

    [typing] = heard(visitor_stream(chat), cursor)
    assert (typing.kind, typing.payload) == ("typing", {"sender": "agent", "agent_name": "Tom"})


def test_an_agent_who_leaves_hands_the_chat_back_to_the_queue() -> None:
    leaving = f.user(first_name="Tom")
    chat = chat_take(actor=leaving, chat=waiting_chat())
    taken_queued_at = chat.queued_at
    cursor = live_cursor()

    agent_left(actor=leaving, chat=chat)

    chat.refresh_from_db()
    assert (chat.state, chat.agent_id, chat.taken_at) == (ChatState.QUEUED, None, None)
    assert chat.queued_at is not None
    assert taken_queued_at is not None
    assert chat.queued_at > taken_queued_at
    to_visitor = heard(visitor_stream(chat), cursor)
    assert [(e.kind, e.payload) for e in to_visitor] == [
        ("agent_left", {"agent_name": "Tom"}),
        ("state", {"state": "queued", "agent_name": ""}),
    ]
    assert [e.kind for e in heard(EVERY_AGENT, cursor)] == ["chat_queue"]
    # A colleague takes it from the queue.
    colleague = f.user()
    assert chat_take(actor=colleague, chat=chat).agent_id == colleague.pk


def test_only_the_holder_or_a_team_lead_ends_a_chat() -> None:
    holder, other = f.user(), f.user()
    lead = f.user(Role.TEAM_LEAD)
    chat = chat_take(actor=holder, chat=waiting_chat(visitor_email="vera@example.net"))
    visitor_says(chat, "My router blinks red")

    with pytest.raises(PermissionDenied, match="team lead"):
        chat_end_by_agent(actor=other, chat=chat)
    ended, ticket = chat_end_by_agent(actor=lead, chat=chat)

    assert (ended.state, ended.ended_by, ended.ticket_id) == (
        ChatState.ENDED,
        EndedBy.AGENT,
        ticket.pk,
    )
    # The contact is the holder's, though the lead closed it.
    assert Interaction.objects.get(ticket=ticket).agent_id == holder.pk
    # Ending it again answers the same ticket.
    assert chat_end_by_agent(actor=holder, chat=chat)[1].pk == ticket.pk


def test_a_waiting_chat_cannot_be_ended_by_an_agent() -> None:
    with pytest.raises(ChatNotActive, match="take it first"):
        chat_end_by_agent(actor=f.user(Role.TEAM_LEAD), chat=waiting_chat())
