"""Two `netdesk serve` processes on one PostgreSQL database: a chat's visitor
talks to one, the agent to the other, and each message reaches the other
side's waiting long poll in under a second, both ways (live events are rows
in the database; each process is woken by PostgreSQL LISTEN/NOTIFY)."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from netdesk.accounts.models import Role
from tests import factories as f
from tests.test_memo_two_servers_postgres import PASSWORD, Server

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("NETDESK_DATABASE_URL", "").startswith("postgres"),
        reason="needs PostgreSQL (make test-postgres runs it): two server processes on one "
        "database; SQLite's test database lives in the test process",
    ),
]
ROUNDS = 3
ARRIVAL_SECONDS_MAX = 1.0
POLL_WAIT_SECONDS = 10


def _json(answer: Any) -> dict[str, Any]:
    raw = answer.read()
    return dict(json.loads(raw)) if raw else {}


class Visitor:
    """The chat widget, talking to one server."""

    def __init__(self, server: Server) -> None:
        self.base = server.base
        self.token = ""

    def call(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"Content-Type": "application/json", "X-Chat-Token": self.token}
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.base}/chat/v/{path}", data, headers)  # noqa: S310
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return _json(answer)

    def say(self, text: str) -> dict[str, Any]:
        return self.call("messages", {"text": text})

    def events(self, after: int, wait: float = POLL_WAIT_SECONDS) -> dict[str, Any]:
        return self.call(f"events?after={after}&wait={wait}")


class Agent:
    """An agent signed in to the other server, as the console's browser is."""

    def __init__(self, server: Server, username: str) -> None:
        self.base = server.base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        page = self.opener.open(f"{self.base}/login/", timeout=30).read().decode()
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert match is not None, page[:500]
        form = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": match[1]}
        self.opener.open(
            f"{self.base}/login/", urllib.parse.urlencode(form).encode(), timeout=30
        ).read()

    def csrf(self) -> str:
        return next(cookie.value for cookie in self.jar if cookie.name == "csrftoken") or ""

    def post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310
            f"{self.base}{path}",
            json.dumps(body or {}).encode(),
            {"Content-Type": "application/json", "X-CSRFToken": self.csrf()},
        )
        with self.opener.open(request, timeout=30) as answer:
            return _json(answer)

    def say(self, chat: str, text: str) -> dict[str, Any]:
        return self.post(f"/chat/{chat}/messages", {"text": text})

    def live(self, after: int | None = None, wait: float = POLL_WAIT_SECONDS) -> dict[str, Any]:
        query = "" if after is None else f"?after={after}&wait={wait}"
        with self.opener.open(f"{self.base}/live/{query}", timeout=30) as answer:
            return _json(answer)


def _arrival(
    listen: Callable[[int], dict[str, Any]], after: int, kind: str, body: str
) -> tuple[threading.Thread, dict[str, Any]]:
    """A thread long polling from `after` until a message event (`kind`)
    saying `body` comes; `heard["at"]` is when it came (monotonic)."""
    heard: dict[str, Any] = {}

    def run() -> None:
        cursor = after
        deadline = time.monotonic() + 2 * POLL_WAIT_SECONDS
        while time.monotonic() < deadline:
            answer = listen(cursor)
            cursor = answer["cursor"]
            for event in answer["events"]:
                if event["kind"] == kind and event["payload"].get("body") == body:
                    heard["at"] = time.monotonic()
                    heard["event"] = event
                    return

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, heard


def _timed(
    listen: Callable[[int], dict[str, Any]],
    after: int,
    kind: str,
    send: Callable[[str], object],
    body: str,
) -> float:
    """Seconds from `send(body)` to the listener hearing it."""
    thread, heard = _arrival(listen, after, kind, body)
    time.sleep(0.5)  # the listener is waiting on its server, not polling
    sent = time.monotonic()
    send(body)
    thread.join(timeout=2 * POLL_WAIT_SECONDS + 5)
    assert "at" in heard, "the message never arrived"
    return float(heard["at"] - sent)


def test_a_visitor_on_one_server_and_an_agent_on_the_other_hear_each_other_at_once():
    f.user(Role.HOTLINE_OPERATOR, username="two-chat-agent", first_name="Tom")
    with tempfile.TemporaryDirectory(prefix="netdesk-chat-two-") as scratch:
        visitor_side = Server(Path(scratch), "visitor-side")
        agent_side = Server(Path(scratch), "agent-side")
        try:
            visitor_side.wait_ready()
            agent_side.wait_ready()
            visitor, agent = Visitor(visitor_side), Agent(agent_side, "two-chat-agent")
            agent_cursor = agent.live()["cursor"]
            started = visitor.call("start", {"name": "Vera"})
            visitor.token, chat = started["token"], started["chat"]
            visitor_cursor = started["cursor"]

            # The agent hears the queue change and takes the chat.
            heard = agent.live(agent_cursor)["events"]
            assert "chat_queue" in [event["kind"] for event in heard]
            assert agent.post(f"/chat/{chat}/take") == {"chat": chat, "state": "active"}

            to_agent: list[float] = []
            to_visitor: list[float] = []
            for n in range(ROUNDS):
                agent_cursor = agent.live(agent_cursor, wait=0)["cursor"]
                to_agent.append(
                    _timed(agent.live, agent_cursor, "chat_message", visitor.say, f"visitor {n}")
                )
                visitor_cursor = visitor.events(visitor_cursor, wait=0)["cursor"]
                to_visitor.append(
                    _timed(
                        visitor.events,
                        visitor_cursor,
                        "message",
                        partial(agent.say, chat),
                        f"agent {n}",
                    )
                )
            ended = agent.post(f"/chat/{chat}/end")
        finally:
            visitor_side.stop()
            agent_side.stop()
    assert max(to_agent) < ARRIVAL_SECONDS_MAX, to_agent
    assert max(to_visitor) < ARRIVAL_SECONDS_MAX, to_visitor
    assert ended["state"] == "ended"
    assert ended["ticket"].startswith("TT-")
