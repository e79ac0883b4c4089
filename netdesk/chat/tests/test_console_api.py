"""GET /api/v1/chat/chats: web chats for reports, newest first in keyset
pages; agents see the chats they took, team leads every chat."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from netdesk.accounts.models import Role, User
from netdesk.chat.services.agent import chat_end_by_agent, chat_take
from netdesk.chat.tests.test_agent import visitor_says, waiting_chat
from tests import factories as f

pytestmark = pytest.mark.django_db
URL = "/api/v1/chat/chats"


def get(user: User, **params: Any) -> Any:
    token = f.token_for(user)
    return Client().get(URL, params, headers={"Authorization": f"Bearer {token}"})


def test_agents_see_their_chats_and_team_leads_every_chat() -> None:
    tom, ann = f.user(first_name="Tom"), f.user()
    customer = f.customer()
    mine = chat_take(actor=tom, chat=waiting_chat(customer=customer))
    visitor_says(mine, "Hello")
    chat_end_by_agent(actor=tom, chat=mine)
    chat_take(actor=ann, chat=waiting_chat())
    waiting_chat()

    items = get(tom).json()["items"]
    assert [item["chat"] for item in items] == [mine.public_id]
    [row] = items
    assert (row["state"], row["agent"], row["customer"], row["messages"]) == (
        "ended",
        tom.username,
        customer.account_number,
        1,
    )
    assert row["ticket"].startswith("TT-")
    assert len(get(f.user(Role.TEAM_LEAD)).json()["items"]) == 3
    assert len(get(f.user(Role.TEAM_LEAD), state="queued").json()["items"]) == 1
    assert get(f.user(Role.FIELD_ENGINEER)).status_code == 403


def test_pages_follow_the_cursor_at_a_fixed_cost() -> None:
    lead = f.user(Role.TEAM_LEAD)
    now = timezone.now()
    started = [waiting_chat(started_at=now - timedelta(minutes=n)) for n in range(5)]
    token = f.token_for(lead)
    client = Client(headers={"Authorization": f"Bearer {token}"})

    client.get(URL, {"limit": 1})  # the token's last use is written once
    with CaptureQueriesContext(connection) as small:
        first = client.get(URL, {"limit": 2}).json()
    with CaptureQueriesContext(connection) as large:
        assert len(client.get(URL, {"limit": 5}).json()["items"]) == 5
    assert len(small) == len(large)
    second = client.get(URL, {"limit": 2, "cursor": first["next"]}).json()
    last = client.get(URL, {"limit": 2, "cursor": second["next"]}).json()

    seen = [item["chat"] for page in (first, second, last) for item in page["items"]]
    assert seen == [chat.public_id for chat in started]
    assert last["next"] is None
    bad = client.get(URL, {"cursor": "not-a-cursor"})
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "cursor")
    assert client.get(URL, {"limit": 0}).status_code == 422
