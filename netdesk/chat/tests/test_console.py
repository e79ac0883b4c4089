"""The agents' chat console and its JSON actions over HTTP: who may use them,
the queue's answer and its query count, taking (409 when another agent was
first), writing, leaving and ending with the transcript filed; CSRF stays on."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from netdesk.accounts.models import Role, User
from netdesk.chat.models import Chat, ChatMessage, ChatState
from netdesk.chat.services.agent import chat_take
from netdesk.chat.tests.test_agent import level_set, skill, visitor_says, waiting_chat
from netdesk.core.live import live_cursor, live_read
from netdesk.core.views_live import agent_stream
from netdesk.routing.models import AgentAvailability
from netdesk.tickets.models import Interaction, Ticket
from tests import factories as f

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, path: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(path, body or {}, content_type="application/json")


def test_the_queue_answers_only_signed_in_agents_who_take_chats() -> None:
    response = Client().get("/chat/queue.json")
    assert (response.status_code, response["Content-Type"]) == (401, PROBLEM)
    response = signed_in(f.user(Role.FIELD_ENGINEER)).get("/chat/queue.json")
    assert (response.status_code, response["Content-Type"]) == (403, PROBLEM)
    assert "chat.take" in response.json()["detail"]


def test_the_queue_lists_what_the_agent_may_take_and_what_they_hold() -> None:
    english = skill()
    agent = f.user()
    level_set(agent, english, 2)
    customer = f.customer(name="Kiosk am Markt")
    first = waiting_chat(visitor_name="Ann", customer=customer)
    waiting_chat(visitor_name="Bob", requirements=[{"skill": english.pk, "min_level": 4}])
    mine = chat_take(actor=agent, chat=waiting_chat(visitor_name="Cem"))

    body = signed_in(agent).get("/chat/queue.json").json()

    assert [item["chat"] for item in body["waiting"]] == [first.public_id]
    [ann] = body["waiting"]
    assert ann["visitor_name"] == "Ann"
    assert ann["customer"]["name"] == "Kiosk am Markt"
    assert ann["waiting_seconds"] >= 100
    assert body["others_waiting"] == 1
    assert body["available"] is True
    assert [(c["chat"], c["state"]) for c in body["mine"]] == [(mine.public_id, "active")]


def test_the_queue_costs_the_same_queries_for_3_chats_as_for_30(
    django_assert_num_queries,
) -> None:
    english = skill()
    agent = f.user()
    level_set(agent, english, 5)
    client = signed_in(agent)
    client.get("/chat/queue.json")  # the session is read once before counting

    def add(count: int) -> None:
        for _ in range(count):
            waiting_chat(
                customer=f.customer(), requirements=[{"skill": english.pk, "min_level": 1}]
            )
            chat_take(actor=agent, chat=waiting_chat(customer=f.customer()))

    add(3)
    # Session and user (2), waiting chats, skills and levels (3),
    # availability, the agent's chats.
    with django_assert_num_queries(7):
        assert len(client.get("/chat/queue.json").json()["waiting"]) == 3
    add(27)
    with django_assert_num_queries(7):
        assert len(client.get("/chat/queue.json").json()["waiting"]) == 30


def test_take_answers_the_chat_or_409_when_another_agent_was_first() -> None:
    chat = waiting_chat()
    first, second = signed_in(f.user()), signed_in(f.user())

    response = post(first, f"/chat/{chat.public_id}/take")
    assert (response.status_code, response.json()) == (
        200,
        {"chat": chat.public_id, "state": "active"},
    )
    response = post(second, f"/chat/{chat.public_id}/take")
    assert (response.status_code, response["Content-Type"]) == (409, PROBLEM)
    assert response.json()["type"].endswith("/chat-taken")


def test_an_unknown_chat_is_404_and_a_get_is_405() -> None:
    client = signed_in(f.user())
    response = post(client, "/chat/CH-0000000000000000/take")
    assert (response.status_code, response["Content-Type"]) == (404, PROBLEM)
    chat = waiting_chat()
    assert client.get(f"/chat/{chat.public_id}/take").status_code == 405


def test_the_holder_writes_by_json_or_form_and_reads_the_chat() -> None:
    agent = f.user(first_name="Tom")
    chat = chat_take(actor=agent, chat=waiting_chat())
    visitor_says(chat, "Hello?")
    client = signed_in(agent)

    by_json = post(client, f"/chat/{chat.public_id}/messages", {"text": "Hi, Tom here."})
    by_form = client.post(f"/chat/{chat.public_id}/messages", {"text": "How can I help?"})

    assert (by_json.status_code, by_form.status_code) == (201, 201)
    assert set(by_json.json()) == {"id", "at"}
    read = client.get(f"/chat/{chat.public_id}/messages").json()
    assert [(m["sender"], m["body"]) for m in read["messages"]] == [
        ("visitor", "Hello?"),
        ("agent", "Hi, Tom here."),
        ("agent", "How can I help?"),
    ]
    after = client.get(f"/chat/{chat.public_id}/messages", {"after": by_json.json()["id"]})
    assert [m["body"] for m in after.json()["messages"]] == ["How can I help?"]


def test_bad_messages_and_other_agents_are_refused_with_problems() -> None:
    agent = f.user()
    chat = chat_take(actor=agent, chat=waiting_chat())
    client = signed_in(agent)

    empty = post(client, f"/chat/{chat.public_id}/messages", {"text": ""})
    assert (empty.status_code, empty.json()["errors"][0]["field"]) == (422, "text")
    not_json = client.post(
        f"/chat/{chat.public_id}/messages", "[1, 2", content_type="application/json"
    )
    assert (not_json.status_code, not_json.json()["errors"][0]["field"]) == (422, "body")
    for bad_after in ("x", "-1", "³", "9" * 30):
        answer = client.get(f"/chat/{chat.public_id}/messages", {"after": bad_after})
        assert answer.status_code == 422
    other = signed_in(f.user())
    assert post(other, f"/chat/{chat.public_id}/messages", {"text": "Hi"}).status_code == 403
    assert other.get(f"/chat/{chat.public_id}/messages").status_code == 403
    assert post(other, f"/chat/{chat.public_id}/typing").status_code == 403
    assert not ChatMessage.objects.filter(chat=chat).exists()


def test_typing_and_leaving_over_http() -> None:
    agent = f.user()
    chat = chat_take(actor=agent, chat=waiting_chat())
    client = signed_in(agent)

    assert post(client, f"/chat/{chat.public_id}/typing").status_code == 204
    left = post(client, f"/chat/{chat.public_id}/leave")

    assert (left.status_code, left.json()) == (200, {"chat": chat.public_id, "state": "queued"})


def test_ending_files_the_transcript_on_a_new_or_a_chosen_ticket() -> None:
    agent = f.user()
    customer = f.customer()
    open_ticket = f.ticket(agent, customer)
    someone_elses = f.ticket(agent)
    chat = chat_take(actor=agent, chat=waiting_chat(customer=customer))
    visitor_says(chat, "About my fault ticket")
    client = signed_in(agent)

    for bad in ("TT-x", 42, "TT-999999"):
        refused = post(client, f"/chat/{chat.public_id}/end", {"ticket": bad})
        assert refused.status_code in (404, 422)
        assert refused.json()["errors"][0]["field"] == "ticket"
    wrong = post(client, f"/chat/{chat.public_id}/end", {"ticket": someone_elses.reference})
    assert (wrong.status_code, wrong.json()["errors"][0]["field"]) == (422, "ticket")
    chat.refresh_from_db()
    assert chat.state == ChatState.ACTIVE  # nothing of the refused end was kept

    ended = post(
        client,
        f"/chat/{chat.public_id}/end",
        {"ticket": open_ticket.reference, "outcome": "information_given"},
    )

    assert ended.status_code == 200, ended.content
    assert ended.json()["ticket"] == open_ticket.reference
    interaction = Interaction.objects.get(ticket=open_ticket, channel="chat")
    assert interaction.outcome == "information_given"
    assert "About my fault ticket" in interaction.summary
    another = chat_take(actor=agent, chat=waiting_chat(customer=customer))
    new = post(client, f"/chat/{another.public_id}/end", {"ticket": "new"}).json()
    assert new["ticket"] != open_ticket.reference
    assert Ticket.objects.get(pk=int(new["ticket"][3:])).channel == "chat"


def test_csrf_stays_on_for_the_agents_posts() -> None:
    agent = f.user()
    chat = waiting_chat()
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)

    refused = post(client, f"/chat/{chat.public_id}/take")
    assert refused.status_code == 403
    client.get("/chat/console/")
    token = client.cookies["csrftoken"].value
    taken = client.post(
        f"/chat/{chat.public_id}/take",
        {},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert taken.status_code == 200


def test_the_console_shows_the_queue_and_the_agents_chat() -> None:
    agent = f.user()
    waiting = waiting_chat(visitor_name="Ann")
    chat = chat_take(actor=agent, chat=waiting_chat(visitor_name="Cem"))
    visitor_says(chat, "My line is down")
    client = signed_in(agent)

    page = client.get("/chat/console/").content.decode()

    assert f'data-take="{waiting.public_id}"' in page
    assert "My line is down" in page  # their only chat is open
    assert '<ul class="messages"' not in page  # chat lines are not the desk's notices
    assert 'id="chat-compose"' in page
    assert signed_in(f.user()).get(f"/chat/console/?chat={chat.public_id}").status_code == 403
    assert signed_in(f.user(Role.FIELD_ENGINEER)).get("/chat/console/").status_code == 403
    lead = signed_in(f.user(Role.TEAM_LEAD))
    assert lead.get(f"/chat/console/?chat={chat.public_id}").status_code == 200
    assert Client().get("/chat/console/").status_code == 302


def test_a_chat_the_visitor_left_waits_on_the_agents_desk_to_be_filed() -> None:
    agent = f.user()
    chat = chat_take(actor=agent, chat=waiting_chat())
    Chat.objects.filter(pk=chat.pk).update(state=ChatState.ENDED, ended_by="visitor")
    client = signed_in(agent)
    cursor = live_cursor()

    mine = client.get("/chat/queue.json").json()["mine"]
    assert [(c["chat"], c["to_file"]) for c in mine] == [(chat.public_id, True)]
    assert "The visitor left: file the chat" in client.get("/chat/console/").content.decode()
    filed = post(client, f"/chat/{chat.public_id}/end")

    assert filed.status_code == 200
    assert client.get("/chat/queue.json").json()["mine"] == []
    # Nothing is said to anyone: the chat had ended already.
    assert live_read(streams=[agent_stream(agent.pk)], after=cursor) == []


def test_an_agent_marked_away_is_told_so_and_where_to_change_it() -> None:
    agent = f.user()
    AgentAvailability.objects.create(agent=agent, available=False, updated_at=timezone.now())
    chat = waiting_chat()
    client = signed_in(agent)

    page = client.get("/chat/console/").content.decode()
    refused = post(client, f"/chat/{chat.public_id}/take")

    assert "You are marked away" in page
    assert 'href="/competency/routing/"' in page
    assert client.get("/chat/queue.json").json()["available"] is False
    assert (refused.status_code, refused.json()["type"]) == (
        409,
        "https://netdesk.example/problems/chat-not-takeable",
    )
