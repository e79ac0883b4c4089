"""Background work of the knowledge base: embedding what changed."""

from __future__ import annotations

from django_tasks import task

from netdesk.core.ticks import tick_schedule
from netdesk.knowledge.search.embedder import embeddings_batch

# Batches one run embeds before it queues its successor: other tasks of the
# worker get their turn between runs.
BATCHES_PER_RUN = 10


@task()
def embed_documents() -> int:
    """Embed the search documents whose embedding is missing or stale, a
    few batches per run; queue the next run while some remain. Safe to run
    twice at once (a vector is written only for the words it was made of)."""
    done = 0
    for _ in range(BATCHES_PER_RUN):
        read, written = embeddings_batch()
        done += written
        if read == 0:
            return done
    embeddings_queue()
    return done


def embeddings_queue() -> None:
    """Queue one embedding run unless one is already waiting."""
    tick_schedule(embed_documents)
