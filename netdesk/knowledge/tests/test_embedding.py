"""Embeddings: the worker's task, stale vectors, the per-process vector
index, and the real model (a German question finds an English article)."""

import numpy as np
import pytest
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from netdesk.accounts.models import Role
from netdesk.knowledge.models import ArticleState, Audience, DocumentKind, SearchDocument
from netdesk.knowledge.search import (
    Reader,
    embedder,
    embeddings_refresh_all,
    keyword_search,
    search,
)
from netdesk.knowledge.search.embedding import MODEL, embed_passages, embed_query, vector_from
from netdesk.knowledge.search.vectors import vector_index
from netdesk.knowledge.services.articles import article_create, article_update
from netdesk.knowledge.services.documents import document_drop, document_put
from netdesk.knowledge.tasks import BATCHES_PER_RUN, embed_documents
from tests import factories as f

pytestmark = pytest.mark.django_db

ARTICLES = {
    "router": (
        "Router keeps restarting",
        "If the router restarts by itself every few minutes, check the power supply "
        "and replace the power adapter.",
    ),
    "invoice": (
        "Change the billing address on an invoice",
        "Customers change the postal address for invoices in the self-service portal.",
    ),
    "wifi": (
        "Weak WiFi signal in some rooms",
        "Move the router to a central place or add a mesh access point.",
    ),
}


def _publish(title, body, **extra):
    return article_create(actor=None, title=title, body=body, state=ArticleState.PUBLISHED, **extra)


@pytest.fixture
def agent():
    return f.user(Role.HOTLINE_OPERATOR)


def test_the_task_embeds_stale_documents_and_is_safe_to_run_twice():
    articles = [_publish(title, body) for title, body in ARTICLES.values()]
    assert SearchDocument.objects.filter(embedded_at__isnull=True).count() == 3
    assert embed_documents.call() == 3
    assert embed_documents.call() == 0
    document = SearchDocument.objects.get(object_id=articles[0].pk)
    assert document.embedding_model == MODEL
    assert document.embedded_at is not None
    assert document.embedded_at >= document.updated_at
    assert document.embedding is not None
    vector = vector_from(document.embedding)
    assert vector.shape == (384,)
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-3
    # A change of words makes the vector stale; a change of state alone does not.
    article_update(actor=None, article_id=articles[0].pk, body="Replace the power adapter.")
    document.refresh_from_db()
    assert document.embedded_at is None
    assert embedder.embeddings_stale_count() == 1
    assert embeddings_refresh_all() == 1
    assert embedder.embeddings_stale_count() == 0


def test_a_vector_of_words_changed_meanwhile_is_not_written(monkeypatch):
    article = _publish(*ARTICLES["router"])
    real = embed_passages

    def change_while_embedding(texts):
        # The article is edited while the model reads its old words.
        article_update(actor=None, article_id=article.pk, body="New words.")
        return real(texts)

    monkeypatch.setattr(embedder, "embed_passages", change_while_embedding)
    assert embedder.embeddings_batch() == (1, 0)
    assert SearchDocument.objects.get(object_id=article.pk).embedded_at is None


def test_a_long_backlog_queues_the_next_run(monkeypatch):
    monkeypatch.setattr(embedder, "BATCH", 1)
    monkeypatch.setattr(embedder.embeddings_batch, "__kwdefaults__", {"size": 1})
    for n in range(BATCHES_PER_RUN + 1):
        document_put(kind=DocumentKind.MACRO, object_id=n, title=f"Macro {n}", body="Reply")
    DBTaskResult.objects.all().delete()
    assert embed_documents.call() == BATCHES_PER_RUN
    waiting = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert [r.task_path for r in waiting] == [embed_documents.module_path]
    assert embed_documents.call() == 1


def test_search_is_keyword_only_while_embeddings_are_missing_and_hybrid_after(agent):
    router = _publish(*ARTICLES["router"])
    _publish(*ARTICLES["invoice"])
    question = "my modem reboots all the time"
    # No shared word, no embeddings yet: nothing, and no error.
    assert search(text=question, reader=Reader(user=agent)) == []
    embeddings_refresh_all()
    hits = search(text=question, reader=Reader(user=agent))
    assert hits[0].object_id == router.pk
    assert keyword_search(text=question, reader=Reader(user=agent)) == []


def test_a_german_question_finds_the_english_article(agent):
    ids = {key: _publish(title, body).pk for key, (title, body) in ARTICLES.items()}
    embeddings_refresh_all()
    hits = search(
        text="Mein Router startet ständig neu, was kann ich tun?", reader=Reader(user=agent)
    )
    assert hits[0].object_id == ids["router"]
    hits = search(text="Wie ändere ich die Rechnungsadresse?", reader=Reader(user=agent))
    assert hits[0].object_id == ids["invoice"]


def test_meaning_never_reaches_past_what_the_reader_may_see(agent):
    internal = _publish(*ARTICLES["router"])
    public = _publish(*ARTICLES["wifi"], audience=Audience.PUBLIC)
    draft = article_create(actor=None, title="Router restarts (draft)", body="Draft text.")
    embeddings_refresh_all()
    question = "Mein Router startet ständig neu"
    found = {h.object_id for h in search(text=question, reader=Reader(public_only=True))}
    assert found <= {public.pk}
    found = {h.object_id for h in search(text=question, reader=Reader(user=agent))}
    assert internal.pk in found
    assert draft.pk not in found


def test_the_vector_index_follows_changes_without_reading_everything_again(agent):
    a = _publish(*ARTICLES["router"])
    embeddings_refresh_all()
    first = vector_index.get()
    assert first.size == 1
    b = _publish(*ARTICLES["invoice"])
    embeddings_refresh_all()
    second = vector_index.get()
    assert second.size == 2
    # Appended in place: the matrix was not copied.
    assert second.matrix is first.matrix
    # A stale vector leaves the index until embedded again; a dropped
    # document leaves it for good.
    article_update(actor=None, article_id=a.pk, body="Completely new text.")
    assert _nearest("router") == [_document_id(b)]
    embeddings_refresh_all()
    assert sorted(_nearest("router")) == sorted([_document_id(a), _document_id(b)])
    document_drop(kind=DocumentKind.ARTICLE, object_id=b.pk)
    assert _nearest("router") == [_document_id(a)]


def _nearest(text):
    index = vector_index.get()
    nearest = index.nearest(
        embed_query(text), kinds=("article",), public_only=False, live_only=True, limit=5
    )
    return [document_id for document_id, _ in nearest]


def _document_id(article):
    return SearchDocument.objects.get(kind=DocumentKind.ARTICLE, object_id=article.pk).pk


def test_passages_are_embedded_in_batches_like_one_by_one():
    texts = [body for _, body in ARTICLES.values()]
    together = embed_passages(texts)
    alone = np.vstack([embed_passages([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-3)
