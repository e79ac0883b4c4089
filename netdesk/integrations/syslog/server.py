"""The syslog listener: asyncio UDP and TCP servers that only receive, one
parser thread that turns messages into alarms, and one batcher.

The event loop reads datagrams and frames into a bounded inbox and goes back
to the sockets; parsing and mapping run on the parser thread, so a slow
message cannot keep the loop from draining the socket (the kernel drops
datagrams that arrive while nobody reads). Results come back to the loop in
arrival order, so a clear never overtakes its raise."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from netdesk.integrations.intake import (
    AlarmBatcher,
    IntakeSink,
    ListenerStats,
    excerpt_of,
)
from netdesk.integrations.syslog.framing import FrameError, TcpFrameDecoder
from netdesk.integrations.syslog.inbox import (
    INBOX_MESSAGES_MAX,
    INBOX_OCTETS_MAX,
    Inbox,
    Received,
)
from netdesk.integrations.syslog.mapping import SyslogMapping, syslog_to_alarm
from netdesk.integrations.syslog.parser import SyslogParseError, parse_syslog
from netdesk.noc.models.alarms import AlarmSource
from netdesk.noc.services.alarms import AlarmIn

logger = logging.getLogger(__name__)

MAX_MESSAGE = 65536
MAX_CONNECTIONS = 512
# A TCP sender that says nothing for this long is gone; its socket is freed.
IDLE_TIMEOUT = 600.0
# While the inbox is full, messages dropped are logged at most this often.
OVERFLOW_LOG_INTERVAL = 10.0


@dataclass(frozen=True)
class _Parsed:
    """What the parser thread made of one message: an alarm, nothing (below
    the forwarding threshold) or a rejection."""

    received: Received
    alarm: AlarmIn | None = None
    reason: str = ""
    detail: str = ""


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, listener: SyslogListener) -> None:
        self.listener = listener

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.listener.receive(data, peer=str(addr[0]))

    def error_received(self, exc: Exception) -> None:
        logger.warning("syslog: UDP socket error: %s", exc)


class SyslogListener:
    """Receives syslog on UDP and/or TCP. A port of 0 picks a free one; None
    leaves that transport off. `addresses` says where it listens once started."""

    def __init__(
        self,
        *,
        sink: IntakeSink,
        host: str = "127.0.0.1",
        udp_port: int | None = 1514,
        tcp_port: int | None = 1514,
        mapping: SyslogMapping | None = None,
        legacy_timezone: tzinfo = UTC,
        flush_interval: float = 0.5,
        batch_size: int = 500,
        max_message: int = MAX_MESSAGE,
        idle_timeout: float = IDLE_TIMEOUT,
        inbox_messages: int = INBOX_MESSAGES_MAX,
        inbox_octets: int = INBOX_OCTETS_MAX,
    ) -> None:
        if udp_port is None and tcp_port is None:
            raise ValueError("a syslog listener needs UDP, TCP or both")
        self.host = host
        self.udp_port = udp_port
        self.tcp_port = tcp_port
        self.mapping = mapping or SyslogMapping()
        self.legacy_timezone = legacy_timezone
        self.max_message = max_message
        self.idle_timeout = idle_timeout
        self.stats = ListenerStats()
        self.batcher = AlarmBatcher(
            sink=sink,
            stats=self.stats,
            source=AlarmSource.SYSLOG.value,
            flush_interval=flush_interval,
            batch_size=batch_size,
        )
        self.addresses: dict[str, tuple[str, int]] = {}
        self.inbox = Inbox(max_messages=inbox_messages, max_octets=inbox_octets)
        self._parser = threading.Thread(target=self._parse_inbox, name="syslog-parser", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._overflow_logged_at = -OVERFLOW_LOG_INTERVAL
        self._overflow_unlogged = 0
        self._udp_transport: asyncio.DatagramTransport | None = None
        self._tcp_server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        loop = self._loop = asyncio.get_running_loop()
        self._parser.start()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        if self.udp_port is not None:
            sock = socket.socket(family, socket.SOCK_DGRAM)
            try:
                sock.bind((self.host, self.udp_port))
            except OSError:
                sock.close()
                raise
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _UdpProtocol(self), sock=sock
            )
            self._udp_transport = transport
            self.addresses["udp"] = sock.getsockname()[:2]
        if self.tcp_port is not None:
            self._tcp_server = await asyncio.start_server(
                self._serve_connection,
                host=self.host,
                port=self.tcp_port,
                family=family,
                reuse_address=True,
                limit=self.max_message,
            )
            self.addresses["tcp"] = self._tcp_server.sockets[0].getsockname()[:2]
        self.batcher.start()

    async def stop(self) -> None:
        if self._udp_transport is not None:
            self._udp_transport.close()
        if self._tcp_server is not None:
            self._tcp_server.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.wait(self._connections, timeout=5)
        if self._tcp_server is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._tcp_server.wait_closed(), timeout=5)
        # What was received is still parsed and handed to the batcher.
        self.inbox.close()
        if self._parser.is_alive():
            await asyncio.to_thread(self._parser.join)
        await asyncio.sleep(0)  # the parser's last results, queued on the loop
        self._log_overflow(force=True)
        await self.batcher.close()

    def receive(self, data: bytes, *, peer: str) -> None:
        """One datagram or TCP frame, on the event loop: count it, refuse it
        when too long, else queue it for the parser; drop and count it when
        the inbox is full."""
        self.stats.received += 1
        if len(data) > self.max_message:
            self.batcher.reject(
                reason="message too long",
                detail=f"{len(data)} octets, at most {self.max_message}",
                excerpt=excerpt_of(data),
                peer=peer,
            )
            return
        if self.inbox.offer(Received(data, peer, datetime.now(UTC))):
            return
        self.stats.queue_full += 1
        self._overflow_unlogged += 1
        self._log_overflow()

    def _log_overflow(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not self._overflow_unlogged or (
            not force and now - self._overflow_logged_at < OVERFLOW_LOG_INTERVAL
        ):
            return
        logger.warning(
            "syslog: inbox full (%d messages, %d octets at most), %d messages dropped "
            "unparsed; %d in all since the start",
            self.inbox.max_messages,
            self.inbox.max_octets,
            self._overflow_unlogged,
            self.stats.queue_full,
        )
        self._overflow_logged_at, self._overflow_unlogged = now, 0

    def _parse_inbox(self) -> None:
        """The parser thread: parse and map each message, then hand the
        result to the event loop, in order."""
        assert self._loop is not None
        while (received := self.inbox.take()) is not None:
            parsed = self._parse(received)
            try:
                self._loop.call_soon_threadsafe(self._deliver, parsed)
            except RuntimeError:  # the loop is gone: nothing left to deliver to
                return

    def _parse(self, received: Received) -> _Parsed:
        try:
            message = parse_syslog(
                received.data,
                received_at=received.received_at,
                legacy_timezone=self.legacy_timezone,
            )
            alarm = syslog_to_alarm(
                message,
                peer=received.peer,
                received_at=received.received_at,
                mapping=self.mapping,
            )
        except SyslogParseError as exc:
            return _Parsed(received, reason=exc.reason, detail=exc.detail)
        except Exception as exc:
            # A parser bug must cost one message, not the listener.
            logger.exception("syslog: could not handle a message from %s", received.peer)
            return _Parsed(received, reason="internal error", detail=type(exc).__name__)
        return _Parsed(received, alarm=alarm)

    def _deliver(self, parsed: _Parsed) -> None:
        if parsed.reason:
            self.batcher.reject(
                reason=parsed.reason,
                detail=parsed.detail,
                excerpt=excerpt_of(parsed.received.data),
                peer=parsed.received.peer,
            )
        elif parsed.alarm is None:
            self.stats.filtered += 1
        else:
            self.batcher.submit(parsed.alarm)

    async def _receive_frame(self, frame: bytes, peer: str) -> None:
        # TCP can wait: while the inbox is full, this connection is not read,
        # and the sender's TCP window closes instead of messages being lost.
        while self.inbox.is_full(len(frame)) and not self.inbox.closed:
            await asyncio.sleep(0.05)
        self.receive(frame, peer=peer)

    def _reject_frame(self, error: FrameError, peer: str) -> None:
        self.stats.received += 1
        self.batcher.reject(
            reason=error.reason, detail=error.detail, excerpt=excerpt_of(error.excerpt), peer=peer
        )

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        peername = writer.get_extra_info("peername")
        peer = str(peername[0]) if peername else ""
        task = asyncio.current_task()
        if len(self._connections) >= MAX_CONNECTIONS:
            self._reject_frame(
                FrameError("too many connections", f"{MAX_CONNECTIONS} already open"), peer
            )
            writer.close()
            return
        if task is not None:
            self._connections.add(task)
        decoder = TcpFrameDecoder(max_frame=self.max_message)
        try:
            while True:
                try:
                    data = await asyncio.wait_for(reader.read(65536), timeout=self.idle_timeout)
                except TimeoutError:
                    break
                items = decoder.feed(data) if data else decoder.finish()
                for item in items:
                    if isinstance(item, FrameError):
                        self._reject_frame(item, peer)
                    else:
                        await self._receive_frame(item, peer)
                if not data or decoder.broken:
                    break
        except ConnectionError:
            pass
        finally:
            if task is not None:
                self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), timeout=1)
