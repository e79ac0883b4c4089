"""Live ticket changes and presence: every timeline write is announced
after commit on the ticket's stream and the queue's (nothing for a change
rolled back), a page hears only the streams its reader may see, and who
else has a ticket open is seen by the others until they leave or go quiet."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from netdesk.accounts.models import Role
from netdesk.core.live import live_cursor, live_read
from netdesk.core.models import LiveEvent
from netdesk.core.views_live import agent_stream
from netdesk.notifications.presence import PRESENCE_SECONDS, presence_announce, presence_on
from netdesk.notifications.services import notify
from netdesk.tickets.events.live import QUEUE_STREAM, ticket_stream
from netdesk.tickets.services import ticket_assign, ticket_change_status
from tests import factories as f

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_ticket_change_is_heard_on_its_stream_and_the_queues(
    django_capture_on_commit_callbacks: Any,
):
    lead, agent = f.user(Role.TEAM_LEAD, first_name="Anna"), f.user()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = f.ticket(lead)
    cursor = live_cursor()

    with django_capture_on_commit_callbacks(execute=True):
        ticket_assign(actor=lead, ticket=ticket, assignee=agent)

    # One event per ticket and transaction, however many rows it wrote.
    [heard] = live_read(streams=[ticket_stream(ticket.pk)], after=cursor)
    assert heard.kind == "changed"
    assert heard.payload == {
        "ref": ticket.reference,
        "kind": "status_changed",
        "kinds": ["assigned", "status_changed"],
        "actor": "Anna",
        "actor_id": lead.pk,
    }
    [queue] = live_read(streams=[QUEUE_STREAM], after=cursor)
    assert queue.payload == {"refs": [ticket.reference], "count": 1}


def test_nothing_is_announced_for_a_change_rolled_back(
    django_capture_on_commit_callbacks: Any,
):
    agent = f.user()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = f.ticket(agent)
    cursor = live_cursor()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                ticket_change_status(actor=agent, ticket=ticket, status="in_progress")
                raise RuntimeError("the caller gives up")
        except RuntimeError:
            pass
    assert callbacks == []
    assert live_read(streams=[ticket_stream(ticket.pk), QUEUE_STREAM], after=cursor) == []


def test_a_transaction_changing_many_tickets_is_announced_in_one_insert_after_commit(
    django_capture_on_commit_callbacks: Any, django_assert_num_queries: Any
):
    lead, agent = f.user(Role.TEAM_LEAD), f.user()
    with django_capture_on_commit_callbacks(execute=True):
        tickets = [f.ticket(lead) for _ in range(5)]
    cursor = live_cursor()

    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for ticket in tickets:
            ticket_assign(actor=lead, ticket=ticket, assignee=agent)
            ticket_change_status(actor=agent, ticket=ticket, status="in_progress")
    announce = [c for c in callbacks if getattr(c, "__name__", "") == "flush"]
    assert len(announce) == 1
    # One INSERT of every row; on PostgreSQL the NOTIFY that wakes the
    # waiters goes in the same statement.
    with django_assert_num_queries(1):
        announce[0]()

    streams = [ticket_stream(t.pk) for t in tickets] + [QUEUE_STREAM, agent_stream(agent.pk)]
    heard = {item.stream: item for item in live_read(streams=streams, after=cursor)}
    assert sorted(heard) == sorted(streams)
    assert heard[QUEUE_STREAM].payload == {"refs": [t.reference for t in tickets], "count": 5}
    assert heard[ticket_stream(tickets[0].pk)].payload["kinds"] == ["assigned", "status_changed"]
    # The five assignments wake the agent's bell once.
    assert heard[agent_stream(agent.pk)].kind == "notification"


def test_notifications_wake_their_recipients_bell_once_per_transaction(
    django_capture_on_commit_callbacks: Any,
):
    agent, other = f.user(), f.user()
    cursor = live_cursor()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for n in range(3):
            notify(recipient=agent, kind="assigned", title=f"TT-{n} assigned to you")
        notify(recipient=other, kind="assigned", title="TT-9 assigned to you")
    heard = live_read(streams=[agent_stream(agent.pk), agent_stream(other.pk)], after=cursor)
    assert [(i.stream, i.kind) for i in heard] == [
        (agent_stream(agent.pk), "notification"),
        (agent_stream(other.pk), "notification"),
    ]


def test_a_page_hears_the_queue_and_a_ticket_it_may_see_and_nothing_else():
    agent = f.user()
    ticket = f.ticket(agent)
    manager = f.user(Role.ACCOUNT_MANAGER, groups=[])
    cursor = live_cursor()
    with transaction.atomic():
        LiveEvent.objects.create(
            stream=ticket_stream(ticket.pk), kind="changed", created_at=timezone.now()
        )
        LiveEvent.objects.create(stream=QUEUE_STREAM, kind="changed", created_at=timezone.now())
    url = f"/live/?after={cursor}&wait=0&streams=tickets,ticket:{ticket.pk},chat:1,ticket:x"

    heard = signed_in(agent).get(url).json()["events"]
    assert sorted(e["stream"] for e in heard) == sorted([QUEUE_STREAM, ticket_stream(ticket.pk)])
    # Another account's ticket stays silent for an account manager.
    managers = signed_in(manager).get(url).json()["events"]
    assert [e["stream"] for e in managers] == [QUEUE_STREAM]


def test_presence_is_seen_by_the_other_agent_with_its_state_and_since():
    anna = f.user(first_name="Anna")
    ben = f.user(first_name="Ben")
    ticket = f.ticket(anna)
    url = f"/live/presence/{ticket.reference}/"

    first = signed_in(anna).post(url, {"state": "viewing"}).json()
    assert first["others"] == []
    signed_in(anna).post(url, {"state": "replying", "since": first["since"]})
    seen = signed_in(ben).post(url, {"state": "viewing"}).json()["others"]

    assert [(p["name"], p["state"], p["since"]) for p in seen] == [
        ("Anna", "replying", first["since"])
    ]


def test_presence_ends_when_the_agent_leaves_or_goes_quiet():
    anna, ben = f.user(first_name="Anna"), f.user(first_name="Ben")
    ticket = f.ticket(anna)
    presence_announce(user=anna, ticket=ticket, state="replying")
    presence_announce(user=ben, ticket=ticket, state="viewing")
    assert [p.name for p in presence_on(ticket=ticket)] == ["Anna", "Ben"]

    presence_announce(user=ben, ticket=ticket, state="left")
    assert [p.name for p in presence_on(ticket=ticket)] == ["Anna"]
    later = timezone.now() + timedelta(seconds=PRESENCE_SECONDS + 1)
    assert presence_on(ticket=ticket, now=later) == []


def test_presence_is_refused_for_a_ticket_one_may_not_see_and_a_bad_state():
    agent = f.user()
    ticket = f.ticket(agent)
    manager = f.user(Role.ACCOUNT_MANAGER, groups=[])
    url = f"/live/presence/{ticket.reference}/"

    assert signed_in(manager).post(url, {"state": "viewing"}).status_code == 404
    refused = signed_in(agent).post(url, {"state": "dancing"})
    assert refused.status_code == 400
    assert refused.json()["field"] == "state"
    assert presence_on(ticket=ticket) == []


def test_the_ticket_page_listens_to_its_ticket_and_beats_its_presence():
    agent = f.user()
    ticket = f.ticket(agent)

    page = signed_in(agent).get(f"/tickets/{ticket.reference}/").content.decode()

    assert f'data-live-stream="ticket:{ticket.pk}"' in page
    assert f'data-presence-url="/live/presence/{ticket.reference}/"' in page
    assert 'hx-get="/notifications/bell/"' in page
    assert "netdesk/live-floor.js" in page
