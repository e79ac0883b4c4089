"""The desk's local day and hour of stored instants, worked out inside the
database.

On SQLite, which has no time zones, Django's `TruncDate` and `ExtractHour`
call a Python function for every row. At a million tickets the rollup tick
called them a quarter of a million times: 4-5 s of CPU every five minutes,
taken from the two cores that serve the desk. Over a known span of time a
zone's offset from UTC changes only at a few instants (summer time), so
the local day and hour are SQLite's own `date()` and `strftime()` of the
instant shifted by the offset in force, the offset chosen by a CASE on those
instants. Instants outside the span take the offset of its nearest end.

PostgreSQL keeps Django's conversion, which runs inside the server.
`SecondsBetween` likewise measures between two instants without Python.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from itertools import pairwise
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import DateField, FloatField, Func, IntegerField
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

# How far apart the zone's offset is sampled before the exact instant of a
# change is searched for: no zone changes its offset twice within it.
SAMPLE_STEP = timedelta(hours=6)
_Sql = tuple[str, tuple[Any, ...]]


def offsets(start: datetime, end: datetime, zone: tzinfo) -> list[tuple[datetime | None, int]]:
    """The zone's offsets from UTC in seconds between `start` and `end`,
    as (changed_at, seconds): the first from the start (changed_at None),
    then each change in order, at the first instant (to the second) of
    the new offset."""

    def offset(at: datetime) -> int:
        return int(at.astimezone(zone).utcoffset().total_seconds())  # type: ignore[union-attr]

    found: list[tuple[datetime | None, int]] = [(None, offset(start))]
    before = start
    while before < end:
        after = min(before + SAMPLE_STEP, end)
        if offset(after) != found[-1][1]:
            # The change lies in (before, after]: halve down to a second.
            low, high = before, after
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if offset(middle) == found[-1][1]:
                    low = middle
                else:
                    high = middle
            # Offsets change at whole seconds: the first one after `low`.
            changed_at = low.replace(microsecond=0) + timedelta(seconds=1)
            found.append((changed_at, offset(changed_at)))
        before = after
    return found


class _LocalPart(Func):
    """One source expression, an instant; the span its values lie in."""

    arity = 1

    def __init__(self, expression: Any, *, start: datetime, end: datetime) -> None:
        super().__init__(expression)
        self.start = start
        self.end = end

    def _sqlite_case(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, shifted: str
    ) -> _Sql:
        """`shifted` has {instant} and {shift}: the SQL of the part wanted
        of an instant moved by a modifier such as '+3600 seconds'."""
        sql, params = compiler.compile(self.source_expressions[0])
        field = self.source_expressions[0].output_field
        changes = offsets(self.start, self.end, timezone.get_current_timezone())
        *earlier, (_, last) = changes
        if not earlier:
            return shifted.format(instant=sql, shift="%s"), (*params, f"{last:+d} seconds")
        parts, case_params = ["CASE"], []
        # Each offset holds until the next change: WHEN instant < change.
        for (_, seconds), (changed_at, _) in pairwise(changes):
            parts.append(f"WHEN {sql} < %s THEN {shifted.format(instant=sql, shift='%s')}")
            at = field.get_db_prep_value(changed_at, connection)
            case_params += [*params, at, *params, f"{seconds:+d} seconds"]
        parts.append(f"ELSE {shifted.format(instant=sql, shift='%s')} END")
        case_params += [*params, f"{last:+d} seconds"]
        return " ".join(parts), tuple(case_params)


class LocalDay(_LocalPart):
    """The desk's local date of an instant (as `TruncDate`)."""

    output_field = DateField()

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> _Sql:  # type: ignore[override]
        sql, params = compiler.compile(self.source_expressions[0])
        return connection.ops.datetime_cast_date_sql(
            sql, tuple(params), timezone.get_current_timezone_name()
        )

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _Sql:
        return self._sqlite_case(compiler, connection, "date({instant}, {shift})")


class LocalHour(_LocalPart):
    """The desk's local hour (0-23) of an instant (as `ExtractHour`)."""

    output_field = IntegerField()

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any) -> _Sql:  # type: ignore[override]
        sql, params = compiler.compile(self.source_expressions[0])
        return connection.ops.datetime_extract_sql(
            "hour", sql, tuple(params), timezone.get_current_timezone_name()
        )

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _Sql:
        return self._sqlite_case(
            compiler, connection, "CAST(strftime('%%H', {instant}, {shift}) AS INTEGER)"
        )


class SecondsBetween(Func):
    """Seconds from the second instant to the first. Django's difference of
    two datetimes is, on SQLite, a Python function per row that parses both;
    julianday() is SQLite's own (its double is exact to about 50 µs)."""

    arity = 2
    output_field = FloatField()
    template = "EXTRACT(EPOCH FROM (%(expressions)s))"
    arg_joiner = " - "

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _Sql:
        sql, params = self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra,
        )
        return sql, tuple(params)
