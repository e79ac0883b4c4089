"""The visitor's side of a chat through its JSON endpoints: starting (who
the visitor is, the skills the chat needs, an outage notice first), writing,
hearing the agent, leaving; tokens open only their own chat."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from netdesk.accounts.models import hash_token
from netdesk.chat.models import Chat, ChatMessage, ChatState, EndedBy
from netdesk.chat.services.events import chat_event_publish
from netdesk.competency.models import Framework, Skill
from netdesk.core.live import live_cursor, live_read
from netdesk.customers.models import Contact, Customer
from netdesk.noc.models import NetworkIncident
from netdesk.routing.models import RoutingRule
from tests import factories as f

START = "/chat/v/start"


def start(client: Client, **fields: Any) -> dict[str, Any]:
    response = client.post(START, fields, content_type="application/json")
    assert response.status_code == 201, response.content
    return dict(response.json())


def post(client: Client, path: str, token: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(
        f"/chat/v/{path}",
        body or {},
        content_type="application/json",
        headers={"X-Chat-Token": token},
    )


def events(client: Client, token: str, after: int, wait: float = 0) -> dict[str, Any]:
    response = client.get(
        "/chat/v/events", {"after": str(after), "wait": str(wait)}, headers={"X-Chat-Token": token}
    )
    assert response.status_code == 200, response.content
    return dict(response.json())


def outage_on(customer: Customer, **extra: Any) -> NetworkIncident:
    """An active incident on the access element of a service of `customer`."""
    olt = f.element()
    f.service(customer, access_element=olt)
    now = timezone.now()
    return NetworkIncident.objects.create(
        title="OLT-7 linecard down",
        technical_description="linecard 3 crashed",
        customer_description=extra.pop("customer_description", "Internet is down in Mitte."),
        root_element=olt,
        detected_by="alarm",
        started_at=now - timedelta(minutes=30),
        detected_at=now - timedelta(minutes=25),
        eta=extra.pop("eta", now + timedelta(hours=2)),
        **extra,
    )


@pytest.mark.django_db
def test_an_anonymous_visitor_joins_the_queue_at_once(client: Client) -> None:
    began = live_cursor()
    body = start(client, name="Ann", page="https://www.example.net/help")
    assert body["state"] == "queued"
    assert body["outage"] is None
    assert body["chat"].startswith("CH-")
    assert body["cursor"] >= began
    chat = Chat.objects.get(public_id=body["chat"])
    assert chat.visitor_name == "Ann"
    assert chat.customer is None
    assert chat.queued_at is not None
    assert chat.page_url == "https://www.example.net/help"
    # Only the token's hash is kept.
    assert chat.visitor_token_hash == hash_token(body["token"])
    assert body["token"] not in str(Chat.objects.filter(pk=chat.pk).values().first())
    # Every agent hears that the queue changed, nothing about the visitor.
    heard = live_read(streams=["agents"], after=began)
    assert [(e.kind, e.payload) for e in heard] == [("chat_queue", {})]


@pytest.mark.django_db
def test_an_identified_visitor_sees_the_outage_first_and_then_joins_the_queue(
    client: Client,
) -> None:
    customer = f.customer(account_number="AC-7001")
    incident = outage_on(customer)
    body = start(client, account=" AC-7001 ")
    assert body["state"] == "outage_notice"
    assert body["outage"]["incident"] == incident.reference
    assert body["outage"]["message"] == "Internet is down in Mitte."
    assert body["outage"]["eta"] == incident.eta.isoformat()  # type: ignore[union-attr]
    # The customer's name is not told to whoever typed the number.
    assert customer.name not in str(body)
    chat = Chat.objects.get(public_id=body["chat"])
    assert chat.customer == customer
    assert chat.outage_reference == incident.reference
    assert chat.state == ChatState.QUEUED
    assert chat.queued_at is None  # not offered to agents while the notice shows
    cursor = body["cursor"]

    joined = post(client, "queue", body["token"])
    assert joined.status_code == 200
    assert joined.json() == {"chat": chat.public_id, "state": "queued"}
    chat.refresh_from_db()
    assert chat.queued_at is not None
    heard = events(client, body["token"], cursor)["events"]
    assert [(e["kind"], e["payload"]["state"]) for e in heard] == [("state", "queued")]
    # Asking again changes nothing.
    assert post(client, "queue", body["token"]).status_code == 200
    assert events(client, body["token"], heard[-1]["id"])["events"] == []


@pytest.mark.django_db
def test_no_outage_notice_for_an_anonymous_visitor(client: Client) -> None:
    outage_on(f.customer(account_number="AC-7002"))
    body = start(client, name="Someone", email="nobody@example.org")
    assert body["state"] == "queued"
    assert body["outage"] is None


@pytest.mark.django_db
def test_a_visitor_without_an_outage_is_queued_even_when_identified(client: Client) -> None:
    customer = f.customer(account_number="AC-7003")
    f.service(customer, access_element=f.element())
    outage_on(f.customer())  # somebody else's
    body = start(client, account="AC-7003")
    assert body["state"] == "queued"
    assert Chat.objects.get(public_id=body["chat"]).customer == customer


@pytest.mark.django_db
def test_only_a_verified_contacts_address_identifies_the_visitor(client: Client) -> None:
    known = f.customer()
    Contact.objects.create(customer=known, name="Ann", email="Ann@Example.net", verified=True)
    stranger = f.customer()
    Contact.objects.create(customer=stranger, name="Bob", email="bob@example.net", verified=False)
    twice_a = f.customer()
    twice_b = f.customer()
    for owner in (twice_a, twice_b):
        Contact.objects.create(customer=owner, name="Cy", email="cy@example.net", verified=True)

    by_address = Chat.objects.get(public_id=start(client, email="ann+chat@example.net")["chat"])
    assert by_address.customer == known
    assert by_address.contact is not None
    assert by_address.contact.name == "Ann"
    unverified = Chat.objects.get(public_id=start(client, email="bob@example.net")["chat"])
    assert unverified.customer is None
    assert unverified.contact is None
    ambiguous = Chat.objects.get(public_id=start(client, email="cy@example.net")["chat"])
    assert ambiguous.customer is None
    assert ambiguous.contact is None
    # An account number picks which of the customers the address belongs to.
    chosen = Chat.objects.get(
        public_id=start(client, email="cy@example.net", account=twice_b.account_number)["chat"]
    )
    assert chosen.customer == twice_b
    assert chosen.contact is not None
    assert chosen.contact.customer == twice_b
    # An account number that is almost right names nobody.
    almost = start(client, account=known.account_number.lower() + "0")
    assert Chat.objects.get(public_id=almost["chat"]).customer is None


@pytest.mark.django_db
def test_the_chat_needs_the_skills_of_the_routing_rules_for_chats(client: Client) -> None:
    framework = Framework.objects.create(name="Chat skills", state="published")
    german = Skill.objects.create(framework=framework, code="LANG-DE", name="German", category="x")
    business = Skill.objects.create(framework=framework, code="CS-BIZ", name="Biz", category="x")
    RoutingRule.objects.create(
        name="German chats", match_channel="chat", match_language="de", skill=german, min_level=3
    )
    RoutingRule.objects.create(
        name="Business", match_segment="business", skill=business, min_level=2, hard=True
    )
    RoutingRule.objects.create(
        name="Phone only", match_channel="phone", skill=business, min_level=5
    )
    customer = f.customer(segment="business", language="de")

    chat = Chat.objects.get(public_id=start(client, account=customer.account_number)["chat"])
    assert chat.language == "de"  # the customer's, as the visitor gave none
    assert chat.requirements == [
        {"skill": german.pk, "min_level": 3},
        {"skill": business.pk, "min_level": 2},
    ]
    anonymous = Chat.objects.get(public_id=start(client, language="en")["chat"])
    assert anonymous.requirements == []


@pytest.mark.django_db
def test_messages_reach_the_chats_stream_and_the_agent_who_holds_it(client: Client) -> None:
    body = start(client, name="Ann")
    token = body["token"]
    sent = post(client, "messages", token, {"text": "  My router blinks red  "})
    assert sent.status_code == 201
    message = ChatMessage.objects.get(pk=sent.json()["id"])
    assert message.body == "My router blinks red"
    assert message.sender == "visitor"
    heard = events(client, token, body["cursor"])
    assert [e["kind"] for e in heard["events"]] == ["message"]
    payload = heard["events"][0]["payload"]
    assert payload["sender"] == "visitor"
    assert payload["body"] == "My router blinks red"
    assert payload["id"] == message.pk
    assert heard["cursor"] == heard["events"][0]["id"]

    # Once an agent holds it, the agent hears the visitor on their own stream.
    agent = f.user()
    Chat.objects.filter(pk=message.chat_id).update(
        agent=agent, state=ChatState.ACTIVE, taken_at=timezone.now()
    )
    cursor = live_cursor()
    post(client, "messages", token, {"text": "Still red"})
    post(client, "typing", token)
    agent_heard = live_read(streams=[f"agent:{agent.pk}"], after=cursor)
    assert [e.kind for e in agent_heard] == ["chat_message", "chat_typing"]
    assert agent_heard[0].payload["chat"] == body["chat"]
    assert agent_heard[0].payload["body"] == "Still red"


@pytest.mark.django_db
def test_a_token_opens_its_own_chat_only(client: Client) -> None:
    mine = start(client, name="Ann")
    theirs = start(client, name="Bob")
    theirs_chat = Chat.objects.get(public_id=theirs["chat"])
    chat_event_publish(
        chat=theirs_chat,
        kind="message",
        payload={"id": 1, "sender": "agent", "body": "For Bob only", "at": "", "agent_name": "Eve"},
    )
    post(client, "messages", mine["token"], {"text": "Hello from Ann"})
    assert "For Bob only" not in str(events(client, mine["token"], 0))
    assert "Hello from Ann" not in str(events(client, theirs["token"], 0))
    assert ChatMessage.objects.filter(chat=theirs_chat).count() == 0
    post(client, "leave", mine["token"])
    theirs_chat.refresh_from_db()
    assert theirs_chat.state == ChatState.QUEUED

    missing = client.get("/chat/v/events", {"after": "0", "wait": "0"})
    assert missing.status_code == 401
    assert missing["Content-Type"] == "application/problem+json"
    assert "X-Chat-Token" in missing.json()["detail"]
    forged = post(client, "messages", mine["token"] + "x", {"text": "hi"})
    assert forged.status_code == 401
    # A chat's hash is no token.
    hashed = post(client, "messages", theirs_chat.visitor_token_hash, {"text": "hi"})
    assert hashed.status_code == 401


@pytest.mark.django_db
def test_leaving_a_queued_chat_abandons_it(client: Client) -> None:
    body = start(client)
    cursor = live_cursor()
    left = post(client, "leave", body["token"])
    assert left.status_code == 200
    assert left.json()["state"] == "abandoned"
    chat = Chat.objects.get(public_id=body["chat"])
    assert chat.ended_by == EndedBy.VISITOR
    assert chat.ended_at is not None
    assert [e.kind for e in live_read(streams=["agents"], after=cursor)] == ["chat_queue"]
    # Leaving again changes nothing; writing is refused, naming the chat.
    assert post(client, "leave", body["token"]).json()["state"] == "abandoned"
    refused = post(client, "messages", body["token"], {"text": "hello?"})
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["field"] == "chat"
    assert body["chat"] in refused.json()["detail"]


@pytest.mark.django_db
def test_leaving_an_active_chat_ends_it_and_the_agent_hears_it(client: Client) -> None:
    body = start(client)
    agent = f.user(first_name="Eve")
    Chat.objects.filter(public_id=body["chat"]).update(agent=agent, state=ChatState.ACTIVE)
    cursor = live_cursor()
    assert post(client, "leave", body["token"]).json()["state"] == "ended"
    chat = Chat.objects.get(public_id=body["chat"])
    assert (chat.state, chat.ended_by) == (ChatState.ENDED, EndedBy.VISITOR)
    heard = live_read(streams=[f"agent:{agent.pk}"], after=cursor)
    assert [(e.kind, e.payload["state"]) for e in heard] == [("chat_state", "ended")]
    assert heard[0].payload["agent_name"] == "Eve"


@pytest.mark.django_db
def test_bad_requests_are_refused_naming_the_field(client: Client) -> None:
    not_json = client.post(START, "name=Ann", content_type="application/x-www-form-urlencoded")
    assert not_json.status_code == 400
    assert not_json["Content-Type"] == "application/problem+json"
    assert not_json.json()["errors"][0]["field"] == "body"
    a_list = client.post(START, [1, 2], content_type="application/json")
    assert a_list.status_code == 400
    bad_email = client.post(START, {"email": "ann at example"}, content_type="application/json")
    assert bad_email.status_code == 422
    assert bad_email.json()["errors"][0] == {
        "message": "email 'ann at example' is not a mail address.",
        "field": "email",
        "value": "ann at example",
        "accepted": "a mail address such as ann@example.net (optional)",
    }
    long_name = client.post(START, {"name": "x" * 201}, content_type="application/json")
    assert long_name.status_code == 422
    assert long_name.json()["errors"][0]["field"] == "name"
    number_name = client.post(START, {"name": 7}, content_type="application/json")
    assert number_name.status_code == 422
    nul = client.post(START, {"name": "A\x00nn"}, content_type="application/json")
    assert nul.status_code == 422
    assert Chat.objects.count() == 0

    token = start(client)["token"]
    empty = post(client, "messages", token, {"text": "   "})
    assert empty.status_code == 422
    assert empty.json()["errors"][0]["field"] == "text"
    missing = post(client, "messages", token, {"message": "hi"})
    assert missing.status_code == 422
    assert "text is missing" in missing.json()["detail"]
    bad_after = client.get("/chat/v/events", {"after": "soon"}, headers={"X-Chat-Token": token})
    assert bad_after.status_code == 422
    assert bad_after.json()["errors"][0]["field"] == "after"
    bad_wait = client.get(
        "/chat/v/events", {"after": "0", "wait": "nan"}, headers={"X-Chat-Token": token}
    )
    assert bad_wait.status_code == 422
    assert client.get(START).status_code == 405


@pytest.mark.django_db
def test_a_listening_visitor_is_not_idle(client: Client) -> None:
    body = start(client)
    long_ago = timezone.now() - timedelta(minutes=10)
    Chat.objects.filter(public_id=body["chat"]).update(last_visitor_at=long_ago)
    events(client, body["token"], body["cursor"])
    assert Chat.objects.get(public_id=body["chat"]).last_visitor_at > long_ago


@pytest.mark.django_db(transaction=True)
def test_an_agents_message_wakes_the_waiting_visitor(client: Client) -> None:
    body = start(client, name="Ann")
    chat = Chat.objects.get(public_id=body["chat"])

    def agent_writes() -> None:
        time.sleep(0.4)
        try:
            chat_event_publish(
                chat=chat,
                kind="message",
                payload={
                    "id": 1,
                    "sender": "agent",
                    "body": "Hi Ann",
                    "at": "",
                    "agent_name": "Eve",
                },
            )
        finally:
            connection.close()  # the thread's own connection

    writer = threading.Thread(target=agent_writes)
    writer.start()
    began = time.monotonic()
    heard = events(client, body["token"], body["cursor"], wait=20)
    waited = time.monotonic() - began
    writer.join()
    assert [e["payload"]["body"] for e in heard["events"]] == ["Hi Ann"]
    # Woken by the commit, not by a fallback read seconds later.
    assert 0.3 < waited < 2.0
