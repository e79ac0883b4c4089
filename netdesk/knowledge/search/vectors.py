"""The vectors of all embedded documents, held by each process as one
matrix (a `Memo` on SearchDocument): a question is one matrix-vector
product, never a load of vectors per request.

A change of the index (any `document_put`, the worker's embeddings) gives
SearchDocument a new data version; the next search in each process then
reads only the rows changed since its matrix was built (`refresh`). Rows
are read again with an overlap (REREAD) so that a transaction committed
late with an earlier timestamp is not missed; a document deleted meanwhile
is noticed by the count and the matrix is built anew."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
from django.db.models import F, Max, Q

from netdesk.core.memo import Memo
from netdesk.knowledge.models import Audience, DocumentKind, SearchDocument
from netdesk.knowledge.search.embedding import DIMENSIONS, MODEL, Vector, vector_from

REREAD = timedelta(minutes=10)
KIND_CODES = {kind: code for code, kind in enumerate(DocumentKind.values)}
_FIELDS = ("id", "kind", "live", "audience", "embedding", "updated_at", "embedded_at")
_BATCH = 2_000


@dataclass(frozen=True)
class VectorIndex:
    """One process's matrix of document vectors. Rows [0, size) are in use;
    `matrix` may be longer (room to append without copying)."""

    matrix: npt.NDArray[np.float32]
    ids: npt.NDArray[np.int64]
    kinds: npt.NDArray[np.int8]
    live: npt.NDArray[np.bool_]
    public: npt.NDArray[np.bool_]
    row_of: dict[int, int]
    size: int
    read_until: datetime | None

    def nearest(
        self, query: Vector, *, kinds: Sequence[str], public_only: bool, live_only: bool, limit: int
    ) -> list[tuple[int, float]]:
        """(document id, cosine) of the `limit` nearest documents of `kinds`
        (live, public when asked), nearest first."""
        if self.size == 0 or limit <= 0:
            return []
        n = self.size
        scores = self.matrix[:n] @ query
        wanted = np.isin(self.kinds[:n], [KIND_CODES[k] for k in kinds if k in KIND_CODES])
        if live_only:
            wanted &= self.live[:n]
        if public_only:
            wanted &= self.public[:n]
        scores = np.where(wanted, scores, -np.inf)
        limit = min(limit, n)
        top = np.argpartition(-scores, limit - 1)[:limit]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(self.ids[i]), float(scores[i])) for i in top if np.isfinite(scores[i])]


def _embedded() -> Q:
    """Documents whose vector belongs to their present words and model."""
    return Q(embedded_at__isnull=False, embedding__isnull=False, embedding_model=MODEL) & Q(
        embedded_at__gte=F("updated_at")
    )


def _empty(capacity: int) -> VectorIndex:
    return VectorIndex(
        matrix=np.zeros((capacity, DIMENSIONS), dtype=np.float32),
        ids=np.zeros(capacity, dtype=np.int64),
        kinds=np.zeros(capacity, dtype=np.int8),
        live=np.zeros(capacity, dtype=np.bool_),
        public=np.zeros(capacity, dtype=np.bool_),
        row_of={},
        size=0,
        read_until=None,
    )


def _latest(index_read: datetime | None) -> datetime | None:
    stamps = SearchDocument.objects.aggregate(
        updated=Max("updated_at"), embedded=Max("embedded_at")
    )
    known = [s for s in (stamps["updated"], stamps["embedded"], index_read) if s is not None]
    return max(known) if known else None


def _grown(index: VectorIndex, needed: int) -> VectorIndex:
    """The same index with room for `needed` rows (copied only when full)."""
    capacity = len(index.ids)
    if needed <= capacity:
        return index
    capacity = max(needed, capacity + capacity // 2, 1_024)
    grown = _empty(capacity)
    n = index.size
    grown.matrix[:n] = index.matrix[:n]
    grown.ids[:n] = index.ids[:n]
    grown.kinds[:n] = index.kinds[:n]
    grown.live[:n] = index.live[:n]
    grown.public[:n] = index.public[:n]
    return VectorIndex(
        matrix=grown.matrix,
        ids=grown.ids,
        kinds=grown.kinds,
        live=grown.live,
        public=grown.public,
        row_of=dict(index.row_of),
        size=n,
        read_until=index.read_until,
    )


def _put_rows(
    index: VectorIndex,
    changed: list[dict[str, object]],
    gone: set[int],
    read_until: datetime | None,
) -> VectorIndex:
    """`index` with `changed` rows written (appended when new) and rows of
    `gone` masked out. Arrays are written in place beyond the size readers
    already hold, or at rows they may hold (a reader then sees the newer
    vector; every hit is checked against the database anyway)."""
    index = _grown(index, index.size + len(changed))
    row_of = dict(index.row_of)
    size = index.size
    for document in changed:
        document_id = int(str(document["id"]))
        row = row_of.get(document_id)
        if row is None:
            row = size
            size += 1
            row_of[document_id] = row
        embedding = document["embedding"]
        assert isinstance(embedding, bytes | memoryview)
        index.matrix[row] = vector_from(embedding)
        index.ids[row] = document_id
        index.kinds[row] = KIND_CODES.get(str(document["kind"]), -1)
        index.live[row] = bool(document["live"])
        index.public[row] = document["audience"] == Audience.PUBLIC
    for document_id in gone:
        row = row_of.get(document_id)
        if row is not None:
            index.live[row] = False
            index.kinds[row] = -1
    return VectorIndex(
        matrix=index.matrix,
        ids=index.ids,
        kinds=index.kinds,
        live=index.live,
        public=index.public,
        row_of=row_of,
        size=size,
        read_until=read_until,
    )


def _read(since: datetime | None) -> tuple[list[dict[str, object]], set[int]]:
    """Embedded rows changed since `since` (all when None), and the ids of
    rows changed since then whose vector is stale (taken out until the
    worker embeds them again)."""
    changed_rows = SearchDocument.objects.all()
    if since is not None:
        changed_rows = changed_rows.filter(Q(updated_at__gte=since) | Q(embedded_at__gte=since))
    embedded = list(changed_rows.filter(_embedded()).values(*_FIELDS).iterator(_BATCH))
    stale: set[int] = set()
    if since is not None:
        stale = set(changed_rows.exclude(_embedded()).values_list("id", flat=True))
    return embedded, stale


def index_build() -> VectorIndex:
    read_until = _latest(None)
    embedded, _ = _read(None)
    # Room to grow a quarter before the first copy.
    capacity = max(len(embedded) + len(embedded) // 4, 1_024)
    return _put_rows(_empty(capacity), embedded, set(), read_until)


def index_refresh(index: VectorIndex) -> VectorIndex:
    """The index brought up to date with rows changed since it was read."""
    if index.read_until is None:
        return index_build()
    read_until = _latest(index.read_until)
    embedded, stale = _read(index.read_until - REREAD)
    refreshed = _put_rows(index, embedded, stale, read_until)
    # A deleted document leaves no row to read: the count tells that some
    # went, the ids which.
    held = int(np.count_nonzero(refreshed.kinds[: refreshed.size] >= 0))
    if held != SearchDocument.objects.filter(_embedded()).count():
        present = set(SearchDocument.objects.filter(_embedded()).values_list("id", flat=True))
        gone = set(refreshed.row_of) - present
        refreshed = _put_rows(refreshed, [], gone, read_until)
    return refreshed


vector_index: Memo[VectorIndex] = Memo(
    index_build, depends_on=[SearchDocument], refresh=index_refresh
)
