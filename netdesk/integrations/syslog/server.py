"""The syslog listener: asyncio UDP and TCP servers feeding one batcher."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from datetime import UTC, datetime, tzinfo

from netdesk.integrations.intake import (
    AlarmBatcher,
    IntakeSink,
    ListenerStats,
    excerpt_of,
)
from netdesk.integrations.syslog.framing import FrameError, TcpFrameDecoder
from netdesk.integrations.syslog.mapping import SyslogMapping, syslog_to_alarm
from netdesk.integrations.syslog.parser import SyslogParseError, parse_syslog
from netdesk.noc.models.alarms import AlarmSource

logger = logging.getLogger(__name__)

MAX_MESSAGE = 65536
MAX_CONNECTIONS = 512
# A TCP sender that says nothing for this long is gone; its socket is freed.
IDLE_TIMEOUT = 600.0


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, listener: SyslogListener) -> None:
        self.listener = listener

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.listener.handle_message(data, peer=str(addr[0]))

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
        self._udp_transport: asyncio.DatagramTransport | None = None
        self._tcp_server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
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
        await self.batcher.close()

    def handle_message(self, data: bytes, *, peer: str) -> None:
        """One datagram or TCP frame: parse, map, queue; or reject and go on."""
        self.stats.received += 1
        received_at = datetime.now(UTC)
        if len(data) > self.max_message:
            self.batcher.reject(
                reason="message too long",
                detail=f"{len(data)} octets, at most {self.max_message}",
                excerpt=excerpt_of(data),
                peer=peer,
            )
            return
        try:
            message = parse_syslog(
                data, received_at=received_at, legacy_timezone=self.legacy_timezone
            )
            alarm = syslog_to_alarm(
                message, peer=peer, received_at=received_at, mapping=self.mapping
            )
        except SyslogParseError as exc:
            self.batcher.reject(
                reason=exc.reason, detail=exc.detail, excerpt=excerpt_of(data), peer=peer
            )
            return
        except Exception as exc:
            # A parser bug must cost one message, not the listener.
            logger.exception("syslog: could not handle a message from %s", peer)
            self.batcher.reject(
                reason="internal error",
                detail=type(exc).__name__,
                excerpt=excerpt_of(data),
                peer=peer,
            )
            return
        if alarm is None:
            self.stats.filtered += 1
            return
        self.batcher.submit(alarm)

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
                        self.handle_message(item, peer=peer)
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
