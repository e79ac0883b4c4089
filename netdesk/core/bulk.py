"""Bulk writes Django's ORM makes slow at volume.

Imports of a million rows INSERT with one prepared statement run by
executemany: Django's bulk_create spends most of its time compiling SQL per
batch (measured: about nine tenths of a services import). Fields the rows do
not carry get the model's defaults, as bulk_create would give them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any, cast

from django.db import connection, models
from django.db.models import Field, Model
from django.utils import timezone


def rows_update(
    model: type[Model],
    objects: Sequence[Any],
    names: list[str],
    *,
    values: Callable[[Any, list[str]], list[Any]] | None = None,
) -> None:
    """One parameterised UPDATE per object, sent with executemany. Django's
    bulk_update builds a CASE expression per row and field, which at tens of
    thousands of rows costs far more than the work itself. `values(obj,
    names)` gives an object's column values where Django's per-field
    preparation is too slow or the objects are not model instances."""
    if not objects:
        return
    fields = [cast("Field[Any, Any]", model._meta.get_field(name)) for name in names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE id = %s"  # noqa: S608
    if values is None:
        rows = [
            [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] + [obj.pk]
            for obj in objects
        ]
    else:
        rows = [[*values(obj, names), obj.pk] for obj in objects]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


# The most parameters one PostgreSQL statement takes.
POSTGRES_PARAMETERS = 65_535


def _adapter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    """How a Python value becomes a query parameter, where it needs to."""
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.JSONField):
        return partial(field.get_db_prep_save, connection=connection)
    return None


def _default(field: models.Field[Any, Any]) -> Any:
    if isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
        return timezone.now()
    if field.has_default():
        return field.get_default()
    if field.null:
        return None
    return "" if field.empty_strings_allowed else None


def model_field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    """A concrete field by name (reverse relations are not columns)."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


def insert_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
) -> None:
    """INSERT one row per value sequence, in the order of `fields` (model
    field names; foreign keys take ids). The primary key is left to the
    database. With `ignore_conflicts`, a row a unique constraint already
    holds is left out (ON CONFLICT DO NOTHING, SQLite and PostgreSQL)."""
    meta = model._meta
    given = [model_field(model, name) for name in fields]
    rest = [
        field
        for field in meta.concrete_fields
        if not field.primary_key and field.name not in fields
    ]
    filled = [_adapter(field) for field in rest]
    defaults = tuple(
        adapt(_default(field)) if adapt is not None else _default(field)
        for field, adapt in zip(rest, filled, strict=True)
    )
    adapters = [
        (position, adapt)
        for position, adapt in enumerate(_adapter(field) for field in given)
        if adapt is not None
    ]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in [*given, *rest])
    width = len(given) + len(rest)
    marks = "(" + ", ".join(["%s"] * width) + ")"
    head = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "  # noqa: S608 (names from the model)
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""

    def parameters() -> Iterable[tuple[Any, ...]]:
        for row in rows:
            if adapters:
                values = list(row)
                for position, adapt in adapters:
                    if values[position] is not None:
                        values[position] = adapt(values[position])
                yield (*values, *defaults)
            else:
                yield (*row, *defaults)

    values = list(parameters())
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(head + marks + tail, values)
            return
        # psycopg binds on the client here, so executemany would send and
        # plan one INSERT per row (measured: 0.4 ms a row); one statement
        # takes as many rows as PostgreSQL's parameter limit allows.
        per_statement = max(1, POSTGRES_PARAMETERS // width)
        for start in range(0, len(values), per_statement):
            chunk = values[start : start + per_statement]
            sql = head + ", ".join([marks] * len(chunk)) + tail
            cursor.execute(sql, [value for row in chunk for value in row])
