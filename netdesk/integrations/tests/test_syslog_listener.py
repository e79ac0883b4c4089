"""The syslog listener on real sockets on 127.0.0.1: UDP and TCP senders
(plain sockets and Python's SysLogHandler), malformed input, batching,
shutdown, and the `netdesk listen syslog` command under SIGTERM."""

from __future__ import annotations

import json
import logging
import logging.handlers
import socket
from collections.abc import Iterator, Sequence

import pytest
from django.db import OperationalError

from netdesk.integrations.intake import NocIntakeSink
from netdesk.integrations.syslog.server import SyslogListener
from netdesk.integrations.tests.listening import (
    ListenCommand,
    ListenerThread,
    RecordingSink,
    wait_until,
)
from netdesk.noc.models import Alarm, AlarmState, RejectedInput
from netdesk.noc.services.alarms import AlarmIn

HOST = "127.0.0.1"
RFC5424 = (
    b'<187>1 2026-03-10T11:00:00Z edge1 ifmgr 77 LINK [meta@32473 if="Gi0/1"] '
    b"Interface Gi0/1, changed state to down"
)
RFC3164 = b"<187>Mar 10 11:00:00 edge2 %LINK-3-UPDOWN: Interface Gi0/2, changed state to down"


def octet_counted(message: bytes) -> bytes:
    return str(len(message)).encode() + b" " + message


def send_udp(port: int, *datagrams: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for datagram in datagrams:
            sock.sendto(datagram, (HOST, port))


def send_tcp(port: int, data: bytes) -> None:
    with socket.create_connection((HOST, port), timeout=5) as sock:
        sock.sendall(data)


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
def running(sink: RecordingSink) -> Iterator[ListenerThread]:
    listener = SyslogListener(sink=sink, host=HOST, udp_port=0, tcp_port=0, flush_interval=0.05)
    with ListenerThread(listener) as thread:
        yield thread


def names(sink: RecordingSink) -> list[str]:
    return [alarm.name for alarm in sink.alarms]


def test_udp_rfc5424_and_rfc3164(running: ListenerThread, sink: RecordingSink) -> None:
    send_udp(running.port("udp"), RFC5424, RFC3164)
    wait_until(lambda: len(sink.alarms) == 2, what="two alarms")
    by_element = {alarm.element_ref: alarm for alarm in sink.alarms}
    assert by_element["edge1"].name == "LINK"
    assert by_element["edge1"].labels["meta@32473.if"] == "Gi0/1"
    assert by_element["edge1"].fingerprint == "syslog:edge1:Gi0/1:LINK"
    assert by_element["edge2"].name == "%LINK-3-UPDOWN"
    assert by_element["edge2"].labels["format"] == "rfc3164"
    assert running.stats.received == running.stats.accepted == 2


def test_udp_malformed_is_counted_and_the_listener_goes_on(
    running: ListenerThread, sink: RecordingSink
) -> None:
    port = running.port("udp")
    send_udp(
        port,
        b"no priority at all",
        b"<500>1 - - - - - -",
        b'<13>1 - host app - - [sd a="unterminated',
        b"",
        b"\xff\xfe\x00\x01 binary junk",
    )
    wait_until(lambda: sum(running.stats.rejected.values()) == 5, what="five rejections")
    assert running.stats.rejected == {
        "missing PRI": 2,
        "bad PRI": 1,
        "bad structured data": 1,
        "empty message": 1,
    }
    send_udp(port, RFC3164)
    wait_until(lambda: len(sink.alarms) == 1, what="the alarm after the garbage")
    wait_until(lambda: len(sink.rejections) == 5, what="rejections stored")
    first = sink.rejections[0]
    assert first == {
        "source": "syslog",
        "reason": "missing PRI: a message starts with <PRI>, e.g. <34>",
        "excerpt": "no priority at all",
        "peer": HOST,
    }
    assert "\\xff\\xfe\\u0000" in sink.rejections[4]["excerpt"]


def test_udp_non_utf8_message_is_accepted(running: ListenerThread, sink: RecordingSink) -> None:
    send_udp(running.port("udp"), b"<11>1 - host app - - - caf\xe9 down")
    wait_until(lambda: len(sink.alarms) == 1)
    assert sink.alarms[0].summary == "caf\ufffd down"


def test_tcp_octet_counted_and_newline_framing(
    running: ListenerThread, sink: RecordingSink
) -> None:
    port = running.port("tcp")
    multi_line = b"<11>1 - host1 app - M1 - first line\nsecond line"
    send_tcp(port, octet_counted(multi_line) + octet_counted(RFC5424))
    send_tcp(port, RFC3164 + b"\n<11>Mar 10 11:00:00 host3 app: third\r\n<11>app: last, no LF")
    wait_until(lambda: len(sink.alarms) == 5, what="five alarms")
    summaries = [alarm.summary for alarm in sink.alarms]
    assert "first line\nsecond line" in summaries
    assert "last, no LF" in summaries
    assert running.stats.rejected == {}


def test_tcp_malformed_frames(running: ListenerThread, sink: RecordingSink) -> None:
    port = running.port("tcp")
    # A bad line is refused alone; the connection carries on.
    send_tcp(port, b"not syslog\n" + RFC3164 + b"\n")
    wait_until(lambda: len(sink.alarms) == 1)
    # A bad octet count loses the framing: that connection is closed...
    with socket.create_connection((HOST, port), timeout=5) as sock:
        sock.sendall(b"12x <11>app: lost\n")
        sock.settimeout(5)
        assert sock.recv(100) == b""  # closed by the listener
    # ...and the next one is served as usual.
    send_tcp(port, octet_counted(RFC5424))
    wait_until(lambda: len(sink.alarms) == 2)
    assert running.stats.rejected == {"missing PRI": 1, "bad octet count": 1}


def test_tcp_frame_over_the_limit(sink: RecordingSink) -> None:
    listener = SyslogListener(
        sink=sink, host=HOST, udp_port=None, tcp_port=0, flush_interval=0.05, max_message=200
    )
    with ListenerThread(listener) as running:
        send_tcp(running.port("tcp"), b"<11>app: " + b"x" * 1000 + b"\n" + RFC3164 + b"\n")
        wait_until(lambda: len(sink.alarms) == 1)
        assert running.stats.rejected == {"frame too long": 1}


def test_udp_datagram_over_the_limit(sink: RecordingSink) -> None:
    listener = SyslogListener(
        sink=sink, host=HOST, udp_port=0, tcp_port=None, flush_interval=0.05, max_message=200
    )
    with ListenerThread(listener) as running:
        send_udp(running.port("udp"), b"<11>app: " + b"x" * 1000, RFC3164)
        wait_until(lambda: len(sink.alarms) == 1)
        assert running.stats.rejected == {"message too long": 1}


@pytest.mark.parametrize("socktype", [socket.SOCK_DGRAM, socket.SOCK_STREAM])
def test_python_sysloghandler(
    running: ListenerThread, sink: RecordingSink, socktype: socket.SocketKind
) -> None:
    transport = "udp" if socktype == socket.SOCK_DGRAM else "tcp"
    handler = logging.handlers.SysLogHandler(
        address=(HOST, running.port(transport)),
        facility=logging.handlers.SysLogHandler.LOG_LOCAL3,
        socktype=socktype,
    )
    handler.ident = "netdesk-test: "
    logger = logging.getLogger(f"netdesk.tests.sysloghandler.{transport}")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        logger.error("power supply 2 failed on %s", transport)
        logger.warning("fan speed high")
        logger.info("routine chatter")  # informational: below the alarm threshold
    finally:
        logger.removeHandler(handler)
        handler.close()
    wait_until(lambda: running.stats.received == 3, what="three messages")
    wait_until(lambda: len(sink.alarms) == 2, what="two alarms")
    error, warning = sink.alarms
    assert error.summary == f"power supply 2 failed on {transport}"
    assert error.severity == 2
    assert warning.severity == 4
    assert error.name == "netdesk-test"
    assert error.labels["facility"] == "local3"
    assert error.element_ref == HOST
    assert running.stats.filtered == 1


def test_batches_by_size_before_the_interval(sink: RecordingSink) -> None:
    listener = SyslogListener(
        sink=sink, host=HOST, udp_port=0, tcp_port=None, flush_interval=30, batch_size=3
    )
    with ListenerThread(listener) as running:
        send_udp(running.port("udp"), *[b"<11>app: message %d" % n for n in range(7)])
        # Well before the 30 s interval: a full batch starts a flush.
        wait_until(lambda: len(sink.batches) >= 2, what="full batches")
        assert all(len(batch) == 3 for batch in sink.batches[:2])
    assert sum(len(batch) for batch in sink.batches) == 7
    assert max(len(batch) for batch in sink.batches) == 3
    assert [alarm.summary for alarm in sink.alarms] == [f"message {n}" for n in range(7)]
    assert running.stats.ingested == 7


def test_stopping_flushes_what_is_held(sink: RecordingSink) -> None:
    listener = SyslogListener(
        sink=sink, host=HOST, udp_port=0, tcp_port=None, flush_interval=30, batch_size=100
    )
    with ListenerThread(listener) as running:
        send_udp(running.port("udp"), b"<11>app: one", b"<11>app: two")
        wait_until(lambda: running.stats.accepted == 2)
        assert sink.batches == []
    assert [len(batch) for batch in sink.batches] == [2]


class FlakySink(RecordingSink):
    """Database down for the first call, a broken batch for the second."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def ingest(self, alarms: Sequence[AlarmIn]) -> None:
        self.calls += 1
        if self.calls == 1:
            raise OperationalError("database is down")
        if self.calls == 2:
            raise ValueError("intake bug")
        super().ingest(alarms)


def test_intake_failures_are_retried_or_dropped_and_counted() -> None:
    sink = FlakySink()
    listener = SyslogListener(sink=sink, host=HOST, udp_port=0, tcp_port=None, flush_interval=0.05)
    with ListenerThread(listener) as running:
        send_udp(running.port("udp"), b"<11>app: kept through the outage")
        # Retried after the outage, then lost to the intake bug on the retry.
        wait_until(lambda: sink.calls == 2, timeout=10, what="the retry")
        send_udp(running.port("udp"), b"<11>app: after the bug")
        wait_until(lambda: len(sink.alarms) == 1, timeout=10)
    assert sink.alarms[0].summary == "after the bug"
    assert running.stats.ingest_errors == 2
    assert running.stats.dropped == 1
    assert running.stats.ingested == 1


def test_listen_syslog_command_stops_on_sigterm_and_prints_counters() -> None:
    command = ListenCommand(
        "syslog", "--host", HOST, "--udp-port", "0", "--tcp-port", "0", "--dry-run"
    )
    try:
        ports = command.wait_for_ports(["udp", "tcp"])
        send_udp(ports["udp"], RFC3164, b"garbage without PRI")
        send_tcp(ports["tcp"], octet_counted(RFC5424))
        wait_until(
            lambda: sum('"source": "syslog"' in line for line in command.output) == 2,
            timeout=20,
            what="two alarms printed",
        )
    finally:
        output = command.terminate()
    assert command.process.returncode == 0, output
    printed = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert {alarm["element_ref"] for alarm in printed} == {"edge1", "edge2"}
    assert (
        "syslog listener stopped: received 3, accepted 2, filtered 0, "
        "rejected 1 (missing PRI: 1)" in output
    )


def test_listen_refuses_a_bad_time_zone() -> None:
    command = ListenCommand("syslog", "--rfc3164-timezone", "Mars/Olympus")
    output = command.wait()
    assert command.process.returncode != 0
    assert "Mars/Olympus" in output
    assert "IANA" in output


@pytest.mark.django_db(transaction=True)
def test_syslog_down_then_up_makes_one_cleared_alarm_and_rejections_are_stored() -> None:
    listener = SyslogListener(
        sink=NocIntakeSink(), host=HOST, udp_port=0, tcp_port=None, flush_interval=0.05
    )
    with ListenerThread(listener) as running:
        port = running.port("udp")
        send_udp(port, b"<187>edge9: %LINK-3-UPDOWN: Interface Te1/1, changed state to down")
        wait_until(lambda: running.stats.ingested == 1, what="the down ingested")
        send_udp(port, b"<187>edge9: %LINK-3-UPDOWN: Interface Te1/1, changed state to up")
        # NUL bytes, which PostgreSQL refuses in text and JSON.
        send_udp(port, b"not\x00syslog")
        send_udp(port, b'<11>1 - edge9 app - - [m@1 k="a\x00b"] nul\x00inside')
        wait_until(lambda: running.stats.ingested == 3, what="the up ingested")
    alarm = Alarm.objects.get(name="%LINK-3-UPDOWN")
    assert alarm.state == AlarmState.CLEARED
    assert alarm.fingerprint == f"syslog:{HOST}:Te1/1:%LINK-3-UPDOWN"
    with_nul = Alarm.objects.get(name="app")
    assert with_nul.summary == "nul\ufffdinside"
    assert with_nul.labels["m@1.k"] == "a\ufffdb"
    assert with_nul.labels["nul_replaced"] == "2"  # the alarm says it was changed
    assert alarm.cleared_at is not None
    rejected = RejectedInput.objects.get()
    assert rejected.source == "syslog"
    assert rejected.reason.startswith("missing PRI")
    assert rejected.excerpt == "not\\u0000syslog"
    assert rejected.peer == HOST
