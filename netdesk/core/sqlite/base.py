"""Django's SQLite backend, with writers taking turns inside the process.

Every transaction the desk opens on SQLite starts with `BEGIN IMMEDIATE`
(settings: transaction_mode), which takes SQLite's write lock at once. With
many threads writing, the losers used to wait in SQLite's busy handler,
sleeping and retrying with growing sleeps: a create took 2.3 s at the 99th
percentile with 16 connections. Here a thread first takes this process's
turn for the database (`netdesk.core.writelock`), a lock handed over in
arrival order, and only then sends `BEGIN IMMEDIATE`; it gives the turn
back when the transaction ends, however it ends: commit, rollback or the
connection closing. Inside the process the busy handler then never waits;
between processes (several web processes, the worker) it still decides, as
before.

Why in the backend: Django's `atomic()` opens its transaction through
`_start_transaction_under_autocommit` and ends it through `_commit` or
`_rollback` (or `_close` when those fail), on every path: nested atomics
are savepoints inside the one transaction and take nothing more, and
on_commit callbacks run after the commit, with the turn already given back.
Connections are per thread and kept (CONN_MAX_AGE), so the turn is held by
one connection at a time and is never shared between threads.

A statement written outside any transaction (Django's autocommit: the rate
count of a request, a last-used time) is a transaction of its own in
SQLite; it takes the turn around that one statement. Reads outside a
transaction never take it.

Its operations read datetimes in one step where Django's take several
(`DatabaseOperations.convert_datetimefield_value`)."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import OperationalError
from django.db.backends.sqlite3 import base, operations

from netdesk.core.writelock import WriterTurns, writer_turns

# Statements that write (a WITH ... INSERT is rare enough to go to SQLite's
# own handler).
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")
# How much of a slow turn's first write its log line shows.
SLOW_TURN_STATEMENT_CHARS = 120

logger = logging.getLogger("netdesk.sqlite")


# An in-memory database shared between threads (the test suite's, with its
# live server) runs in SQLite's shared-cache mode, where a table another
# connection is reading is "locked" at once, without the busy handler: a
# statement refused so had no effect and is sent again after a pause, as
# the busy handler would. File databases (WAL) never answer this.
TABLE_LOCKED = "database table is locked"
TABLE_LOCKED_TRIES = 200
TABLE_LOCKED_PAUSE = 0.01


class TurnTakingCursor(base.SQLiteCursorWrapper):
    """A cursor whose writes outside a transaction take the writer turn."""

    database: DatabaseWrapper

    def execute(self, query: str, params: Any = None) -> Any:
        self.database.write_noted(query)
        if self.database.writes_alone(query):
            with self.database.writer_turn():
                return self._sent(super().execute, query, params)
        return self._sent(super().execute, query, params)

    def executemany(self, query: str, param_list: Any) -> Any:
        self.database.write_noted(query)
        if self.database.writes_alone(query):
            with self.database.writer_turn():
                return self._sent(super().executemany, query, param_list)
        return self._sent(super().executemany, query, param_list)

    def _sent(self, send: Callable[[str, Any], Any], query: str, params: Any) -> Any:
        tries = TABLE_LOCKED_TRIES if self.database.is_in_memory_db() else 1
        for _ in range(tries - 1):
            try:
                return send(query, params)
            except sqlite3.OperationalError as exc:
                if TABLE_LOCKED not in str(exc):
                    raise
            time.sleep(TABLE_LOCKED_PAUSE)
        return send(query, params)


class _Turn:
    """Holds the writer turn for one autocommitted statement."""

    def __init__(self, database: DatabaseWrapper) -> None:
        self.database = database

    def __enter__(self) -> None:
        self.database.turn_take()

    def __exit__(self, *exc: object) -> None:
        self.database.turn_give_back()


class DatabaseOperations(operations.DatabaseOperations):
    def convert_datetimefield_value(
        self, value: Any, expression: Any, connection: Any
    ) -> datetime | None:
        """Django's conversion, without its layers: the driver hands back a
        naive datetime (the column's declared type) in the connection's
        zone. A queue page of fifty lines reads some three hundred of them,
        and the layers cost more than the reading."""
        if value.__class__ is datetime and value.tzinfo is None and settings.USE_TZ:
            return value.replace(tzinfo=self.connection.timezone)
        return super().convert_datetimefield_value(value, expression, connection)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.holds_turn = False
        self.turn_taken_at = 0.0
        # The turn's first write (or, with none, its first statement),
        # named when the turn was slow.
        self.turn_first_write: str | None = None
        self.turn_first_statement: str | None = None
        self.turn_commit_ms = 0.0

    @property
    def turns(self) -> WriterTurns:
        return writer_turns(str(self.settings_dict["NAME"]))

    def turn_take(self) -> None:
        wait = float(self.settings_dict["OPTIONS"].get("timeout", 30))
        if not self.turns.acquire(timeout=wait):
            # What SQLite itself says after its busy timeout.
            raise OperationalError("database is locked")
        self.holds_turn = True
        self.turn_taken_at = time.monotonic()
        self.turn_first_write = self.turn_first_statement = None
        self.turn_commit_ms = 0.0

    def turn_give_back(self) -> None:
        if self.holds_turn:
            self.holds_turn = False
            self.turns.release()
            held_ms = (time.monotonic() - self.turn_taken_at) * 1000
            slow_ms = settings.NETDESK_SQLITE_SLOW_TURN_MS
            if slow_ms and held_ms > slow_ms:
                first = self.turn_first_write
                logger.warning(
                    "A transaction of process %d (%s) held the SQLite writer turn for "
                    "%.0f ms (every other writer waited; its commit took %.0f ms); "
                    "its first %s: %s",
                    os.getpid(),
                    threading.current_thread().name,
                    held_ms,
                    self.turn_commit_ms,
                    "write" if first else "statement, no write",
                    (first or self.turn_first_statement or "none")[:SLOW_TURN_STATEMENT_CHARS],
                )

    def write_noted(self, query: str) -> None:
        """Keep the turn's first write and first statement, for the slow
        turn's log line."""
        if not self.holds_turn or self.turn_first_write is not None:
            return
        if self.turn_first_statement is None:
            self.turn_first_statement = query
        if query.lstrip()[:6].upper() in WRITES:
            self.turn_first_write = query

    def writer_turn(self) -> _Turn:
        return _Turn(self)

    def writes_alone(self, query: str) -> bool:
        """A write that is a transaction by itself (no transaction open)."""
        return (
            not self.holds_turn
            and self.connection is not None
            and not self.connection.in_transaction
            and query.lstrip()[:6].upper() in WRITES
        )

    def create_cursor(self, name: str | None = None) -> Any:  # noqa: ARG002 - Django's signature
        cursor = self.connection.cursor(factory=TurnTakingCursor)
        cursor.database = self
        return cursor

    def _start_transaction_under_autocommit(self) -> None:
        self.turn_take()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self.turn_give_back()
            raise

    def _commit(self) -> None:
        started = time.monotonic()
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            # A commit that crosses the WAL's checkpoint size copies pages
            # into the database file (and syncs it) before it returns.
            self.turn_commit_ms = (time.monotonic() - started) * 1000
            # A failed COMMIT leaves the transaction open: Django rolls it
            # back next (or closes the connection), so the turn stays held
            # until then.
            if self.connection is None or not self.connection.in_transaction:
                self.turn_give_back()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            # Even a failed ROLLBACK ends the turn: the connection is closed
            # next, and another writer's BEGIN IMMEDIATE would only meet
            # SQLite's own busy handler.
            self.turn_give_back()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self.turn_give_back()
