"""Saved views of the queue: a named set of filters, an order and the
columns to show, private to its owner or shared with a support group."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from netdesk.accounts.models import SupportGroup

# The queue's columns, in the order the table shows them.
QUEUE_COLUMNS = (
    "ref",
    "prio",
    "title",
    "customer",
    "status",
    "group",
    "assignee",
    "age",
    "due",
    "channel",
    "category",
)
DEFAULT_COLUMNS = ("ref", "prio", "title", "customer", "status", "group", "assignee", "age", "due")


def default_columns() -> list[str]:
    return list(DEFAULT_COLUMNS)


class SavedView(models.Model):
    """Filters + order + columns under a name. `query` holds the queue's GET
    parameters as lists of strings (the same names the API list takes), so
    one parser reads a view, the queue page and the API alike."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(max_length=100)
    # Null: private to the owner. Otherwise every member of the group sees it.
    shared_with = models.ForeignKey(
        SupportGroup,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="shared_views",
    )
    query = models.JSONField(default=dict, blank=True)
    order = models.CharField(max_length=20, default="priority")
    columns = models.JSONField(default=default_columns, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_view_unique_name")
        ]
        indexes = [
            models.Index(
                fields=["shared_with"],
                condition=models.Q(shared_with__isnull=False),
                name="saved_view_shared_idx",
            )
        ]

    def __str__(self) -> str:
        return self.name


class QueueDefault(models.Model):
    """The view a user's queue opens on when no filters are given."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="queue_default",
    )
    view = models.ForeignKey(SavedView, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"{self.user_id} → {self.view_id}"
