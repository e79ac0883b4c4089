"""Bulk writes Django's ORM makes slow at volume."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.db import connection
from django.db.models import Field, Model


def rows_update(model: type[Model], objects: Sequence[Any], names: list[str]) -> None:
    """One parameterised UPDATE per object, sent with executemany. Django's
    bulk_update builds a CASE expression per row and field, which at tens of
    thousands of rows costs far more than the work itself."""
    if not objects:
        return
    fields = [cast("Field[Any, Any]", model._meta.get_field(name)) for name in names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE id = %s"  # noqa: S608
    rows = [
        [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] + [obj.pk]
        for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
