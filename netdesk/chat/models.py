"""Web chats: a visitor's conversation from the widget, through the queue,
to the agent who took it, and the ticket its transcript landed on."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from netdesk.customers.models import Contact, Customer


def new_chat_id() -> str:
    return "CH-" + secrets.token_hex(8)


class ChatState(models.TextChoices):
    QUEUED = "queued", "Waiting for an agent"
    ACTIVE = "active", "With an agent"
    ENDED = "ended", "Ended"
    # Nobody available (or nobody took it in time): a ticket holds it.
    UNANSWERED = "unanswered", "Nobody available; ticket opened"
    # The visitor left (or went silent past the timeout) before an answer.
    ABANDONED = "abandoned", "Abandoned by the visitor"


OPEN_CHAT_STATES = frozenset({ChatState.QUEUED, ChatState.ACTIVE})


class EndedBy(models.TextChoices):
    VISITOR = "visitor", "Visitor"
    AGENT = "agent", "Agent"
    TIMEOUT = "timeout", "Timed out"
    DESK = "desk", "The desk (nobody available)"


class Chat(models.Model):
    """One chat. The visitor holds a secret token (its SHA-256 is kept),
    sent as a header by the widget: no cookies, so it works on any site."""

    public_id = models.CharField(max_length=24, unique=True, default=new_chat_id)
    visitor_token_hash = models.CharField(max_length=64, unique=True)
    # What the visitor typed (each optional); customer/contact once matched.
    visitor_name = models.CharField(max_length=200, blank=True, default="")
    visitor_email = models.EmailField(blank=True, default="")
    visitor_account = models.CharField(max_length=30, blank=True, default="")
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    language = models.CharField(max_length=10, blank=True, default="")
    page_url = models.CharField(max_length=500, blank=True, default="")
    visitor_address = models.CharField(max_length=45, blank=True, default="")
    state = models.CharField(max_length=20, choices=ChatState.choices, default=ChatState.QUEUED)
    # The routing requirements ([{"skill": id, "min_level": n}]) an agent
    # must meet to take it, fixed when it queued.
    requirements = models.JSONField(default=list)
    # The active incident shown to the visitor before the queue, if any.
    outage_reference = models.CharField(max_length=20, blank=True, default="")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(db_index=True)
    # When the chat joined the queue agents take from: at its start, or
    # when the visitor went on past an outage notice (None while they read
    # it). Agents are offered QUEUED chats with a queued_at only, and the
    # queue's waiting time counts from it.
    queued_at = models.DateTimeField(null=True, blank=True)
    taken_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=20, choices=EndedBy.choices, blank=True, default="")
    last_visitor_at = models.DateTimeField()
    last_agent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "started_at"], name="chat_state_started")]

    def __str__(self) -> str:
        return self.public_id


class Sender(models.TextChoices):
    VISITOR = "visitor", "Visitor"
    AGENT = "agent", "Agent"
    DESK = "desk", "The desk"


class ChatMessage(models.Model):
    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="messages")
    sender = models.CharField(max_length=10, choices=Sender.choices)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["chat", "id"], name="chat_message_chat_id")]

    def __str__(self) -> str:
        return f"{self.sender} in {self.chat_id}"
