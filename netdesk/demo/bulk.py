"""Bulk-loading helpers: primary keys assigned in memory (so children can
point at parents without a round-trip per row), batched inserts, and the
PostgreSQL sequence reset that explicit ids make necessary."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max
from tqdm import tqdm

M = TypeVar("M", bound=models.Model)

BATCH_SIZE = 2000


class IdBlock:
    """Hands out consecutive primary keys after the current maximum of a table.
    The loader holds the write lock for its stage (one transaction, SQLite
    takes it at BEGIN), so nobody else can take the same ids meanwhile."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        current = model._default_manager.aggregate(top=Max("pk"))["top"]
        self.first = (current or 0) + 1
        self.next = self.first

    def take(self) -> int:
        value = self.next
        self.next += 1
        return value

    @property
    def span(self) -> list[int] | None:
        """[first, last] of the ids handed out, or None if none were."""
        if self.next == self.first:
            return None
        return [self.first, self.next - 1]


def insert(
    model: type[M],
    rows: Sequence[M],
    *,
    progress: tqdm | None = None,
) -> None:
    """Insert rows in batches, advancing the stage's progress bar as it goes."""
    for start in range(0, len(rows), BATCH_SIZE):
        batch = rows[start : start + BATCH_SIZE]
        model._default_manager.bulk_create(batch, batch_size=BATCH_SIZE)
        if progress is not None:
            progress.update(len(batch))


def reset_sequences(models_with_ids: Iterable[type[models.Model]]) -> None:
    """After inserting explicit ids, move PostgreSQL's sequences past them
    (SQLite needs nothing: its rowid follows the largest id)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models_with_ids))
    if not statements:
        return
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
