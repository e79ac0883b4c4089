"""Articles of the knowledge base, their versions, tags and attachments."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from netdesk.noc.models import NetworkIncident
from netdesk.tickets.models import Category, Ticket


class Audience(models.TextChoices):
    # Agents only (troubleshooting steps, internal contacts, workarounds).
    INTERNAL = "internal", "Internal (agents)"
    # Also customers: shown in the portal and offered before they open a ticket.
    PUBLIC = "public", "Public (customers too)"


class ArticleState(models.TextChoices):
    DRAFT = "draft", "Draft"
    REVIEW = "review", "In review"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


class Tag(models.Model):
    """A free word that groups articles ("dhcp", "router-reset"); stored in
    lower case so "DHCP" and "dhcp" are one tag."""

    name = models.CharField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    """A knowledge article: how to recognise a problem, why it happens and
    what to do, written in Markdown. Only published articles are suggested;
    only public ones are shown to customers."""

    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown")
    audience = models.CharField(max_length=20, choices=Audience.choices, default=Audience.INTERNAL)
    state = models.CharField(
        max_length=20, choices=ArticleState.choices, default=ArticleState.DRAFT
    )
    language = models.CharField(max_length=10, default="en", help_text="ISO 639-1, e.g. en, de")
    # Product names as services carry them (customers.Service.product).
    products = models.JSONField(default=list, blank=True)
    # customers.AccessTechnology values (ftth, vdsl, cable, ...).
    technologies = models.JSONField(default=list, blank=True)
    categories = models.ManyToManyField(Category, blank=True, related_name="+")
    tags = models.ManyToManyField(Tag, blank=True, related_name="articles")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # When the owner should check the article again (still true? still needed?).
    review_on = models.DateField(null=True, blank=True)
    # The key of an imported article: importing again updates it.
    external_id = models.CharField(max_length=200, blank=True, default="")
    # Drafted from a resolved ticket or a network incident (the KCS loop).
    source_ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_incident = models.ForeignKey(
        NetworkIncident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Counts up with every saved change; ArticleVersion keeps each one.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~models.Q(external_id=""),
                name="knowledge_article_external_id_unique",
            )
        ]
        indexes = [models.Index(fields=["state", "audience"])]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return f"KB-{self.pk:05d}" if self.pk else "KB-new"


class ArticleVersion(models.Model):
    """One saved state of an article: who changed it, when, and the whole
    text and fields as they were (the diff is made when shown)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    # The other fields as they were (audience, state, language, products,
    # technologies, tags, categories, owner, review_on).
    fields = models.JSONField(default=dict)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField()
    # What the editor said about the change ("steps for the new router firmware").
    note = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "number"], name="knowledge_version_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


class ArticleAttachment(models.Model):
    """A file or image of an article, stored under MEDIA_ROOT by a random
    name; its type is read from its content, not from what was declared."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    stored_name = models.CharField(max_length=64, unique=True)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.filename
