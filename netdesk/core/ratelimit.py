"""Fixed-window request counts in the database, one statement per request.

The count is bumped with INSERT … ON CONFLICT DO UPDATE … RETURNING, which
PostgreSQL and SQLite (3.35 and later) both run atomically: two web
processes counting the same user's requests at the same moment can neither
lose a request nor read a stale count, as a read-then-write would.
"""

from __future__ import annotations

from django.db import connection

from netdesk.core.models import RateCount

_BUMP = (
    'INSERT INTO {table} ("key", "period_start", "count") VALUES (%s, %s, 1) '
    'ON CONFLICT ("key", "period_start") DO UPDATE SET "count" = {table}."count" + 1 '
    'RETURNING "count"'
)


def rate_count_bump(*, key: str, period_start: int) -> int:
    """Count one more request for `key` in window `period_start`; returns
    the window's count including this one."""
    table = connection.ops.quote_name(RateCount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_BUMP.format(table=table), [key, period_start])
        row = cursor.fetchone()
    count = int(row[0])
    if count == 1:
        # The key's first request in a new window: earlier windows are over.
        RateCount.objects.filter(key=key, period_start__lt=period_start).delete()
    return count
