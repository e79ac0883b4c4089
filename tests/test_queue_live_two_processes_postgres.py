"""Two `netdesk serve` processes on one PostgreSQL database: an agent's
queue and ticket page listen on one, another agent changes the ticket
through the other, and the change reaches both waiting long polls in under
a second (the announcement is written after the change's commit and wakes
every process with NOTIFY)."""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from netdesk.accounts.models import Role
from tests import factories as f
from tests.test_chat_two_processes_postgres import Agent
from tests.test_memo_two_servers_postgres import Server

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


def _listening(agent: Agent, streams: str):
    def listen(after: int) -> dict[str, Any]:
        query = f"?after={after}&wait={POLL_WAIT_SECONDS}&streams={streams}"
        with agent.opener.open(f"{agent.base}/live/{query}", timeout=30) as answer:
            return dict(json.loads(answer.read()))

    return listen


def _arrival(
    listen: Callable[[int], dict[str, Any]], after: int, stream: str
) -> tuple[threading.Thread, dict[str, Any]]:
    """A thread long polling from `after` until an event of `stream` comes;
    `heard["at"]` is when it came (monotonic)."""
    heard: dict[str, Any] = {}

    def run() -> None:
        cursor = after
        deadline = time.monotonic() + 2 * POLL_WAIT_SECONDS
        while time.monotonic() < deadline:
            answer = listen(cursor)
            cursor = answer["cursor"]
            if any(event["stream"] == stream for event in answer["events"]):
                heard["at"] = time.monotonic()
                return

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, heard


def _comment(base: str, token: str, ref: str, body: str) -> None:
    request = urllib.request.Request(  # noqa: S310
        f"{base}/api/v1/tickets/{ref}/comments",
        json.dumps({"visibility": "internal", "body": body}).encode(),
        {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        assert answer.status == 201


def test_a_change_through_one_server_reaches_the_queue_and_the_page_on_the_other():
    f.user(Role.HOTLINE_OPERATOR, username="two-queue-watcher")
    changer = f.user(Role.TEAM_LEAD, username="two-queue-changer", first_name="Ben")
    token = f.token_for(changer)
    ticket = f.ticket(changer)
    streams = f"tickets,ticket:{ticket.pk}"
    with tempfile.TemporaryDirectory(prefix="netdesk-queue-two-") as scratch:
        watching_side = Server(Path(scratch), "watching-side")
        changing_side = Server(Path(scratch), "changing-side")
        try:
            watching_side.wait_ready()
            changing_side.wait_ready()
            watcher = Agent(watching_side, "two-queue-watcher")
            listen = _listening(watcher, streams)
            arrivals: list[float] = []
            for n in range(ROUNDS):
                cursor = watcher.live()["cursor"]
                page, heard_page = _arrival(listen, cursor, f"ticket:{ticket.pk}")
                time.sleep(0.5)  # the listener is waiting on its server
                sent = time.monotonic()
                _comment(changing_side.base, token, ticket.reference, f"Note {n}")
                page.join(timeout=2 * POLL_WAIT_SECONDS + 5)
                assert "at" in heard_page, "the change never arrived"
                arrivals.append(heard_page["at"] - sent)
                answer = listen(cursor)
                kinds = {(e["stream"], e["kind"]) for e in answer["events"]}
                assert kinds == {("tickets", "changed"), (f"ticket:{ticket.pk}", "changed")}
                by_stream = {e["stream"]: e["payload"] for e in answer["events"]}
                assert by_stream["tickets"] == {"refs": [ticket.reference], "count": 1}
                assert by_stream[f"ticket:{ticket.pk}"]["actor"] == "Ben"
        finally:
            watching_side.stop()
            changing_side.stop()
    assert max(arrivals) < ARRIVAL_SECONDS_MAX, arrivals
