"""Macros: canned answers with placeholders, per group."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from netdesk.accounts.models import SupportGroup


class Macro(models.Model):
    """A reusable reply. Its body may hold placeholders ({{ customer.name }},
    {{ ticket.reference }}, {{ incident.eta }}, ...) filled in for the ticket
    it is used on. Without groups it is offered to every agent; with groups,
    only to their members."""

    name = models.CharField(max_length=120)
    body = models.TextField()
    language = models.CharField(max_length=10, default="en")
    groups = models.ManyToManyField(SupportGroup, blank=True, related_name="+")
    is_active = models.BooleanField(default=True)
    # How often agents used it (shown in the list; the busiest first).
    uses = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
