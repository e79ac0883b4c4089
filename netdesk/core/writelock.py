"""A first-come, first-served lock for the writers of one SQLite database
in one process (`netdesk.core.sqlite`).

SQLite lets one writer at a time in. A writer that finds the database taken
waits in SQLite's busy handler, which sleeps and retries with sleeps that
grow to 100 ms: whoever retries at the right moment wins, and under load a
few writers lose round after round (seconds at the 99th percentile). Waiting
here instead, each writer is handed the turn the moment the one before it
ends, in the order they came."""

from __future__ import annotations

import os
import threading
from collections import deque


class WriterTurns:
    """A lock handed over in arrival order. `acquire` returns False when
    the turn did not come within `timeout` seconds."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiting: deque[threading.Lock] = deque()
        self._held = False

    def acquire(self, timeout: float) -> bool:
        with self._mutex:
            if not self._held:
                self._held = True
                return True
            gate = threading.Lock()
            gate.acquire()
            self._waiting.append(gate)
        if gate.acquire(timeout=timeout):
            return True  # handed over by release()
        with self._mutex:
            if gate in self._waiting:
                self._waiting.remove(gate)
                return False
        # Handed over between the timeout and the check: the turn is ours.
        return True

    def release(self) -> None:
        with self._mutex:
            if not self._held:
                raise RuntimeError("Released a writer turn nobody holds.")
            if self._waiting:
                # Straight to the next in line: nobody can slip in between.
                self._waiting.popleft().release()
            else:
                self._held = False

    @property
    def held(self) -> bool:
        return self._held


_turns: dict[str, WriterTurns] = {}
_turns_mutex = threading.Lock()


def writer_turns(database: str) -> WriterTurns:
    """The one lock of this process for the database file `database`."""
    with _turns_mutex:
        turns = _turns.get(database)
        if turns is None:
            turns = _turns[database] = WriterTurns()
        return turns


def _forget_after_fork() -> None:
    # A child process starts with no transaction of its own open; a lock
    # copied while another thread of the parent held it would never be
    # released in the child.
    global _turns_mutex
    _turns_mutex = threading.Lock()
    _turns.clear()


os.register_at_fork(after_in_child=_forget_after_fork)
