"""Network incidents: one per failure in the network, whatever number of
alarms and customer tickets it causes."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from netdesk.customers.models import Customer
from netdesk.network.models import NetworkElement
from netdesk.tickets.choices import RootCause
from netdesk.tickets.models import Ticket


class IncidentState(models.TextChoices):
    INVESTIGATING = "investigating", "Investigating"
    IDENTIFIED = "identified", "Identified"
    MONITORING = "monitoring", "Monitoring"
    RESOLVED = "resolved", "Resolved"


class DetectedBy(models.TextChoices):
    ALARM = "alarm", "Alarm"
    COMPLAINTS = "complaints", "Customer complaints"
    MANUAL = "manual", "NOC staff"


def incident_reference(number: int) -> str:
    return f"NI-{number}"


class NetworkIncident(models.Model):
    title = models.CharField(max_length=200)
    state = models.CharField(
        max_length=20, choices=IncidentState.choices, default=IncidentState.INVESTIGATING
    )
    technical_description = models.TextField(blank=True, default="", help_text="for the NOC")
    customer_description = models.TextField(
        blank=True, default="", help_text="what customer service may tell customers"
    )
    # The highest failed element; `elements` adds any others declared down.
    root_element = models.ForeignKey(
        NetworkElement, null=True, blank=True, on_delete=models.PROTECT, related_name="incidents"
    )
    elements = models.ManyToManyField(NetworkElement, blank=True, related_name="+")
    detected_by = models.CharField(max_length=20, choices=DetectedBy.choices)
    detected_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(help_text="when the failure began (first alarm or complaint)")
    detected_at = models.DateTimeField(help_text="when the NOC knew")
    resolved_at = models.DateTimeField(null=True, blank=True)
    eta = models.DateTimeField(null=True, blank=True, help_text="expected restoration")
    update_every_minutes = models.PositiveIntegerField(
        default=60, help_text="how often customer service gets an update"
    )
    next_update_due = models.DateTimeField(null=True, blank=True)
    root_cause = models.CharField(max_length=30, blank=True, default="", choices=RootCause.choices)
    # Impact, recomputed through the topology whenever the incident changes.
    affected_services = models.PositiveIntegerField(default=0)
    affected_customers = models.PositiveIntegerField(default=0)
    affected_key_accounts = models.ManyToManyField(Customer, blank=True, related_name="+")
    impact_computed_at = models.DateTimeField(null=True, blank=True)
    # Set when the incident turned out to be part of a bigger failure and was
    # folded into it: it is then resolved, and counted only as that one.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged"
    )
    # Set when the incident was cut off a bigger one (the parts cleared apart,
    # or it outgrew its bounds in time or topology).
    split_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="splits"
    )
    # The likeliest first cause among the incident's alarms, as the root-cause
    # ranking names it, with its reasons in words for the NOC.
    probable_root_alarm = models.ForeignKey(
        "noc.Alarm", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    root_cause_evidence = models.TextField(blank=True, default="")
    # Closed by the desk when every alarm had cleared for the hold time.
    closed_automatically = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["state", "id"], name="incident_state_idx")]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return incident_reference(self.pk)

    @property
    def is_active(self) -> bool:
        return self.state != IncidentState.RESOLVED


class IncidentUpdate(models.Model):
    """The incident's timeline: each state change or message, in both voices."""

    incident = models.ForeignKey(NetworkIncident, on_delete=models.CASCADE, related_name="updates")
    at = models.DateTimeField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    state = models.CharField(max_length=20, choices=IncidentState.choices)
    technical_note = models.TextField(blank=True, default="")
    customer_message = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.incident} {self.state} at {self.at:%Y-%m-%d %H:%M}"


class IncidentTicket(models.Model):
    """A customer ticket attached to an incident as its child. Unlinking
    keeps the row with who did it and why."""

    incident = models.ForeignKey(NetworkIncident, on_delete=models.CASCADE, related_name="links")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    linked_at = models.DateTimeField()
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    automatic = models.BooleanField(default=False)
    unlinked_at = models.DateTimeField(null=True, blank=True)
    unlinked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    unlink_reason = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "ticket"],
                condition=models.Q(unlinked_at__isnull=True),
                name="incident_ticket_one_live_link",
            )
        ]
        indexes = [models.Index(fields=["ticket"], name="incident_ticket_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.incident} ← ticket {self.ticket_id}"
