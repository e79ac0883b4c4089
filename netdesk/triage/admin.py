from django.contrib import admin

from netdesk.core.admin import DataChangedMixin
from netdesk.triage.models import TriageModel, TriagePolicy, TriageSuggestion


@admin.register(TriageModel)
class TriageModelAdmin(DataChangedMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    # Switching a model off or on changes the classifier every process uses.
    list_display = ("trained_at", "method", "tickets", "is_active")
    list_filter = ("method", "is_active")
    # Parameters are the learned weights: read, never edited by hand.
    readonly_fields = ("trained_at", "method", "tickets", "parameters", "figures")


@admin.register(TriagePolicy)
class TriagePolicyAdmin(DataChangedMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    # Every process keeps the policy (read by each new ticket).
    list_display = ("__str__", "retrain_hours", "min_tickets", "updated_at", "updated_by")


@admin.register(TriageSuggestion)
class TriageSuggestionAdmin(admin.ModelAdmin[TriageSuggestion]):
    list_display = ("ticket", "method", "ticket_type", "type_confidence", "applied_automatically")
    list_filter = ("method", "applied_automatically", "network_fault")
    raw_id_fields = ("ticket", "applied_by")
    list_select_related = ("ticket",)
