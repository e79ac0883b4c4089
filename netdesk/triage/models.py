"""Text triage: what a new ticket's words say it is (type, category, the
group that should take it), learned from the desk's own resolved tickets."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from netdesk.accounts.models import SupportGroup
from netdesk.tickets.choices import TicketType
from netdesk.tickets.models import Category, Ticket


class TriageModel(models.Model):
    """One trained classifier. The newest active row answers; older rows stay
    so a suggestion can say which model made it. The parameters are plain
    JSON (vocabulary, weights), never pickled code."""

    trained_at = models.DateTimeField()
    # "keywords" for the cold-start rules, "tfidf-logreg" for a learned model.
    method = models.CharField(max_length=40)
    tickets = models.PositiveIntegerField(help_text="resolved tickets it was trained on")
    parameters = models.JSONField(default=dict, blank=True)
    # Cross-validated figures on its own training data: accuracy and
    # macro-F1 per target, the majority-class baseline beside them.
    figures = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-trained_at", "-id"]

    def __str__(self) -> str:
        return f"{self.method} trained {self.trained_at:%Y-%m-%d %H:%M} on {self.tickets}"


class TriagePolicy(models.Model):
    """The desk's settings for triage (one row): above what confidence a
    suggestion is applied by itself to tickets from mail and the portal."""

    auto_apply = models.BooleanField(default=True)
    threshold = models.FloatField(
        default=0.85, help_text="confidence (0–1) at or above which a suggestion is applied"
    )
    retrain_hours = models.PositiveIntegerField(
        default=24, help_text="how often the worker trains on resolved tickets"
    )
    min_tickets = models.PositiveIntegerField(
        default=200, help_text="resolved tickets needed before a learned model replaces keywords"
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "triage policy"

    def __str__(self) -> str:
        return (
            f"Triage: apply at {self.threshold:.2f}" if self.auto_apply else "Triage: suggest only"
        )


class TriageSuggestion(models.Model):
    """What triage made of one ticket's text when it arrived, and whether it
    was applied (by the desk above the threshold, or by an agent)."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="triage")
    model = models.ForeignKey(
        TriageModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    method = models.CharField(max_length=40)
    ticket_type = models.CharField(max_length=30, choices=TicketType.choices)
    type_confidence = models.FloatField()
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    category_confidence = models.FloatField(default=0.0)
    group = models.ForeignKey(
        SupportGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    group_confidence = models.FloatField(default=0.0)
    # Whether the words describe a network fault (loss or degradation of
    # service), whatever type the ticket was given: the complaint-spike
    # detector counts only these.
    network_fault = models.BooleanField(default=False)
    network_fault_confidence = models.FloatField(default=0.0)
    # The words that weighed most, for the agent ("no internet", "since").
    evidence = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    applied_automatically = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"Triage of ticket {self.ticket_id}: {self.ticket_type} ({self.type_confidence:.2f})"
