"""One fetcher per mailbox at a time, whoever runs it (`netdesk mail fetch`,
any number of workers): a PostgreSQL session advisory lock, or on SQLite a
file lock beside the database file. Both end with the process that holds
them, so a fetcher killed part way never leaves its mailbox locked.

Storing stays idempotent without the lock (one row per UID); the lock
keeps two fetchers from reading, storing and moving the same messages at
once, and lets the second one say so instead."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from django.db import DatabaseError, connection

# PostgreSQL's one-key advisory locks share one 64-bit space: the high
# half names the desk's mailbox fetches, the low half the mailbox.
ADVISORY_NAMESPACE = 0x4E44_4D46  # "NDMF"


@contextmanager
def mailbox_fetch_lock(mailbox_pk: int) -> Iterator[bool]:
    """True when this process holds `mailbox_pk`'s fetch lock until the
    block ends; False, at once, when another process holds it."""
    if connection.vendor == "postgresql":
        with _advisory_lock(mailbox_pk) as held:
            yield held
    else:
        with _file_lock(mailbox_pk) as held:
            yield held


@contextmanager
def _advisory_lock(mailbox_pk: int) -> Iterator[bool]:
    key = (ADVISORY_NAMESPACE << 32) | (mailbox_pk & 0xFFFF_FFFF)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        held = bool(cursor.fetchone()[0])
    try:
        yield held
    finally:
        if held:
            _advisory_unlock(key)


def _advisory_unlock(key: int) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
    except DatabaseError:
        # A session lock outlives a failed statement: ending the session is
        # the one sure way to let the next fetcher in.
        with suppress(DatabaseError):
            connection.close()


@contextmanager
def _file_lock(mailbox_pk: int) -> Iterator[bool]:
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        # Only this process can reach an in-memory database.
        yield True
        return
    database = Path(name)
    path = database.with_name(f"{database.name}.fetch-mailbox-{mailbox_pk}.lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        # Closing the file releases the lock; the empty file stays, so two
        # fetchers never lock two different files of the same name.
        os.close(fd)
