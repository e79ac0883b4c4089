"""The ticket's timeline: one row per change, written by the service that made it."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from netdesk.tickets.models.ticket import Ticket


class EventKind(models.TextChoices):
    CREATED = "created", "Created"
    FIELD_CHANGED = "field_changed", "Field changed"
    STATUS_CHANGED = "status_changed", "Status changed"
    ASSIGNED = "assigned", "Assigned"
    ESCALATED_FUNCTIONAL = "escalated_functional", "Escalated to another group"
    ESCALATED_HIERARCHICAL = "escalated_hierarchical", "Escalated to supervisor"
    RESOLVED = "resolved", "Resolved"
    REOPENED = "reopened", "Reopened"
    CLOSED = "closed", "Closed"
    INTERACTION_LOGGED = "interaction_logged", "Contact logged"
    NOTE_ADDED = "note_added", "Internal note"
    REPLY_ADDED = "reply_added", "Reply to customer"
    ATTACHMENT_ADDED = "attachment_added", "Attachment added"
    LINKED = "linked", "Linked"
    UNLINKED = "unlinked", "Unlinked"
    MERGED = "merged", "Merged"
    SLA_WARNING = "sla_warning", "Service level warning"
    SLA_BREACHED = "sla_breached", "Service level breached"
    SLA_ESCALATION = "sla_escalation", "Escalation rule fired"
    DEESCALATED = "deescalated", "De-escalated"
    # What the NOC does to the network incident a ticket belongs to, and the
    # liaison with it on the ticket, each written by its own NOC service.
    INCIDENT_LINKED = "incident_linked", "Linked to network incident"
    INCIDENT_UNLINKED = "incident_unlinked", "Unlinked from network incident"
    INCIDENT_UPDATED = "incident_updated", "Network incident update"
    INCIDENT_RESOLVED = "incident_resolved", "Network incident resolved"
    TROUBLESHOOTING_REQUESTED = "troubleshooting_requested", "Remote troubleshooting requested"
    TROUBLESHOOTING_ANSWERED = "troubleshooting_answered", "Remote troubleshooting result"
    TROUBLESHOOTING_CLOSED = "troubleshooting_closed", "Remote troubleshooting request closed"


class TicketEvent(models.Model):
    """Who changed what on a ticket, when, from which value to which."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    at = models.DateTimeField()
    kind = models.CharField(max_length=40, choices=EventKind.choices)
    field = models.CharField(max_length=60, blank=True, default="")
    old_value = models.TextField(blank=True, default="")
    new_value = models.TextField(blank=True, default="")
    message = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "at"], name="ticket_event_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.field}"
