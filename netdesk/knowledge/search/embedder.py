"""Writing embeddings: the worker reads documents whose vector is missing
or stale, embeds them outside any transaction and writes each vector only
if the document has not changed meanwhile (its `updated_at` is still the
one read). Two runs at once embed the same rows twice and write the same
vectors: harmless."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from tqdm import tqdm

from netdesk.core.memo import data_changed
from netdesk.knowledge.models import SearchDocument
from netdesk.knowledge.search.embedding import MODEL, embed_passages, vector_bytes

# Documents embedded per database round trip (about a second of the model
# on two cores).
BATCH = 32


def stale() -> Q:
    """Documents without a vector of their present words by the present model."""
    return (
        Q(embedded_at__isnull=True)
        | Q(embedding__isnull=True)
        | Q(embedded_at__lt=F("updated_at"))
        | ~Q(embedding_model=MODEL)
    )


def passage_text(title: str, body: str, answer: str) -> str:
    """What the model reads of a document: its title, then its words, then
    a ticket's resolution."""
    return "\n".join(part for part in (title, body, answer) if part)


def embeddings_stale_count() -> int:
    return SearchDocument.objects.filter(stale()).count()


def embeddings_batch(*, size: int = BATCH) -> tuple[int, int]:
    """Embed up to `size` stale documents (live ones first): (read, written).
    A document changed between the read and the write keeps its stale mark
    and is embedded by a later batch."""
    rows = list(
        SearchDocument.objects.filter(stale())
        .order_by("-live", "id")
        .values_list("id", "title", "body", "answer", "updated_at")[:size]
    )
    if not rows:
        return 0, 0
    texts = [passage_text(title, body, answer) for _, title, body, answer, _ in rows]
    vectors = embed_passages(texts)
    written = 0
    with transaction.atomic():
        now = timezone.now()
        for (document_id, *_, updated_at), vector in zip(rows, vectors, strict=True):
            # Never older than the change it embeds (another process's clock
            # may run ahead), or the document would look stale forever.
            written += SearchDocument.objects.filter(pk=document_id, updated_at=updated_at).update(
                embedding=vector_bytes(vector),
                embedding_model=MODEL,
                embedded_at=max(now, updated_at),
            )
        if written:
            data_changed(SearchDocument)
    return len(rows), written


# Batches in a row whose every document changed before it was written
# before a run gives up (the next change queues the worker again).
RACES_MAX = 3


def embeddings_refresh_all(*, progress: bool = False) -> int:
    """Embed every stale document now, batch after batch (`netdesk kb
    embed`); the number written. With `progress`, a progress bar."""
    done = 0
    races = 0
    with tqdm(total=embeddings_stale_count(), unit="doc", disable=not progress) as bar:
        while races < RACES_MAX:
            read, written = embeddings_batch()
            if read == 0:
                break
            races = 0 if written else races + 1
            done += written
            bar.update(written)
    return done
