"""Suspected outages: complaints clustering under one element or area
beyond what the time of day and weekday would explain."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from netdesk.network.models import Area, NetworkElement
from netdesk.tickets.models import Ticket


class OutageState(models.TextChoices):
    OPEN = "open", "Waiting for the NOC"
    CONFIRMED = "confirmed", "Confirmed (became an incident)"
    DISMISSED = "dismissed", "Dismissed"


class OutageConfidence(models.TextChoices):
    # Enough complaints beyond the baseline: a suspected outage.
    OUTAGE = "outage", "Suspected outage"
    # One complaint from a place that never complains, with no alarm there:
    # worth a look, not an outage.
    HINT = "hint", "Low-confidence hint"


class SuspectedOutage(models.Model):
    element = models.ForeignKey(
        NetworkElement, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    confidence = models.CharField(
        max_length=10, choices=OutageConfidence.choices, default=OutageConfidence.OUTAGE
    )
    # The level of the network tree it was detected at (0 = the core), each
    # level with its own baselines, so a wide wave does not mask local spikes.
    level = models.PositiveSmallIntegerField(null=True, blank=True)
    raised_at = models.DateTimeField()
    window_start = models.DateTimeField()
    complaints = models.PositiveIntegerField(help_text="complaints in the window")
    expected = models.FloatField(help_text="what the baseline expected in the window")
    score = models.FloatField(help_text="how unusual: higher is stranger")
    explanation = models.TextField(blank=True, default="")
    tickets = models.ManyToManyField(Ticket, blank=True, related_name="+")
    state = models.CharField(max_length=20, choices=OutageState.choices, default=OutageState.OPEN)
    incident = models.ForeignKey(
        "noc.NetworkIncident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    dismissal_reason = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["-raised_at"]
        indexes = [models.Index(fields=["state", "raised_at"], name="outage_state_idx")]

    def __str__(self) -> str:
        return f"Suspected outage at {self.element or self.area} ({self.state})"
