"""The open-model load generator against a fake server on 127.0.0.1: its
schedule, its percentiles, keep-alive and chunked answers, and the
coordinated-omission correction (a one-second stall shows in the latency of
every request scheduled during it, not only in the one that met it)."""

from __future__ import annotations

import asyncio
import itertools
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from bench.openload import (
    Request,
    Sample,
    percentile,
    run_closed,
    run_open,
    schedule,
    summarise,
)


class FakeServer:
    """Answers 200 at once (or chunked, or 404 for /missing); the request
    numbered `stall_at` waits `stall_seconds` first."""

    def __init__(self, stall_at: int = -1, stall_seconds: float = 0.0) -> None:
        self.stall_at, self.stall_seconds = stall_at, stall_seconds
        self.handled = 0
        self.connections = 0
        self.writers: list[asyncio.StreamWriter] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                length = 0
                for line in head.split("\r\n"):
                    if line.lower().startswith("content-length:"):
                        length = int(line.split(":", 1)[1])
                await reader.readexactly(length)
                number = self.handled
                self.handled += 1
                if number == self.stall_at:
                    await asyncio.sleep(self.stall_seconds)
                path = head.split(" ", 2)[1]
                if path == "/chunked":
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
                    )
                else:
                    status = b"404 Not Found" if path == "/missing" else b"200 OK"
                    writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def serving(fake: FakeServer) -> AsyncIterator[int]:
    server = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
    port = int(server.sockets[0].getsockname()[1])
    try:
        yield port
    finally:
        server.close()
        # Close the connections from this side too, so every handler ends
        # on its own instead of being cancelled when the loop closes.
        for writer in fake.writers:
            writer.close()
        await asyncio.sleep(0.05)


def plan_of(rate: float, seconds: float, kind: str) -> list[tuple[float, Request]]:
    offsets = schedule(int(rate * seconds), rate)
    return [(at, Request(kind=kind, method="GET", path="/")) for at in offsets]


def test_schedule_is_fixed_rate_or_poisson_with_that_mean() -> None:
    assert schedule(4, 2.0) == [0.0, 0.5, 1.0, 1.5]
    arrivals = schedule(20_000, 100.0, poisson=True, seed=3)
    assert arrivals[0] == 0.0
    assert all(b >= a for a, b in itertools.pairwise(arrivals))
    # 20,000 arrivals at a mean of 100/s span about 200 s.
    assert arrivals[-1] == pytest.approx(200.0, rel=0.03)
    with pytest.raises(ValueError, match="rate"):
        schedule(1, 0.0)


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 99.9) == 100.0
    assert percentile(values, 0) == 1.0
    assert percentile([], 99) == 0.0
    assert percentile([7.0], 50) == 7.0


def test_a_stall_shows_in_the_latency_of_requests_scheduled_during_it() -> None:
    """One connection, 200 requests/s for 3 s, the 100th answer stalls 1 s.
    About 200 requests were due during the stall: each waited for it, so the
    corrected p90 and p99 show it, while the service time (what a closed-loop
    tool reports) shows it in one request only."""
    fake = FakeServer(stall_at=100, stall_seconds=1.0)

    async def go() -> list[Sample]:
        async with serving(fake) as port:
            plan = plan_of(200.0, 3.0, "read")
            return await run_open("127.0.0.1", port, plan, max_connections=1)

    samples = asyncio.run(go())
    summary = summarise(samples)
    read = summary["kinds"]["read"]
    assert read["requests"] == 600
    assert read["non2xx"] == 0
    assert read["errors"] == 0
    assert 850 <= read["latency"]["p99_ms"] <= 1300
    assert read["latency"]["p90_ms"] >= 400
    assert read["latency"]["max_ms"] >= 950
    # Uncorrected, only the stalled request is slow: p99 stays small.
    assert read["service_time"]["p99_ms"] < 100
    assert read["service_time"]["max_ms"] >= 950
    assert read["waited_for_connection"] >= 150
    assert fake.connections == 1  # keep-alive: one connection throughout


def test_the_pool_grows_so_one_stall_delays_only_its_own_request() -> None:
    fake = FakeServer(stall_at=50, stall_seconds=1.0)

    async def go() -> list[Sample]:
        async with serving(fake) as port:
            plan = plan_of(200.0, 2.0, "read")
            return await run_open("127.0.0.1", port, plan, max_connections=64)

    summary = summarise(asyncio.run(go()))
    read = summary["kinds"]["read"]
    assert read["latency"]["max_ms"] >= 950
    assert read["latency"]["p99_ms"] < 100
    assert read["waited_for_connection"] == 0
    assert 2 <= fake.connections <= 64


def test_a_late_client_says_it_was_the_bottleneck() -> None:
    on_time = [
        Sample("read", intended=i, dispatched=i + 0.001, sent=i, done=i + 0.01) for i in range(100)
    ]
    assert summarise(on_time)["client"]["client_bound"] is False
    late = [
        Sample("read", intended=i, dispatched=i + 0.02, sent=i + 0.02, done=i + 0.03)
        for i in range(100)
    ]
    summary = summarise(late)
    assert summary["client"]["client_bound"] is True
    assert summary["client"]["dispatch_lag_p99_ms"] == pytest.approx(20.0)
    # Latency counts from the intended start, service time from the send.
    assert summary["kinds"]["read"]["latency"]["p50_ms"] == pytest.approx(30.0)
    assert summary["kinds"]["read"]["service_time"]["p50_ms"] == pytest.approx(10.0)


def test_kinds_groups_non_2xx_and_chunked_answers_are_counted() -> None:
    fake = FakeServer()
    paths = {"queue": "/chunked", "detail": "/", "missing": "/missing"}

    async def go() -> list[Sample]:
        async with serving(fake) as port:
            plan = [
                (i / 300.0, Request(kind=kind, method="GET", path=paths[kind]))
                for i, kind in enumerate(["queue", "detail", "missing"] * 100)
            ]
            return await run_open("127.0.0.1", port, plan, max_connections=8)

    summary = summarise(asyncio.run(go()), groups={"reads": {"queue", "detail"}})
    kinds = summary["kinds"]
    assert kinds["queue"]["requests"] == 100
    assert kinds["queue"]["non2xx"] == 0
    assert kinds["missing"]["non2xx"] == 100
    assert kinds["reads"]["requests"] == 200
    assert kinds["reads"]["non2xx"] == 0
    assert kinds["all"]["requests"] == 300
    assert fake.handled == 300


def test_closed_loop_keeps_each_connection_busy() -> None:
    fake = FakeServer()

    async def go() -> list[Sample]:
        async with serving(fake) as port:
            return list(
                await run_closed(
                    "127.0.0.1",
                    port,
                    lambda: Request(kind="read", method="POST", path="/", body=b"{}"),
                    connections=4,
                    seconds=0.5,
                )
            )

    samples = asyncio.run(go())
    summary = summarise(samples)
    assert summary["kinds"]["read"]["requests"] == fake.handled > 50
    assert summary["kinds"]["read"]["non2xx"] == 0
    assert fake.connections == 4


def test_a_refused_connection_is_an_error_not_a_crash() -> None:
    async def go() -> list[Sample]:
        # A port that was free a moment ago: nothing listens there.
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        plan = [(0.0, Request(kind="read", method="GET", path="/"))]
        return await run_open("127.0.0.1", port, plan, max_connections=1, timeout=2)

    summary = summarise(asyncio.run(go()))
    assert summary["kinds"]["read"]["errors"] == 1
    assert summary["kinds"]["read"]["first_error"]


def test_a_kept_alive_connection_the_server_closed_is_reopened_not_an_error() -> None:
    """The server answers once per connection and closes it without saying
    so (as a server's idle timeout does): each later request finds its
    connection closed and is sent again on a new one."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()

    async def go() -> list[Sample]:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = int(server.sockets[0].getsockname()[1])
        plan = [(i * 0.05, Request(kind="read", method="GET", path="/")) for i in range(5)]
        try:
            return await run_open("127.0.0.1", port, plan, max_connections=1)
        finally:
            server.close()

    summary = summarise(asyncio.run(go()))
    assert summary["kinds"]["read"]["requests"] == 5
    assert summary["kinds"]["read"]["errors"] == 0
    assert summary["kinds"]["read"]["non2xx"] == 0
