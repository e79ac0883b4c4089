"""A first-come, first-served lock for the writers of one SQLite database
in one process (`netdesk.core.sqlite`).

SQLite lets one writer at a time in. A writer that finds the database taken
waits in SQLite's busy handler, which sleeps and retries with sleeps that
grow to 100 ms: whoever retries at the right moment wins, and under load a
few writers lose round after round (seconds at the 99th percentile). Waiting
here instead, each writer is handed the turn the moment the one before it
ends, in the order they came.

Between processes (several web workers, the background worker) the turn
is also a lock file beside the database, taken after the process's own
turn and given back with it. Left to the busy handler, a writer of one
process sleeping between its retries would find the database taken again
and again by the other process, whose writers follow each other without
a gap: its requests waited seconds. The lock file is tried every
millisecond instead, so the other process's next writer rarely slips in
first. A database in memory has no file and needs none: it belongs to one
process."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections import deque

# How often a process's writer tries the lock file while another process
# holds it.
FILE_RETRY_SECONDS = 0.001


class WriterTurns:
    """A lock handed over in arrival order, and held against other
    processes through `lock_path` when given. `acquire` returns False when
    the turn did not come within `timeout` seconds."""

    def __init__(self, lock_path: str | None = None) -> None:
        self._mutex = threading.Lock()
        self._waiting: deque[threading.Lock] = deque()
        self._held = False
        self._lock_path = lock_path
        self._lock_file: int | None = None

    def acquire(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        if not self._take(timeout):
            return False
        if self._lock_path is None or self._file_take(deadline):
            return True
        self.release()
        return False

    def _take(self, timeout: float) -> bool:
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

    def _file_take(self, deadline: float) -> bool:
        # Only the holder of this process's turn gets here: one file
        # descriptor per process is enough.
        if self._lock_file is None:
            assert self._lock_path is not None
            self._lock_file = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        while True:
            try:
                fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(FILE_RETRY_SECONDS)

    def release(self) -> None:
        with self._mutex:
            if not self._held:
                raise RuntimeError("Released a writer turn nobody holds.")
            if self._lock_file is not None:
                # Other processes get their chance at every turn's end.
                fcntl.flock(self._lock_file, fcntl.LOCK_UN)
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
            in_memory = database == ":memory:" or "mode=memory" in database
            lock_path = None if in_memory else f"{database}-writer.lock"
            turns = _turns[database] = WriterTurns(lock_path)
        return turns


def _forget_after_fork() -> None:
    # A child process starts with no transaction of its own open; a lock
    # copied while another thread of the parent held it would never be
    # released in the child.
    global _turns_mutex
    _turns_mutex = threading.Lock()
    for turns in _turns.values():
        if turns._lock_file is not None:
            # The parent's descriptor: closing the child's copy leaves the
            # parent's lock (if held) in place.
            os.close(turns._lock_file)
    _turns.clear()


os.register_at_fork(after_in_child=_forget_after_fork)
