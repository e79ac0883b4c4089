"""Limits on what a chat visitor sends: message size, messages per minute
per chat, chats per address per hour; typing passed on sparingly. The
counts are in the database, so every web process refuses alike."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from netdesk.chat.models import Chat, ChatMessage
from netdesk.core.live import live_cursor, live_read

pytestmark = pytest.mark.django_db


def start(client: Client, **extra: Any) -> Any:
    return client.post("/chat/v/start", {}, content_type="application/json", **extra)


def send(client: Client, token: str, text: str) -> Any:
    return client.post(
        "/chat/v/messages",
        {"text": text},
        content_type="application/json",
        headers={"X-Chat-Token": token},
    )


def test_a_message_over_the_size_is_refused_naming_the_limit(client: Client, settings) -> None:
    settings.NETDESK_CHAT_MESSAGE_MAX_CHARS = 50
    token = start(client).json()["token"]
    assert send(client, token, "x" * 50).status_code == 201
    refused = send(client, token, "y" * 51)
    assert refused.status_code == 413
    assert refused["Content-Type"] == "application/problem+json"
    problem = refused.json()
    assert "at most 50" in problem["detail"]
    assert problem["errors"][0]["field"] == "text"
    assert problem["errors"][0]["accepted"] == "text of 1 to 50 characters"
    assert ChatMessage.objects.count() == 1


def test_a_body_too_large_to_be_a_chat_request_is_not_read(client: Client) -> None:
    token = start(client).json()["token"]
    refused = send(client, token, "z" * 70_000)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body"


def test_messages_over_the_rate_are_refused_with_retry_after(client: Client, settings) -> None:
    settings.NETDESK_CHAT_MESSAGES_PER_MINUTE = 3
    token = start(client).json()["token"]
    other = start(client).json()["token"]
    for n in range(3):
        assert send(client, token, f"message {n}").status_code == 201
    refused = send(client, token, "one too many")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "3 messages per minute" in refused.json()["detail"]
    # The limit is the chat's: another visitor writes on.
    assert send(client, other, "hello").status_code == 201


def test_chats_per_address_are_limited(client: Client, settings) -> None:
    settings.NETDESK_CHAT_STARTS_PER_HOUR = 2
    for _ in range(2):
        assert start(client, REMOTE_ADDR="198.51.100.7").status_code == 201
    refused = start(client, REMOTE_ADDR="198.51.100.7")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert "2 chats" in refused.json()["detail"]
    assert start(client, REMOTE_ADDR="198.51.100.8").status_code == 201
    assert Chat.objects.count() == 3
    assert Chat.objects.filter(visitor_address="198.51.100.8").count() == 1


def test_typing_is_passed_on_once_every_few_seconds(client: Client) -> None:
    body = start(client).json()
    Chat.objects.filter(public_id=body["chat"]).update(state="active")
    cursor = live_cursor()
    for _ in range(5):
        typed = client.post("/chat/v/typing", headers={"X-Chat-Token": body["token"]})
        assert typed.status_code == 204
    heard = live_read(streams=[f"chat:{body['chat']}"], after=cursor)
    assert [e.kind for e in heard] == ["typing"]
