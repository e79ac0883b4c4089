"""Statements of a fixed shape, compiled once per process and database.

Django compiles a query every time it runs: it resolves the lookups, walks
the joins, quotes every column and prepares every value anew. On the desk's
busiest write (opening a ticket: a handful of reads and INSERTs, each the
same statement with other values) that is most of the CPU the request
costs. The two kinds here keep what the ORM compiled, or what the model's
`_meta` says, and only put the values in:

- `CompiledQuery`: a read built by the ORM (`build(shape, **values)`
  answers a QuerySet), compiled the first time a shape is asked on a
  database, then run with the values in their places. The values are plain
  ids and strings that the database takes as they are (no datetimes: a
  backend prepares those); each must reach the statement as exactly one
  parameter or several equal ones. Model instances come back as the ORM
  builds them (`from_db`, with `select_related` rows and annotations),
  values rows with the backend's converters applied.
- `CompiledInsert`: `INSERT ... RETURNING` of one model's rows, its columns
  and returning fields taken from the model's `_meta` once, each value
  prepared by its field (`pre_save`, `get_db_prep_save`) as `Model.save`
  does. Like `bulk_create`, it sends no model signals (the desk uses none).

Both run through the connection's cursor, so query counting, execute
wrappers and transactions see them as any ORM statement."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.db import connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model, QuerySet
from django.db.models.query import (  # type: ignore[attr-defined]
    ModelIterable,
    RelatedPopulator,
    get_related_populators,
)

M = TypeVar("M", bound=Model)

# Stand-ins put in the places of the values when a shape is compiled: far
# from any id or text a query holds, so each is found where it went.
_INT_MARK = 7_340_032_000_000_000_000
_TEXT_MARK = "\x1fcompiled-value-{}\x1f"

_UNSET = object()

Converters = dict[int, tuple[list[Callable[..., Any]], Any]]


@dataclass(frozen=True)
class _Read:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, str], ...]  # (position in params, value's name)
    converters: Converters
    # Model instances: the model, its columns, where they start and end,
    # the related rows' populators and the annotations' positions.
    model: type[Model] | None
    init_list: tuple[str, ...]
    span: tuple[int, int]
    related: tuple[RelatedPopulator, ...]
    annotations: tuple[tuple[str, int], ...]


def _check(values: dict[str, Any]) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise TypeError(f"{name}: only ids and strings are put into a compiled query")


def _marks(values: dict[str, Any]) -> dict[str, Any]:
    _check(values)
    marks: dict[str, Any] = {}
    for n, (name, value) in enumerate(values.items()):
        marks[name] = _INT_MARK + n if isinstance(value, int) else _TEXT_MARK.format(n)
    return marks


def _apply(
    row: Sequence[Any], converters: Converters, connection: BaseDatabaseWrapper
) -> list[Any]:
    values = list(row)
    for position, (functions, expression) in converters.items():
        value = values[position]
        for function in functions:
            value = function(value, expression, connection)
        values[position] = value
    return values


class CompiledQuery:
    """A read whose SQL is compiled once per shape and database. `build`
    answers the QuerySet for a shape (anything hashable that decides the
    statement's form: which filters, which joins) and the values."""

    def __init__(self, build: Callable[..., QuerySet[Any]]) -> None:
        self._build = build
        self._compiled: dict[tuple[str, Hashable], _Read] = {}
        self._lock = threading.Lock()

    def _read(
        self, connection: BaseDatabaseWrapper, shape: Hashable, values: dict[str, Any]
    ) -> _Read:
        key = (connection.alias, shape)
        found = self._compiled.get(key)
        if found is not None:
            return found
        with self._lock:
            found = self._compiled.get(key) or self._compile(connection, shape, values)
            self._compiled[key] = found
        return found

    def _compile(
        self, connection: BaseDatabaseWrapper, shape: Hashable, values: dict[str, Any]
    ) -> _Read:
        marks = _marks(values)
        query = self._build(shape, **marks)
        compiler = query.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        slots = tuple(
            (position, name)
            for position, param in enumerate(params)
            for name, mark in marks.items()
            if param == mark
        )
        missing = set(marks) - {name for _, name in slots}
        if missing:
            raise ValueError(f"compiled query: {sorted(missing)} did not reach the statement")
        columns = [column for column, _, _ in compiler.select[: compiler.col_count]]
        read = _Read(
            sql=sql,
            params=tuple(params),
            slots=slots,
            converters=compiler.get_converters(columns),
            model=None,
            init_list=(),
            span=(0, 0),
            related=(),
            annotations=(),
        )
        if query._iterable_class is not ModelIterable:
            return read
        info = compiler.klass_info
        assert info is not None
        start, end = info["select_fields"][0], info["select_fields"][-1] + 1
        return _Read(
            **{
                **read.__dict__,
                "model": info["model"],
                "init_list": tuple(c[0].target.attname for c in compiler.select[start:end]),
                "span": (start, end),
                "related": tuple(get_related_populators(info, compiler.select, connection.alias)),
                "annotations": tuple((compiler.annotation_col_map or {}).items()),
            }
        )

    def rows(self, shape: Hashable, using: str = "default", **values: Any) -> list[list[Any]]:
        """The statement's rows, converted as the ORM converts them."""
        connection = connections[using]
        read = self._read(connection, shape, values)
        _check(values)
        params = list(read.params)
        for position, name in read.slots:
            params[position] = values[name]
        with connection.cursor() as cursor:
            cursor.execute(read.sql, params)
            fetched = cursor.fetchall()
        return [_apply(row, read.converters, connection) for row in fetched]

    def instances(self, shape: Hashable, using: str = "default", **values: Any) -> list[Any]:
        """The statement's rows as model instances (the QuerySet's model,
        with its `select_related` rows and annotations)."""
        read = self._read(connections[using], shape, values)
        if read.model is None:
            raise TypeError("compiled query: this shape answers values, not instances")
        start, end = read.span
        found = []
        for row in self.rows(shape, using, **values):
            instance = read.model.from_db(using, list(read.init_list), row[start:end])
            for populator in read.related:
                populator.populate(row, instance)
            for name, position in read.annotations:
                setattr(instance, name, row[position])
            found.append(instance)
        return found


# Fields whose preparation leaves a value of these exact types as it is,
# on every backend (the ORM's own methods, not overridden): such values go
# into the statement without it; others (datetimes, JSON, choices'
# members, subclasses) are prepared by their field.
_AS_THEY_ARE: tuple[tuple[type[Field[Any, Any]], tuple[type, ...]], ...] = (
    (models.CharField, (str,)),
    (models.TextField, (str,)),
    (models.BooleanField, (bool,)),
    (models.IntegerField, (int,)),
    (models.FloatField, (float,)),
)
_PREPARATION = ("pre_save", "get_prep_value", "get_db_prep_value", "get_db_prep_save", "to_python")


def _unchanged(field: Field[Any, Any], base: type[Field[Any, Any]]) -> bool:
    return all(getattr(type(field), name) is getattr(base, name) for name in _PREPARATION)


def _as_they_are(field: Field[Any, Any], vendor: str = "") -> tuple[type, ...]:
    """The types of value `field` would leave as they are (None among them;
    text fields leave any str as it is, choices' members too). PostgreSQL
    takes a datetime with its time zone as it is; other backends write
    datetimes their own way."""
    if (
        vendor == "postgresql"
        and type(field) is models.DateTimeField
        and not (field.auto_now or field.auto_now_add)
    ):
        return (datetime, type(None))
    if isinstance(field, models.ForeignKey):
        target = field.target_field
        plain = (
            type(field).pre_save is Field.pre_save
            and type(field).get_db_prep_save is models.ForeignKey.get_db_prep_save
            and isinstance(target, models.AutoField | models.BigAutoField)
            and type(target) in (models.AutoField, models.BigAutoField)
        )
        return (int, type(None)) if plain else ()
    for base, types in _AS_THEY_ARE:
        if isinstance(field, base) and _unchanged(field, base):
            return (*types, type(None))
    return ()


def _passes(value: Any, plain: tuple[type, ...]) -> bool:
    kind = type(value)
    if kind in plain:
        # A naive datetime is made aware (with a warning) by its field.
        return kind is not datetime or value.tzinfo is not None
    return str in plain and isinstance(value, str)


@dataclass(frozen=True)
class _Insert:
    fields: tuple[Field[Any, Any], ...]
    plain: tuple[tuple[type, ...], ...]  # per field: values sent as they are
    returning: tuple[Field[Any, Any], ...]
    returning_sql: str
    converters: tuple[tuple[list[Callable[..., Any]], Any], ...]


# Statements are kept for batches of up to this many rows: the desk's
# frequent INSERTs (a ticket, its timers, its announcements) are that small,
# and a bulk action's batch of any size would otherwise leave one statement,
# as long as its batch, for every size ever seen.
CACHED_ROW_COUNTS = 32


class CompiledInsert(Generic[M]):
    """INSERT ... RETURNING for rows of `model` whose primary key the
    database assigns: the columns (every concrete, not generated field but
    the auto key) and returning fields from `_meta`, the statement per
    number of rows, each value prepared by its field."""

    def __init__(self, model: type[M]) -> None:
        self._model = model
        self._by_alias: dict[str, _Insert] = {}
        self._sql: dict[tuple[str, int], str] = {}

    def _shape(self, connection: BaseDatabaseWrapper) -> _Insert:
        found = self._by_alias.get(connection.alias)
        if found is not None:
            return found
        meta = self._model._meta
        fields = tuple(
            f for f in meta.local_concrete_fields if not f.generated and f is not meta.auto_field
        )
        if any(hasattr(f, "get_placeholder") for f in fields):
            raise TypeError(f"{meta.label}: a field needs its own placeholder; use the ORM")
        returning = tuple(meta.db_returning_fields)
        returning_sql, _ = connection.ops.return_insert_columns(returning)
        columns = [f.get_col(meta.db_table) for f in returning]
        converters = tuple(
            (connection.ops.get_db_converters(c) + c.get_db_converters(connection), c)
            for c in columns
        )
        plain = tuple(_as_they_are(f, connection.vendor) for f in fields)
        found = _Insert(fields, plain, returning, returning_sql or "", converters)
        self._by_alias[connection.alias] = found
        return found

    def _statement(self, connection: BaseDatabaseWrapper, shape: _Insert, count: int) -> str:
        key = (connection.alias, count)
        sql = self._sql.get(key)
        if sql is None:
            quote = connection.ops.quote_name
            columns = ", ".join(quote(f.column) for f in shape.fields)
            row = "(" + ", ".join(["%s"] * len(shape.fields)) + ")"
            table = quote(self._model._meta.db_table)
            rows = ", ".join([row] * count)
            # Names from the model's _meta; the values go as parameters.
            sql = f"INSERT INTO {table} ({columns}) VALUES {rows} {shape.returning_sql}"  # noqa: S608
            if count <= CACHED_ROW_COUNTS:
                self._sql[key] = sql
        return sql

    def statement(self, instances: Sequence[M], using: str = "default") -> tuple[str, list[Any]]:
        """The INSERT of the instances (at least one) and its parameters,
        not run: for a caller that sends it within a statement of its own
        (a data-modifying WITH on PostgreSQL)."""
        connection = connections[using]
        shape = self._shape(connection)
        return self._statement(connection, shape, len(instances)), self._params(
            instances, shape, connection
        )

    def _params(
        self, instances: Sequence[M], shape: _Insert, connection: BaseDatabaseWrapper
    ) -> list[Any]:
        params: list[Any] = []
        for instance in instances:
            # As Model.save: a related row assigned before it had its key.
            instance._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
            values = instance.__dict__
            for field, plain in zip(shape.fields, shape.plain, strict=True):
                value = values.get(field.attname, _UNSET) if plain else _UNSET
                if not _passes(value, plain):
                    value = field.get_db_prep_save(field.pre_save(instance, True), connection)
                params.append(value)
        return params

    def insert(self, instances: Sequence[M], using: str = "default") -> None:
        """INSERT the instances (none saved yet) in one statement and set
        what the database returned (their keys) on them."""
        if not instances:
            return
        connection = connections[using]
        if not connection.features.can_return_rows_from_bulk_insert:
            self._model._base_manager.using(using).bulk_create(instances)
            return
        shape = self._shape(connection)
        params = self._params(instances, shape, connection)
        with transaction.mark_for_rollback_on_error(using), connection.cursor() as cursor:
            cursor.execute(self._statement(connection, shape, len(instances)), params)
            returned = cursor.fetchall()
        for instance, row in zip(instances, returned, strict=True):
            for field, value, (functions, column) in zip(
                shape.returning, row, shape.converters, strict=True
            ):
                for function in functions:
                    value = function(value, column, connection)
                setattr(instance, field.attname, value)
            instance._state.adding = False
            instance._state.db = using
