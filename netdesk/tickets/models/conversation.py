"""What was said: call reports (interactions), notes and replies, attachments."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from netdesk.customers.models import Contact, Customer
from netdesk.tickets.choices import Channel, Direction, Outcome, Visibility
from netdesk.tickets.models.ticket import Ticket


class Interaction(models.Model):
    """A call report: one contact with the customer (or between groups) on
    any channel — when, how long, with whom, what was said and the outcome."""

    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="interactions"
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="interactions")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    direction = models.CharField(max_length=20, choices=Direction.choices)
    started_at = models.DateTimeField()
    duration_seconds = models.PositiveIntegerField(default=0)
    summary = models.TextField()
    outcome = models.CharField(max_length=30, choices=Outcome.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["customer", "-started_at"], name="interaction_customer_idx"),
            models.Index(fields=["ticket", "started_at"], name="interaction_ticket_idx"),
            models.Index(fields=["agent", "started_at"], name="interaction_agent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.direction} {self.started_at:%Y-%m-%d %H:%M}"


class Comment(models.Model):
    """An internal note for colleagues or a reply the customer sees."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    # The customer's contact who wrote it (in the portal or a chat); null for
    # what agents and the desk write.
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    visibility = models.CharField(max_length=20, choices=Visibility.choices)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.visibility} on {self.ticket_id}"


def attachment_path(instance: Attachment, filename: str) -> str:  # noqa: ARG001  # Django's upload_to signature
    return f"attachments/{instance.ticket_id}/{instance.stored_name}"


class Attachment(models.Model):
    """A file on a ticket, checked against the size and type limits on upload."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path)
    stored_name = models.CharField(max_length=64)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.filename
