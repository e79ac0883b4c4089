"""SQLite writers of one process take turns (netdesk.core.sqlite): many
threads writing at once never meet "database is locked", and the turn is
given back on every way a transaction ends.

Each test opens its own database file through its own connection handler
(one connection per thread, as the server keeps them), with SQLite's busy
timeout at zero: any wait left to SQLite fails at once, so only the turns
keep the writers apart."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest import mock

import django
import pytest
from django.db import OperationalError, transaction
from django.db.utils import ConnectionHandler

from netdesk.core.sqlite.base import TurnTakingCursor
from netdesk.core.writelock import WriterTurns, writer_turns

THREADS = 16
ROUNDS = 15


def _handler(path: Path, engine: str) -> ConnectionHandler:
    return ConnectionHandler(
        {
            "default": {
                "ENGINE": engine,
                "NAME": str(path),
                "OPTIONS": {
                    "init_command": "PRAGMA journal_mode=WAL;PRAGMA busy_timeout=0;",
                    "transaction_mode": "IMMEDIATE",
                    "timeout": 10,
                },
            }
        }
    )


@contextmanager
def _in_use(handler: ConnectionHandler, blocker: Any) -> Iterator[ConnectionHandler]:
    """`transaction.atomic()` and on_commit work on this handler's
    connections, outside the test database."""
    with blocker.unblock(), mock.patch("django.db.transaction.connections", handler):
        with handler["default"].cursor() as cursor:
            cursor.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, thread INTEGER, n INTEGER)")
        try:
            yield handler
        finally:
            handler.close_all()


@pytest.fixture
def database(tmp_path: Path, django_db_blocker: Any) -> Iterator[ConnectionHandler]:
    handler = _handler(tmp_path / "turns.sqlite3", "netdesk.core.sqlite")
    with _in_use(handler, django_db_blocker):
        yield handler


def _turns(handler: ConnectionHandler) -> WriterTurns:
    return writer_turns(str(handler["default"].settings_dict["NAME"]))


def _hammer(handler: ConnectionHandler, *, autocommit_too: bool) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def writer(number: int) -> None:
        connection = handler["default"]  # this thread's own connection
        start.wait()
        try:
            for n in range(ROUNDS):
                with transaction.atomic(using="default"), connection.cursor() as cursor:
                    cursor.execute("SELECT count(*) FROM note WHERE thread = %s", [number])
                    cursor.execute("INSERT INTO note (thread, n) VALUES (%s, %s)", [number, n])
                if autocommit_too:
                    with connection.cursor() as cursor:
                        cursor.execute("UPDATE note SET n = n WHERE thread = %s", [number])
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _rows(handler: ConnectionHandler) -> int:
    with handler["default"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM note")
        count: int = cursor.fetchone()[0]
    return count


def test_threads_writing_at_once_never_find_the_database_locked(database):
    assert _hammer(database, autocommit_too=True) == []
    assert _rows(database) == THREADS * ROUNDS
    assert not _turns(database).held


def test_without_the_turns_the_same_writers_do_find_it_locked(tmp_path, django_db_blocker):
    # The test above can fail: Django's own backend, same load, same timeout.
    handler = _handler(tmp_path / "plain.sqlite3", "django.db.backends.sqlite3")
    with _in_use(handler, django_db_blocker):
        errors = _hammer(handler, autocommit_too=False)
    assert errors
    assert all("locked" in str(error) for error in errors)


def test_the_turn_is_given_back_when_the_transaction_fails(database):
    connection = database["default"]
    held: list[bool] = []

    def fails() -> None:
        with transaction.atomic(using="default"), connection.cursor() as cursor:
            cursor.execute("INSERT INTO note (thread, n) VALUES (1, 1)")
            held.append(connection.holds_turn)
            cursor.execute("INSERT INTO missing_table VALUES (1)")

    with pytest.raises(Exception, match="missing_table"):
        fails()
    assert held == [True]
    assert not connection.holds_turn
    assert not _turns(database).held
    assert _rows(database) == 0


def _insert_then_fail(connection: Any) -> None:
    with transaction.atomic(using="default"), connection.cursor() as cursor:
        cursor.execute("INSERT INTO note (thread, n) VALUES (1, 2)")
        cursor.execute("INSERT INTO missing_table VALUES (1)")


def test_nested_atomics_keep_one_turn_and_on_commit_runs_after_it(database):
    connection = database["default"]
    seen: list[bool] = []
    with transaction.atomic(using="default"):
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO note (thread, n) VALUES (1, 1)")
        with pytest.raises(Exception, match="missing_table"):
            _insert_then_fail(connection)
        assert connection.holds_turn  # the outer transaction goes on
        with transaction.atomic(using="default"), connection.cursor() as cursor:
            cursor.execute("INSERT INTO note (thread, n) VALUES (1, 3)")
        transaction.on_commit(lambda: seen.append(_turns(database).held), using="default")
    assert seen == [False]
    assert not connection.holds_turn
    assert _rows(database) == 2


def test_a_slow_turn_is_logged_with_its_first_write(database, settings, caplog):
    connection = database["default"]
    settings.NETDESK_SQLITE_SLOW_TURN_MS = 50
    with transaction.atomic(using="default"), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM note")
        cursor.execute("INSERT INTO note (thread, n) VALUES (7, 1)")
        cursor.execute("UPDATE note SET n = 2 WHERE thread = 7")
        time.sleep(0.08)
    with transaction.atomic(using="default"), connection.cursor() as cursor:
        cursor.execute("INSERT INTO note (thread, n) VALUES (8, 1)")  # quick: not logged
    slow = [r.getMessage() for r in caplog.records if r.name == "netdesk.sqlite"]
    assert len(slow) == 1
    assert "writer turn for" in slow[0]
    assert "its first write: INSERT INTO note (thread, n)" in slow[0]


def test_closing_the_connection_inside_a_transaction_gives_the_turn_back(database):
    connection = database["default"]
    connection.ensure_connection()
    connection.set_autocommit(False)
    connection._start_transaction_under_autocommit()
    assert _turns(database).held
    connection.close()
    assert not _turns(database).held


def test_a_writer_waiting_longer_than_the_timeout_is_told_the_database_is_locked(database):
    database["default"].settings_dict["OPTIONS"]["timeout"] = 0.2
    held = threading.Event()
    done = threading.Event()

    def holder() -> None:
        with transaction.atomic(using="default"):
            held.set()
            done.wait(5)
        database["default"].close()

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(5)
    try:
        with pytest.raises(OperationalError, match="locked"), database["default"].cursor() as c:
            c.execute("INSERT INTO note (thread, n) VALUES (9, 9)")
    finally:
        done.set()
        thread.join()
    assert not _turns(database).held


def test_turns_are_handed_over_in_arrival_order():
    turns = WriterTurns()
    order: list[int] = []
    assert turns.acquire(timeout=1)
    arrived: list[Any] = []

    def waiter(number: int) -> None:
        assert turns.acquire(timeout=5)
        order.append(number)
        turns.release()

    threads = []
    for number in range(5):
        thread = threading.Thread(target=waiter, args=(number,))
        thread.start()
        threads.append(thread)
        while len(turns._waiting) < number + 1:  # queued before the next starts
            threading.Event().wait(0.001)
        arrived.append(number)
    turns.release()
    for thread in threads:
        thread.join()
    assert order == arrived == [0, 1, 2, 3, 4]
    assert not turns.held


def _hammer_in_child(path: str) -> int:
    handler = _handler(Path(path), "netdesk.core.sqlite")
    with mock.patch("django.db.transaction.connections", handler):
        errors = _hammer(handler, autocommit_too=True)
    handler.close_all()
    return len(errors)


def test_two_processes_writing_at_once_never_find_the_database_locked(tmp_path, django_db_blocker):
    # Between processes the lock file beside the database keeps the writers
    # apart; SQLite's busy timeout is zero here too. The children are new
    # interpreters: a fork of this process would copy locks held by its
    # other threads (a connection pool's, a live waker's) in whatever state
    # they were, and a child stuck on one would leave the map waiting. The
    # time limit turns any such wait into a failure that says so.
    path = tmp_path / "shared.sqlite3"
    handler = _handler(path, "netdesk.core.sqlite")
    with _in_use(handler, django_db_blocker):
        handler.close_all()  # no connection is carried into the children
        with multiprocessing.get_context("spawn").Pool(2, initializer=django.setup) as pool:
            errors = pool.map_async(_hammer_in_child, [str(path), str(path)]).get(timeout=120)
        assert errors == [0, 0]
        assert _rows(handler) == 2 * THREADS * ROUNDS
    assert (tmp_path / "shared.sqlite3-writer.lock").exists()


def test_a_shared_cache_table_lock_is_waited_out_in_memory_only() -> None:
    # The suite's in-memory database (shared cache, with a live server's
    # threads) answers "table is locked" without the busy handler.
    calls: list[str] = []

    def send(query: str, params: object) -> str:
        calls.append(query)
        if len(calls) < 3:
            raise sqlite3.OperationalError("database table is locked: core_liveevent")
        return "done"

    class Memory:
        @staticmethod
        def is_in_memory_db() -> bool:
            return True

    class File:
        @staticmethod
        def is_in_memory_db() -> bool:
            return False

    in_memory = SimpleNamespace(database=Memory())
    assert TurnTakingCursor._sent(in_memory, send, "INSERT", None) == "done"  # type: ignore[arg-type]
    assert len(calls) == 3
    calls.clear()
    on_file = SimpleNamespace(database=File())
    with pytest.raises(sqlite3.OperationalError):
        TurnTakingCursor._sent(on_file, send, "INSERT", None)  # type: ignore[arg-type]
    assert len(calls) == 1
