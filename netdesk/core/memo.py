"""Memos: values that are slow to build from the database (the network's
topology, the impact index, the service-level policies, the complaint
detector), kept by each process and still exact with many processes.

A memo names the tables it reads (`depends_on`). Every write that changes
what a memo reads calls `data_changed(Model)` in its own transaction, which
gives the table a fresh version token (`core.DataVersion`). Each use of a
memo compares the tokens it was built from with the stored ones (one small
query, read once per request by `DataVersionsMiddleware`) and builds again
when one differs, so a change committed by one process is seen by the next
request of every other.

Call `data_changed` in the transaction of the write and before that
transaction reads the memo again: a memo built from rows that are rolled
back afterwards then carries a token that never commits."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Generic, TypeVar
from uuid import uuid4

from django.db.models import Model, QuerySet

from netdesk.core.compiled import CompiledQuery
from netdesk.core.models import DataVersion

T = TypeVar("T")

# Stands for the database itself: created with a fresh token when missing
# and never changed, so a memo built against another database (a test's
# rolled-back state, a restored backup) is never taken for this one's.
DATABASE = "core.database"

# The tokens read during the current request (None outside one: every use
# reads them again).
_request_tokens: ContextVar[dict[str, str] | None] = ContextVar("data_versions", default=None)


def label_of(model: type[Model]) -> str:
    return model._meta.label


def data_changed(*models: type[Model]) -> None:
    """Give each table a new version: every memo that reads it is built
    again at its next use, in every process."""
    fresh = {label_of(model): uuid4().hex for model in models}
    DataVersion.objects.bulk_create(
        [DataVersion(label=label, token=token) for label, token in fresh.items()],
        update_conflicts=True,
        unique_fields=["label"],
        update_fields=["token"],
    )
    seen = _request_tokens.get()
    if seen is not None:
        seen.update(fresh)


def _all_tokens(shape: Hashable) -> QuerySet[DataVersion, tuple[str, str]]:  # noqa: ARG001 - one shape
    return DataVersion.objects.values_list("label", "token")


# Read by every request that uses a memo: compiled once per process.
_ALL_TOKENS = CompiledQuery(_all_tokens)


def _stored() -> dict[str, str]:
    return {label: token for label, token in _ALL_TOKENS.rows(None)}


def data_versions(labels: Sequence[str]) -> tuple[str, ...]:
    """The tokens of these labels, in order. A label never written before
    gets its first token here."""
    seen = _request_tokens.get()
    if seen is None or any(label not in seen for label in labels):
        stored = _stored()
        missing = [label for label in labels if label not in stored]
        if missing:
            DataVersion.objects.bulk_create(
                [DataVersion(label=label, token=uuid4().hex) for label in missing],
                ignore_conflicts=True,
            )
            stored = _stored()
        if seen is None:
            seen = stored
        else:
            seen.update(stored)
    return tuple(seen[label] for label in labels)


@contextmanager
def data_versions_per_request() -> Iterator[None]:
    """Within the block, the version tokens are read once (at the first
    memo used) and held: a request sees one consistent state of its memos,
    in a fixed number of queries however many it uses."""
    reset = _request_tokens.set({})
    try:
        yield
    finally:
        _request_tokens.reset(reset)


class Memo(Generic[T]):
    """A value built by `build` and kept while the tables of `depends_on`
    keep their versions. With `refresh`, a change of version brings the
    held value up to date (`refresh(value)` returns the value to keep)
    instead of building anew; a new database always builds anew."""

    def __init__(
        self,
        build: Callable[[], T],
        *,
        depends_on: Sequence[type[Model]],
        refresh: Callable[[T], T] | None = None,
    ) -> None:
        self._build = build
        self._refresh = refresh
        self._labels = (DATABASE, *sorted({label_of(model) for model in depends_on}))
        self._held: tuple[tuple[str, ...], T] | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        tokens = data_versions(self._labels)
        held = self._held
        if held is not None and held[0] == tokens:
            return held[1]
        # One thread builds; the others wait and take what it built.
        with self._lock:
            held = self._held
            if held is not None and held[0] == tokens:
                return held[1]
            if held is not None and self._refresh is not None and held[0][0] == tokens[0]:
                value = self._refresh(held[1])
            else:
                value = self._build()
            self._held = (tokens, value)
            return value

    def forget(self) -> None:
        """Drop the held value, as a restart of the process would."""
        with self._lock:
            self._held = None
