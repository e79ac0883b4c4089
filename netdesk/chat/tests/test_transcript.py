"""What a chat leaves behind: its transcript as a chat contact on a ticket
(of the matched customer, or of a placeholder for an unnamed visitor), and
for a chat nobody took, a ticket and a word to the visitor."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from netdesk.accounts.models import Role
from netdesk.chat.models import Chat, ChatMessage, ChatState, EndedBy, Sender
from netdesk.chat.services.agent import (
    agent_left,
    agent_message_add,
    chat_end_by_agent,
    chat_take,
)
from netdesk.chat.services.events import visitor_stream
from netdesk.chat.services.transcript import (
    TRANSCRIPT_MAX_CHARS,
    ChatNotOver,
    chat_transcript_file,
    chat_unanswered,
    chats_overdue_file,
    transcript_text,
)
from netdesk.chat.tests.test_agent import visitor_says, waiting_chat
from netdesk.core.errors import ValidationFailed
from netdesk.core.live import live_cursor, live_read
from netdesk.core.views_live import EVERY_AGENT
from netdesk.customers.models import Contact
from netdesk.tickets.models import Interaction
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_an_unnamed_visitors_chat_lands_on_a_new_ticket_of_a_placeholder() -> None:
    agent = f.user(first_name="Tom", last_name="Berg")
    chat = chat_take(
        actor=agent, chat=waiting_chat(visitor_name="Vera", visitor_email="vera@example.net")
    )
    visitor_says(chat, "My router blinks red since the storm")
    agent_message_add(actor=agent, chat=chat, text="Please unplug it for ten seconds.")

    ended, ticket = chat_end_by_agent(actor=agent, chat=chat)

    assert ended.ticket_id == ticket.pk
    assert (ticket.channel, ticket.created_by_id) == ("chat", agent.pk)
    assert ticket.title == "Web chat with Vera: My router blinks red since the storm"
    customer = ticket.customer
    assert customer.is_placeholder
    assert customer.account_number == f"CHAT-{customer.pk}"
    contact = Contact.objects.get(customer=customer)
    assert (contact.email, contact.verified) == ("vera@example.net", False)
    interaction = Interaction.objects.get(ticket=ticket)
    assert (interaction.channel, interaction.direction, interaction.agent_id) == (
        "chat",
        "inbound",
        agent.pk,
    )
    assert interaction.outcome == "ticket_created"
    assert interaction.started_at == chat.started_at
    assert chat.ended_at is not None
    assert interaction.duration_seconds == int((chat.ended_at - chat.started_at).total_seconds())
    lines = interaction.summary.splitlines()
    assert lines[0].startswith(f"Web chat {chat.public_id}, started ")
    assert lines[1].endswith("] Visitor Vera: My router blinks red since the storm")
    assert lines[2].endswith("] Agent Tom Berg: Please unplug it for ten seconds.")
    # A chat's contact is the ticket's first response.
    assert ticket.first_response_at is not None


def test_the_same_unnamed_visitor_keeps_one_placeholder() -> None:
    agent = f.user()
    tickets = []
    for _ in range(2):
        chat = chat_take(actor=agent, chat=waiting_chat(visitor_email="Vera@Example.net"))
        tickets.append(chat_end_by_agent(actor=agent, chat=chat)[1])
    assert tickets[0].customer_id == tickets[1].customer_id


def test_a_matched_customers_chat_is_filed_on_their_open_ticket() -> None:
    agent = f.user()
    customer = f.customer()
    contact = Contact.objects.get(customer=customer)
    fault = f.ticket(agent, customer)
    chat = chat_take(actor=agent, chat=waiting_chat(customer=customer, contact=contact))

    _, filed = chat_end_by_agent(actor=agent, chat=chat, ticket=fault, outcome="escalated")

    assert filed.pk == fault.pk
    interaction = Interaction.objects.get(ticket=fault, channel="chat")
    assert (interaction.outcome, interaction.contact_id) == ("escalated", contact.pk)


def test_a_chat_is_not_filed_on_a_closed_ticket_or_with_a_foreign_outcome() -> None:
    agent = f.user()
    lead = f.user(Role.TEAM_LEAD)
    customer = f.customer()
    done = f.ticket(agent, customer)
    done.status = "closed"
    done.save(update_fields=["status"])
    chat = chat_take(actor=agent, chat=waiting_chat(customer=customer))

    with pytest.raises(ValidationFailed, match="closed"):
        chat_end_by_agent(actor=lead, chat=chat, ticket=done)
    with pytest.raises(ValidationFailed, match="outcome"):
        chat_end_by_agent(actor=agent, chat=chat, outcome="resolved")
    chat.refresh_from_db()
    assert (chat.state, chat.ticket_id) == (ChatState.ACTIVE, None)


def test_a_chat_still_going_on_is_not_filed() -> None:
    agent = f.user()
    chat = chat_take(actor=agent, chat=waiting_chat())
    with pytest.raises(ChatNotOver):
        chat_transcript_file(chat=chat, actor=agent)


def test_the_transcript_is_bounded_and_says_what_it_left_out() -> None:
    chat = waiting_chat(visitor_name="")
    now = timezone.now()
    ChatMessage.objects.bulk_create(
        ChatMessage(chat=chat, sender=Sender.VISITOR, body="x" * 900, created_at=now)
        for _ in range(40)
    )

    text = transcript_text(chat)

    assert len(text) <= TRANSCRIPT_MAX_CHARS
    assert text.splitlines()[-1].endswith("more messages are not shown here.")
    assert "] Visitor: " in text


def test_a_chat_nobody_took_becomes_a_ticket_and_the_visitor_is_told() -> None:
    chat = waiting_chat(visitor_email="vera@example.net")
    visitor_says(chat, "Is anyone there? My TV has no picture.")
    cursor = live_cursor()

    unanswered = chat_unanswered(chat=chat)

    assert (unanswered.state, unanswered.ended_by) == (ChatState.UNANSWERED, EndedBy.DESK)
    ticket = unanswered.ticket
    assert ticket is not None
    assert (ticket.channel, ticket.created_by_id) == ("chat", None)
    assert "Nobody was available" in ticket.description
    assert "My TV has no picture." in ticket.description
    # Nobody answered: no contact was made and no first response given.
    assert not Interaction.objects.filter(ticket=ticket).exists()
    assert ticket.first_response_at is None
    desk = ChatMessage.objects.get(chat=chat, sender=Sender.DESK)
    assert ticket.reference in desk.body
    assert "by email at vera@example.net" in desk.body
    told = live_read(streams=[visitor_stream(chat)], after=cursor)
    assert [(e.kind, e.payload.get("sender") or e.payload.get("state")) for e in told] == [
        ("message", "desk"),
        ("state", "unanswered"),
    ]
    assert [e.kind for e in live_read(streams=[EVERY_AGENT], after=cursor)] == ["chat_queue"]


def test_a_visitor_named_by_account_number_is_not_shown_the_accounts_address() -> None:
    customer = f.customer(email="owner@example.net")
    chat = waiting_chat(customer=customer, visitor_account=customer.account_number)

    body = ChatMessage.objects.get(chat=chat_unanswered(chat=chat), sender=Sender.DESK).body

    assert "owner@example.net" not in body
    assert "by email, at the address on your account" in body


def test_a_visitor_the_desk_cannot_reach_is_asked_to_come_back() -> None:
    chat = waiting_chat(visitor_name="")
    body = ChatMessage.objects.get(chat=chat_unanswered(chat=chat), sender=Sender.DESK).body
    assert "no way to reach you" in body


def test_a_chat_taken_meanwhile_is_not_turned_into_a_ticket() -> None:
    agent = f.user()
    chat = chat_take(actor=agent, chat=waiting_chat())
    assert chat_unanswered(chat=chat).state == ChatState.ACTIVE
    assert Chat.objects.get(pk=chat.pk).ticket_id is None


def test_a_chat_unanswered_twice_opens_one_ticket() -> None:
    chat = waiting_chat(started_at=timezone.now() - timedelta(minutes=5))
    first = chat_unanswered(chat=chat)
    second = chat_unanswered(chat=chat)
    assert first.ticket_id == second.ticket_id
    assert ChatMessage.objects.filter(chat=chat, sender=Sender.DESK).count() == 1


def test_a_chat_back_in_the_queue_a_moment_ago_is_not_turned_into_a_ticket() -> None:
    agent = f.user()
    chat = chat_take(actor=agent, chat=waiting_chat())
    waited_since = timezone.now()
    agent_left(actor=agent, chat=chat)

    assert chat_unanswered(chat=chat, waited_since=waited_since).state == ChatState.QUEUED
    assert chat_unanswered(chat=chat, waited_since=timezone.now()).state == ChatState.UNANSWERED


def test_chats_left_unfiled_are_filed_for_their_agent_after_a_while() -> None:
    agent = f.user()
    now = timezone.now()
    old = chat_take(actor=agent, chat=waiting_chat())
    recent = chat_take(actor=agent, chat=waiting_chat())
    Chat.objects.filter(pk=old.pk).update(
        state=ChatState.ENDED, ended_by=EndedBy.TIMEOUT, ended_at=now - timedelta(hours=2)
    )
    Chat.objects.filter(pk=recent.pk).update(
        state=ChatState.ENDED, ended_by=EndedBy.VISITOR, ended_at=now
    )

    assert chats_overdue_file(ended_before=now - timedelta(hours=1)) == 1

    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.ticket is not None
    assert Interaction.objects.get(ticket=old.ticket).agent_id == agent.pk
    assert recent.ticket_id is None
