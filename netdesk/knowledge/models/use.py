"""How articles are used: linked to the tickets they solved, and flagged
as not helpful by agents and customers."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from netdesk.customers.models import Contact
from netdesk.knowledge.models.articles import Article
from netdesk.tickets.models import Ticket


class LinkKind(models.TextChoices):
    # The article solved the ticket (the reuse that counts).
    SOLVED = "solved", "Solved the ticket"
    # Read or sent while working the ticket, without solving it.
    USED = "used", "Used"


class ArticleLink(models.Model):
    """An article linked to a ticket. `first_contact` records that the
    ticket was resolved in its first contact with this article, so the
    article's page can show its first-contact resolutions."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="links")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=LinkKind.choices, default=LinkKind.SOLVED)
    first_contact = models.BooleanField(default=False)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "ticket"], name="knowledge_link_unique")
        ]
        indexes = [models.Index(fields=["ticket"])]

    def __str__(self) -> str:
        return f"article {self.article_id} {self.kind} ticket {self.ticket_id}"


class ArticleFeedback(models.Model):
    """A "not helpful" flag from an agent (user) or a customer (contact),
    with what was missing. One flag per person and article; a later one
    replaces the earlier."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    helpful = models.BooleanField(default=False)
    comment = models.CharField(max_length=500, blank=True, default="")
    given_at = models.DateTimeField()
    # The article's version the flag was given on: an edit may answer it.
    article_version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) ^ models.Q(contact__isnull=False),
                name="knowledge_feedback_one_author",
            ),
            models.UniqueConstraint(
                fields=["article", "user"],
                condition=models.Q(user__isnull=False),
                name="knowledge_feedback_one_per_user",
            ),
            models.UniqueConstraint(
                fields=["article", "contact"],
                condition=models.Q(contact__isnull=False),
                name="knowledge_feedback_one_per_contact",
            ),
        ]

    def __str__(self) -> str:
        return f"feedback on article {self.article_id}"
