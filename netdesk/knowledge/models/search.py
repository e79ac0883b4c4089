"""The search index: one row per thing the desk can suggest (a published
article, a resolved ticket with its resolution, an active macro), indexed
by the database's full-text search and, once the worker has embedded it,
by its meaning."""

from __future__ import annotations

from django.db import models

from netdesk.accounts.models import SupportGroup
from netdesk.knowledge.models.articles import Audience


class DocumentKind(models.TextChoices):
    ARTICLE = "article", "Article"
    TICKET = "ticket", "Resolved ticket"
    MACRO = "macro", "Macro"


class SearchDocument(models.Model):
    """What search reads of an article, a resolved ticket or a macro: plain
    text (Markdown reduced to words), who may see it and its embedding.

    The full-text index follows the rows by itself: an FTS5 table kept by
    triggers on SQLite, a tsvector column kept by a trigger with a GIN index
    on PostgreSQL (migration 0002). The embedding is written by the worker
    after the row changes: `embedded_at` older than `updated_at` (or empty)
    means the meaning is not known yet, and search uses keywords alone."""

    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    object_id = models.PositiveBigIntegerField()
    title = models.CharField(max_length=300)
    body = models.TextField()
    # A resolved ticket's resolution (what solved it), shown with the hit.
    answer = models.TextField(blank=True, default="")
    language = models.CharField(max_length=10, default="en")
    audience = models.CharField(max_length=20, choices=Audience.choices, default=Audience.INTERNAL)
    # Drafts and articles in review are indexed (editors search them) but
    # only live documents are suggested.
    live = models.BooleanField(default=True)
    # A macro offered only to these groups' members; a ticket seen only by
    # those who may see it (search filters tickets by the reader's scope).
    groups = models.ManyToManyField(SupportGroup, blank=True, related_name="+")
    updated_at = models.DateTimeField()
    # float32 little-endian, L2-normalised (384 numbers for e5-small).
    embedding = models.BinaryField(null=True, blank=True)
    embedding_model = models.CharField(max_length=60, blank=True, default="")
    embedded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="knowledge_document_unique")
        ]
        indexes = [models.Index(fields=["embedded_at"]), models.Index(fields=["kind", "live"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"
