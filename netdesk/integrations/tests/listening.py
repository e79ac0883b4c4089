"""Test helpers for the alarm listeners: a sink that records what it is
given, a listener run on its own event loop in a background thread, and a
`netdesk listen` subprocess whose announced ports the test reads back."""

from __future__ import annotations

import asyncio
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from netdesk.integrations.intake import ListenerStats
from netdesk.noc.services.alarms import AlarmIn

REPOSITORY = Path(__file__).resolve().parents[3]


class RecordingSink:
    """Keeps batches and rejections in memory (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.batches: list[list[AlarmIn]] = []
        self.rejections: list[dict[str, str]] = []

    def ingest(self, alarms: Sequence[AlarmIn]) -> None:
        with self._lock:
            self.batches.append(list(alarms))

    def reject(self, *, source: str, reason: str, excerpt: str, peer: str) -> None:
        with self._lock:
            self.rejections.append(
                {"source": source, "reason": reason, "excerpt": excerpt, "peer": peer}
            )

    def close(self) -> None:
        pass

    @property
    def alarms(self) -> list[AlarmIn]:
        with self._lock:
            return [alarm for batch in self.batches for alarm in batch]


class Listener(Protocol):
    stats: ListenerStats
    addresses: dict[str, tuple[str, int]]

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def wait_until(condition: Callable[[], Any], *, timeout: float = 10.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")


class ListenerThread:
    """`with ListenerThread(listener) as running:` starts the listener on a
    fresh event loop in a daemon thread and stops it (with its final flush)
    on the way out."""

    def __init__(self, listener: Listener) -> None:
        self.listener = listener
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="listener", daemon=True)

    def __enter__(self) -> ListenerThread:
        self._thread.start()
        if not self._started.wait(timeout=20):
            raise AssertionError("listener did not start within 20s")
        if self._error is not None:
            raise self._error
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=20)
        if self._thread.is_alive():
            raise AssertionError("listener did not stop within 20s")
        if self._error is not None:
            raise self._error

    @property
    def stats(self) -> ListenerStats:
        return self.listener.stats

    def port(self, transport: str = "udp") -> int:
        return self.listener.addresses[transport][1]

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:
            self._error = exc
            self._started.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        await self.listener.start()
        self._started.set()
        await self._stop.wait()
        await self.listener.stop()


class ListenCommand:
    """`python -m netdesk listen ...` in a subprocess; lines of its output are
    collected by a thread so that no read can block the test."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "netdesk", "listen", *args],
            cwd=REPOSITORY,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            self.lines.put(line)

    def wait_for_ports(self, transports: Sequence[str], *, timeout: float = 60.0) -> dict[str, int]:
        ports: dict[str, int] = {}
        deadline = time.monotonic() + timeout
        while len(ports) < len(transports):
            remaining = deadline - time.monotonic()
            try:
                line = self.lines.get(timeout=max(0.0, remaining))
            except queue.Empty:
                self.kill()
                raise AssertionError(
                    f"no 'listener on' lines within {timeout}s: {''.join(self.output)}"
                ) from None
            match = re.search(r"listener on (udp|tcp) \S+:(\d+)", line)
            if match:
                ports[match.group(1)] = int(match.group(2))
        return ports

    def terminate(self, *, timeout: float = 30.0) -> str:
        """SIGTERM, then the whole output once it exited."""
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"did not stop on SIGTERM: {''.join(self.output)}") from None
        self._reader.join(timeout=5)
        return "".join(self.output)

    def wait(self, *, timeout: float = 60.0) -> str:
        """The whole output of a command that exits by itself."""
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"still running after {timeout}s: {''.join(self.output)}"
            ) from None
        self._reader.join(timeout=5)
        return "".join(self.output)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
