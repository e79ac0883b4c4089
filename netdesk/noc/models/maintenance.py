"""Planned work: alarms on its elements are suppressed while it runs, and
the status page announces it."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from netdesk.network.models import Area, NetworkElement


class MaintenanceWindow(models.Model):
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    elements = models.ManyToManyField(NetworkElement, blank=True, related_name="maintenance")
    areas = models.ManyToManyField(Area, blank=True, related_name="maintenance")
    customer_description = models.TextField(
        blank=True, default="", help_text="what customers are told (status page)"
    )
    public = models.BooleanField(default=True, help_text="announce on the status page")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["starts_at", "ends_at"], name="maintenance_time_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="maintenance_ends_after"
            )
        ]

    def __str__(self) -> str:
        return self.title
