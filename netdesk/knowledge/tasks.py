"""Background work of the knowledge base: embedding what changed."""

from __future__ import annotations

from django_tasks import task

from netdesk.core.ticks import tick_schedule


@task()
def embed_documents() -> int:
    """Embed the search documents whose embedding is missing or stale."""
    # Filled in by the search engine module (netdesk.knowledge.search).
    return 0


def embeddings_queue() -> None:
    """Queue one embedding run unless one is already waiting."""
    tick_schedule(embed_documents)
