"""Open-model (fixed-rate) HTTP load generator with coordinated omission
corrected, on plain asyncio streams (HTTP/1.1, keep-alive connections).

A closed-loop tool such as wrk sends the next request only when an answer
came back, so a server that stalls also stops the clock: requests that real
users would have sent during the stall are never sent, and the latencies it
reports hide the stall. Here every request has an intended start time fixed
in advance (`start + i / rate`, or Poisson arrivals at that mean rate) and
its latency is measured from that time, whether it could be sent on time or
not. A free keep-alive connection is taken from a pool; when all are busy a
new one is opened, up to a cap; requests that had to wait for the cap are
counted. The client checks itself: how late it dispatched each request
(`dispatch lag`); when its p99 passes 5 ms the client, not the server, was
the bottleneck and the run says so.

    from openload import Request, run_open, summarise
    samples = asyncio.run(run_open("127.0.0.1", 8000, plan, max_connections=256))

`run_closed` is the closed loop of the same requests (N connections, each
sending the next when the last answered): what the server sustains.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

DISPATCH_LAG_LIMIT_MS = 5.0
PERCENTILES = (50.0, 90.0, 99.0, 99.9)


@dataclass(frozen=True)
class Request:
    kind: str
    method: str
    path: str
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class Sample:
    """One request's times on the event loop's clock (seconds)."""

    kind: str
    intended: float
    dispatched: float = 0.0
    sent: float = 0.0
    done: float = 0.0
    status: int = 0
    waited_for_connection: bool = False
    error: str = ""

    @property
    def latency(self) -> float:
        """From the intended start: what a user arriving then waited."""
        return self.done - self.intended

    @property
    def service_time(self) -> float:
        """From the actual send: what a closed-loop tool would report."""
        return self.done - self.sent


class HttpError(Exception):
    pass


@dataclass
class Connection:
    """One keep-alive HTTP/1.1 connection, opened when first used and again
    after the server closed it."""

    host: str
    port: int
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None

    async def exchange(self, request: Request, on_sent: Callable[[], None]) -> int:
        """Send `request` and read its answer. A kept-alive connection the
        server closed while it sat idle gives no answer at all; the request
        is then sent once more on a new connection, as HTTP clients do (the
        server never saw it)."""
        if self.writer is not None and not self.writer.is_closing():
            try:
                return await self._send(request, on_sent)
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                if isinstance(exc, asyncio.IncompleteReadError) and exc.partial:
                    raise
                self.close()
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return await self._send(request, on_sent)

    async def _send(self, request: Request, on_sent: Callable[[], None]) -> int:
        assert self.reader is not None
        assert self.writer is not None
        head = [f"{request.method} {request.path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        head += [f"{name}: {value}" for name, value in request.headers]
        if request.body or request.method in {"POST", "PUT", "PATCH"}:
            head.append(f"Content-Length: {len(request.body)}")
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + request.body)
        await self.writer.drain()
        on_sent()
        status, keep_alive = await read_response(self.reader)
        if not keep_alive:
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one answer (Content-Length or chunked); returns its status and
    whether the connection stays open."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise HttpError(f"not an HTTP/1.x status line: {lines[0]!r}")
    status = int(parts[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    keep_alive = headers.get("connection", "").lower() != "close"
    return status, keep_alive


class Pool:
    """Keep-alive connections handed out one request at a time; grows when
    every connection is busy, up to `cap`, then requests queue for one."""

    def __init__(self, host: str, port: int, cap: int) -> None:
        self.host, self.port, self.cap = host, port, cap
        self.idle: list[Connection] = []
        self.opened = 0
        self.waiters: list[asyncio.Future[Connection]] = []

    async def acquire(self) -> tuple[Connection, bool]:
        if self.idle:
            return self.idle.pop(), False
        if self.opened < self.cap:
            self.opened += 1
            return Connection(self.host, self.port), False
        waiter: asyncio.Future[Connection] = asyncio.get_running_loop().create_future()
        self.waiters.append(waiter)
        return await waiter, True

    def release(self, connection: Connection) -> None:
        while self.waiters:
            waiter = self.waiters.pop(0)
            if not waiter.done():
                waiter.set_result(connection)
                return
        self.idle.append(connection)

    def close(self) -> None:
        for connection in self.idle:
            connection.close()


async def _one(pool: Pool, request: Request, sample: Sample, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    sample.dispatched = loop.time()
    connection, sample.waited_for_connection = await pool.acquire()

    def on_sent() -> None:
        sample.sent = loop.time()

    try:
        sample.status = await asyncio.wait_for(connection.exchange(request, on_sent), timeout)
    except (OSError, TimeoutError, HttpError, asyncio.IncompleteReadError, ValueError) as exc:
        sample.error = type(exc).__name__
        connection.close()  # a half-read answer must not be read as the next one's
    finally:
        sample.done = loop.time()
        sample.sent = sample.sent or sample.done
        pool.release(connection)


def schedule(count: int, rate: float, *, poisson: bool = False, seed: int = 1) -> list[float]:
    """Intended start offsets (seconds from the start) of `count` requests at
    `rate` per second: evenly spaced, or Poisson arrivals with that mean."""
    if rate <= 0:
        raise ValueError("rate must be positive")
    if not poisson:
        return [i / rate for i in range(count)]
    rng = random.Random(seed)
    offsets, at = [], 0.0
    for _ in range(count):
        offsets.append(at)
        at += rng.expovariate(rate)
    return offsets


async def run_open(
    host: str,
    port: int,
    plan: Iterable[tuple[float, Request]],
    *,
    max_connections: int = 256,
    timeout: float = 30.0,
) -> list[Sample]:
    """Send each request of `plan` (offset, request) at its intended time.
    The plan must be in offset order."""
    loop = asyncio.get_running_loop()
    pool = Pool(host, port, max_connections)
    start = loop.time() + 0.05
    samples: list[Sample] = []
    # Only unfinished requests are held, so a long soak does not keep a
    # finished task per request.
    pending: set[asyncio.Task[None]] = set()
    for offset, request in plan:
        intended = start + offset
        delay = intended - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        sample = Sample(kind=request.kind, intended=intended)
        samples.append(sample)
        task = asyncio.create_task(_one(pool, request, sample, timeout))
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.gather(*pending)
    pool.close()
    return samples


async def run_closed(
    host: str,
    port: int,
    next_request: Callable[[], Request],
    *,
    connections: int,
    seconds: float,
    timeout: float = 30.0,
) -> list[Sample]:
    """`connections` loops, each sending the next request as soon as the last
    answered, for `seconds`: the throughput the server sustains."""
    loop = asyncio.get_running_loop()
    pool = Pool(host, port, connections)
    end = loop.time() + seconds
    samples: list[Sample] = []

    async def loop_one() -> None:
        while loop.time() < end:
            sample = Sample(kind="", intended=loop.time())
            request = next_request()
            sample.kind = request.kind
            samples.append(sample)
            await _one(pool, request, sample, timeout)

    await asyncio.gather(*(loop_one() for _ in range(connections)))
    pool.close()
    return samples


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def distribution_ms(values: Iterable[float]) -> dict[str, float]:
    ordered = sorted(v * 1000.0 for v in values)
    found = {f"p{p:g}_ms": round(percentile(ordered, p), 2) for p in PERCENTILES}
    found["max_ms"] = round(ordered[-1], 2) if ordered else 0.0
    return found


def _kind_summary(samples: list[Sample], seconds: float) -> dict[str, Any]:
    good = [s for s in samples if not s.error]
    return {
        "requests": len(samples),
        "rps": round(len(samples) / seconds, 1) if seconds > 0 else 0.0,
        "non2xx": sum(1 for s in good if not 200 <= s.status < 300),
        "errors": sum(1 for s in samples if s.error),
        "first_error": next((s.error for s in samples if s.error), ""),
        "non2xx_statuses": dict(Counter(s.status for s in good if not 200 <= s.status < 300)),
        "latency": distribution_ms(s.latency for s in samples),
        "service_time": distribution_ms(s.service_time for s in samples),
        "waited_for_connection": sum(1 for s in samples if s.waited_for_connection),
    }


def summarise(
    samples: list[Sample], *, groups: dict[str, set[str]] | None = None
) -> dict[str, Any]:
    """Per kind (and per named group of kinds, and all together): requests,
    rate, failures, latency from the intended start and service time."""
    if not samples:
        return {"requests": 0, "kinds": {}, "client": {}}
    first = min(s.intended for s in samples)
    last = max(s.done for s in samples)
    seconds = last - first
    kinds: dict[str, list[Sample]] = {}
    for sample in samples:
        kinds.setdefault(sample.kind, []).append(sample)
    for name, members in (groups or {}).items():
        kinds[name] = [s for s in samples if s.kind in members]
    kinds["all"] = samples
    lags = sorted((s.dispatched - s.intended) * 1000.0 for s in samples)
    lag_p99 = percentile(lags, 99.0)
    return {
        "requests": len(samples),
        "seconds": round(seconds, 2),
        "kinds": {name: _kind_summary(members, seconds) for name, members in kinds.items()},
        "client": {
            "dispatch_lag_p50_ms": round(percentile(lags, 50.0), 2),
            "dispatch_lag_p99_ms": round(lag_p99, 2),
            "dispatch_lag_max_ms": round(lags[-1], 2),
            "client_bound": lag_p99 > DISPATCH_LAG_LIMIT_MS,
            "waited_for_connection": sum(1 for s in samples if s.waited_for_connection),
        },
    }
