"""What the alarm listeners (SNMP traps, syslog) share: their counters, and the
batcher that hands parsed alarms and rejections to the NOC's intake service
from one worker thread, so the event loop never waits on the database."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter, deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from django.db import InterfaceError, OperationalError, close_old_connections, connection

from netdesk.core.text import printable_excerpt
from netdesk.noc.services.alarms import AlarmIn, alarms_ingest, input_reject

logger = logging.getLogger(__name__)

EXCERPT_MAX = 1000
# Alarms held while the database is unreachable; beyond it the oldest go.
BACKLOG_MAX = 100_000
# Rejections stored per flush: a flood of garbage must not become a flood of
# rows. The rest are still counted and summarised in the log.
REJECTIONS_STORED_PER_FLUSH = 100
# Rejections logged one by one per reason and minute before the log goes quiet.
REJECTIONS_LOGGED_PER_MINUTE = 10


class IntakeSink(Protocol):
    """Where a listener's output goes. Called from one worker thread, in order."""

    def ingest(self, alarms: Sequence[AlarmIn]) -> None: ...

    def reject(self, *, source: str, reason: str, excerpt: str, peer: str) -> None: ...

    def close(self) -> None: ...


class NocIntakeSink:
    """The real destination: the NOC's alarm intake and rejected-input record."""

    def ingest(self, alarms: Sequence[AlarmIn]) -> None:
        close_old_connections()
        alarms_ingest(alarms=alarms)

    def reject(self, *, source: str, reason: str, excerpt: str, peer: str) -> None:
        close_old_connections()
        input_reject(source=source, reason=reason, excerpt=excerpt, peer=peer)

    def close(self) -> None:
        connection.close()


@dataclass
class ListenerStats:
    """Counters printed when a listener stops. Only the event loop writes them."""

    received: int = 0
    accepted: int = 0
    filtered: int = 0  # valid, but below the severity that raises an alarm
    rejected: Counter[str] = field(default_factory=Counter)
    ingested: int = 0
    batches: int = 0
    ingest_errors: int = 0
    dropped: int = 0  # accepted, then lost: intake failed for good or backlog full
    queue_full: int = 0  # received, then dropped unparsed: the listener's inbox was full

    def reject(self, reason: str) -> None:
        self.rejected[reason] += 1

    def summary(self) -> str:
        rejected = sum(self.rejected.values())
        reasons = ", ".join(f"{reason}: {count}" for reason, count in sorted(self.rejected.items()))
        return (
            f"received {self.received}, accepted {self.accepted}, filtered {self.filtered}, "
            f"rejected {rejected}{f' ({reasons})' if reasons else ''}; "
            f"ingested {self.ingested} in {self.batches} batches, "
            f"ingest errors {self.ingest_errors}, dropped {self.dropped}"
            + (f"; dropped unparsed (inbox full) {self.queue_full}" if self.queue_full else "")
        )


@dataclass(frozen=True)
class _Rejection:
    source: str
    reason: str
    excerpt: str
    peer: str


def excerpt_of(data: bytes) -> str:
    """A printable excerpt of raw input for the rejected-input record."""
    text = data[:EXCERPT_MAX].decode("utf-8", errors="backslashreplace")
    return printable_excerpt(text, limit=EXCERPT_MAX)


class AlarmBatcher:
    """Collects alarms and rejections on the event loop and flushes them every
    `flush_interval` seconds or `batch_size` alarms, whichever comes first.

    One flush runs at a time on one worker thread, so alarms reach the intake
    service in the order they arrived (a linkUp never overtakes its linkDown).
    A database that is down keeps the batch for the next flush; any other
    intake error drops the batch, logged and counted, and the listener goes on.
    """

    def __init__(
        self,
        *,
        sink: IntakeSink,
        stats: ListenerStats,
        source: str,
        flush_interval: float = 0.5,
        batch_size: int = 500,
    ) -> None:
        self.sink = sink
        self.stats = stats
        self.source = source
        self.flush_interval = flush_interval
        self.batch_size = batch_size
        self._alarms: deque[AlarmIn] = deque()
        self._rejections: deque[_Rejection] = deque()
        self._unstored_rejections = 0
        self._log_window: dict[str, tuple[float, int]] = {}
        self._wake = asyncio.Event()
        self._closing = False
        # While the database is down, retries back off from 1 to 30 seconds.
        self._retry_at = 0.0
        self._retry_delay = 0.0
        self._task: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{source}-intake")

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="alarm-batcher")

    def submit(self, alarm: AlarmIn) -> None:
        self.stats.accepted += 1
        if len(self._alarms) >= BACKLOG_MAX:
            self._alarms.popleft()
            self.stats.dropped += 1
        self._alarms.append(alarm)
        if len(self._alarms) >= self.batch_size:
            self._wake.set()

    def reject(self, *, reason: str, detail: str = "", excerpt: str = "", peer: str = "") -> None:
        """Count, log (rate-limited) and queue for the rejected-input record."""
        self.stats.reject(reason)
        self._log_rejection(reason, detail, peer)
        if len(self._rejections) >= REJECTIONS_STORED_PER_FLUSH:
            self._unstored_rejections += 1
            return
        self._rejections.append(
            _Rejection(
                source=self.source,
                reason=f"{reason}: {detail}"[:300] if detail else reason,
                excerpt=excerpt[:EXCERPT_MAX],
                peer=peer[:100],
            )
        )

    def _log_rejection(self, reason: str, detail: str, peer: str) -> None:
        now = time.monotonic()
        started, count = self._log_window.get(reason, (now, 0))
        if now - started >= 60:
            if count > REJECTIONS_LOGGED_PER_MINUTE:
                logger.warning(
                    "%s: %d more rejected inputs (%s) in the last minute",
                    self.source,
                    count - REJECTIONS_LOGGED_PER_MINUTE,
                    reason,
                )
            started, count = now, 0
        count += 1
        self._log_window[reason] = (started, count)
        if count <= REJECTIONS_LOGGED_PER_MINUTE:
            logger.warning(
                "%s: rejected input from %s: %s%s",
                self.source,
                peer or "unknown peer",
                reason,
                f" ({detail})" if detail else "",
            )

    async def close(self) -> None:
        """Flush what is left, once, and stop the worker thread."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self.sink.close)
        self._executor.shutdown(wait=True)

    async def _run(self) -> None:
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.flush_interval)
            self._wake.clear()
            await self.flush()
        await self.flush(final=True)

    async def flush(self, *, final: bool = False) -> None:
        loop = asyncio.get_running_loop()
        if self._rejections:
            rejections = list(self._rejections)
            self._rejections.clear()
            await loop.run_in_executor(self._executor, self._store_rejections, rejections)
        if self._unstored_rejections:
            logger.warning(
                "%s: %d rejected inputs counted but not stored (too many at once)",
                self.source,
                self._unstored_rejections,
            )
            self._unstored_rejections = 0
        if not final and time.monotonic() < self._retry_at:
            return
        while self._alarms:
            batch = [self._alarms.popleft() for _ in range(min(self.batch_size, len(self._alarms)))]
            outcome = await loop.run_in_executor(self._executor, self._ingest, batch)
            if outcome == "ok":
                self.stats.ingested += len(batch)
                self.stats.batches += 1
                self._retry_delay = 0.0
                continue
            self.stats.ingest_errors += 1
            if outcome == "retry" and not final:
                self._alarms.extendleft(reversed(batch))
                self._retry_delay = min(30.0, max(1.0, self._retry_delay * 2))
                self._retry_at = time.monotonic() + self._retry_delay
                return
            self.stats.dropped += len(batch)

    def _ingest(self, batch: list[AlarmIn]) -> str:
        try:
            self.sink.ingest(batch)
        except (OperationalError, InterfaceError):
            logger.exception(
                "%s: database unavailable, %d alarms kept for the next try",
                self.source,
                len(batch),
            )
            return "retry"
        except Exception:
            logger.exception("%s: alarm intake failed, %d alarms dropped", self.source, len(batch))
            return "failed"
        return "ok"

    def _store_rejections(self, rejections: list[_Rejection]) -> None:
        for rejection in rejections:
            try:
                self.sink.reject(
                    source=rejection.source,
                    reason=rejection.reason,
                    excerpt=rejection.excerpt,
                    peer=rejection.peer,
                )
            except Exception:
                logger.exception("%s: could not record a rejected input", self.source)
                return
