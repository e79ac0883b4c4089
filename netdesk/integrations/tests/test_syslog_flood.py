"""The syslog listener keeps hearing while a message is being parsed: a
64 KiB datagram built to be slow does not cost the messages after it, and
when the parser does fall behind, what cannot be queued is counted and
reported, never silently lost. Real UDP on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
from typing import cast

import pytest

from netdesk.integrations.syslog.mapping import DEFAULT_STATE_RULES, StateRule, SyslogMapping
from netdesk.integrations.syslog.server import SyslogListener
from netdesk.integrations.tests.listening import (
    ListenCommand,
    ListenerThread,
    RecordingSink,
    wait_until,
)

HOST = "127.0.0.1"
HUGE = b"<11>" + b"A" * 65_000


def test_a_64_kib_datagram_does_not_cost_the_200_messages_after_it() -> None:
    command = ListenCommand("syslog", "--host", HOST, "--udp-port", "0", "--no-tcp", "--dry-run")
    try:
        port = command.wait_for_ports(["udp"])["udp"]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(HUGE, (HOST, port))
            for number in range(200):  # 100 a second, as a busy network sends
                sock.sendto(b"<11>app: probe %d" % number, (HOST, port))
                time.sleep(0.01)

        def probes() -> set[int]:
            found = (re.search(r'"summary": "probe (\d+)"', line) for line in command.output)
            return {int(match.group(1)) for match in found if match}

        # Before, the 64 KiB datagram kept the listener in one regular
        # expression for half a minute while the kernel dropped what came.
        wait_until(lambda: len(probes()) == 200, timeout=10, what="all 200 probes printed")
    finally:
        output = command.terminate()
    assert probes() == set(range(200))
    printed = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    [huge] = [alarm for alarm in printed if alarm["summary"].startswith("AAAA")]
    assert len(huge["summary"]) == 500
    assert "received 201, accepted 201, filtered 0, rejected 0" in output
    assert "inbox full" not in output


class SlowFirstRule:
    """A state rule that takes a second over the first message it sees, as
    a pathological pattern would, and releases the interpreter meanwhile."""

    def __init__(self) -> None:
        self.slow = threading.Event()

    def search(self, text: str) -> None:  # noqa: ARG002  # a compiled pattern's signature
        if not self.slow.is_set():
            self.slow.set()
            time.sleep(1.0)


def test_a_full_inbox_drops_counts_and_reports(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="netdesk.integrations.syslog.server")
    sink = RecordingSink()
    slow = SlowFirstRule()
    mapping = SyslogMapping(
        state_rules=(StateRule(cast(re.Pattern[str], slow)), *DEFAULT_STATE_RULES)
    )
    listener = SyslogListener(
        sink=sink,
        host=HOST,
        udp_port=0,
        tcp_port=None,
        flush_interval=0.05,
        mapping=mapping,
        inbox_messages=5,
    )
    with ListenerThread(listener) as running:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(b"<11>app: the slow one", (HOST, running.port()))
            assert slow.slow.wait(5)
            for number in range(20):
                sock.sendto(b"<11>app: message %d" % number, (HOST, running.port()))
        # Received while the parser is still busy with the first message.
        wait_until(lambda: running.stats.received == 21, timeout=0.8, what="21 received")
        assert sink.alarms == []
        wait_until(lambda: len(sink.alarms) == 6, what="the slow one and five queued")
    summaries = [alarm.summary for alarm in sink.alarms]
    assert summaries == ["the slow one"] + [f"message {n}" for n in range(5)]
    assert running.stats.queue_full == 15
    assert running.stats.summary().endswith("; dropped unparsed (inbox full) 15")
    logged = [r.getMessage() for r in caplog.records if "dropped unparsed" in r.getMessage()]
    assert logged
    assert logged[-1].endswith("15 in all since the start")
