"""Fixed-window request counts in the database, one statement per request
(two for a key's first request of a window, which deletes its past ones).

The count is bumped with INSERT … ON CONFLICT DO UPDATE … RETURNING, which
PostgreSQL and SQLite (3.35 and later) both run atomically: two web
processes counting the same user's requests at the same moment can neither
lose a request nor read a stale count, as a read-then-write would.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from netdesk.core.models import RateCount

# The first count of a new window also deletes the key's past windows, so
# the table holds one row per key. Tests that compare the statements of two
# calls turn this off (conftest.py): with it, the two differed by one
# whenever a window began between them.
PAST_WINDOWS_DELETED = True

_BUMP = (
    'INSERT INTO {table} ("key", "period_start", "count") VALUES (%s, %s, %s) '
    'ON CONFLICT ("key", "period_start") DO UPDATE SET "count" = {table}."count" + %s '
    'RETURNING "count"'
)


def rate_count_bump(*, key: str, period_start: int, by: int = 1) -> int:
    """Count `by` more requests for `key` in window `period_start`; returns
    the window's count including them."""
    table = connection.ops.quote_name(RateCount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_BUMP.format(table=table), [key, period_start, by, by])
        row = cursor.fetchone()
    count = int(row[0])
    if count == by and PAST_WINDOWS_DELETED:
        # The key's first request in a new window: earlier windows are over.
        RateCount.objects.filter(key=key, period_start__lt=period_start).delete()
    return count


# A tally may hold at most NETDESK_API_RATE_HELD calls (settings), for at
# most LOCAL_SECONDS, before they are written; and only while the shared
# count plus what it holds is under LOCAL_SHARE of the limit. So k processes
# could let through at most k x that many calls the database has not seen
# yet, and they are all far from the limit: near it every call is counted
# in the database, exactly.
LOCAL_SECONDS = 1.0
LOCAL_SHARE = 0.5
# Below this limit a window is too small to hold anything back: every call
# is written (logins, public forms, small API rates).
LOCAL_MIN_LIMIT = 200


@dataclass
class _Held:
    window: int
    shared: int = 0  # the count the database last gave
    pending: int = 0  # calls let through since, not yet written
    since: float = 0.0
    synced: bool = False  # whether the database was asked in this window


class RateTally:
    """A large per-user allowance (the API's) counted in the database without
    a write on every call. On SQLite every write takes the one write lock, so
    a read-only API call that counted itself would queue behind every ticket
    being created; here a process writes its calls every NETDESK_API_RATE_HELD calls or
    LOCAL_SECONDS, whichever comes first, and every call once the count is
    within (1 - LOCAL_SHARE) of the limit. The truth stays in the database;
    what a process holds back is bounded and only far below the limit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[str, _Held] = {}

    def bump(self, *, key: str, period_start: int, limit: int) -> int:
        """The window's count including this call, as far as it matters for
        `limit`: exact whenever the call could be refused."""
        now = time.monotonic()
        with self._lock:
            held = self._held.get(key)
            if held is None or held.window != period_start:
                held = self._held[key] = _Held(window=period_start, since=now)
            if (
                limit >= LOCAL_MIN_LIMIT
                and held.synced
                and held.pending + 1 < settings.NETDESK_API_RATE_HELD
                and now - held.since < LOCAL_SECONDS
                and held.shared + held.pending + 1 <= limit * LOCAL_SHARE
            ):
                held.pending += 1
                return held.shared + held.pending
            by, held.pending = held.pending + 1, 0
        count = rate_count_bump(key=key, period_start=period_start, by=by)
        with self._lock:
            if held.window == period_start:
                held.shared = max(held.shared, count)
                held.since = time.monotonic()
                held.synced = True
        return count

    def forget(self) -> None:
        """Drop what is held (tests; a new window drops it anyway)."""
        with self._lock:
            self._held.clear()
