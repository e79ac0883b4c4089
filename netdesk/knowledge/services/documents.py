"""Writes to the search index (`SearchDocument`): what the article, ticket
and macro services call when something searchable changes."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from netdesk.core.memo import data_changed
from netdesk.knowledge.models import Audience, SearchDocument
from netdesk.knowledge.tasks import embeddings_queue

# The index keeps this much of a document's text; an article longer than
# this is still found by what it says first (titles weigh most anyway).
BODY_LIMIT = 20_000


@transaction.atomic
def document_put(
    *,
    kind: str,
    object_id: int,
    title: str,
    body: str,
    answer: str = "",
    language: str = "en",
    audience: str = Audience.INTERNAL,
    live: bool = True,
    group_ids: Iterable[int] = (),
) -> SearchDocument:
    """Index (or index again) one searchable thing. A change of its words
    marks its embedding stale and queues the worker to embed it; until then
    search finds it by keywords."""
    now = timezone.now()
    body = body[:BODY_LIMIT]
    answer = answer[:BODY_LIMIT]
    document = (
        SearchDocument.objects.select_for_update().filter(kind=kind, object_id=object_id).first()
    )
    if document is None:
        document = SearchDocument(kind=kind, object_id=object_id)
    words_changed = (document.title, document.body, document.answer) != (title, body, answer)
    document.title = title[:300]
    document.body = body
    document.answer = answer
    document.language = language
    document.audience = audience
    document.live = live
    document.updated_at = now
    if words_changed:
        document.embedded_at = None
    document.save()
    document.groups.set(list(group_ids))
    data_changed(SearchDocument)
    if words_changed:
        transaction.on_commit(embeddings_queue)
    return document


@transaction.atomic
def document_drop(*, kind: str, object_id: int) -> None:
    """Take one thing out of the index (a deleted macro, a ticket reopened)."""
    deleted, _ = SearchDocument.objects.filter(kind=kind, object_id=object_id).delete()
    if deleted:
        data_changed(SearchDocument)
