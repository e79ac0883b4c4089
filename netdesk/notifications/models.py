"""In-app notifications: what an agent should look at (a ticket assigned to
them, a customer's reply, a service-level warning on their ticket, a low
survey rating to follow up), shown under the bell until read."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", "Assigned to you"
    CUSTOMER_REPLIED = "customer_replied", "Customer replied"
    SLA_WARNING = "sla_warning", "Service-level warning"
    SLA_BREACH = "sla_breach", "Service level breached"
    SURVEY_FOLLOW_UP = "survey_follow_up", "Low rating to follow up"


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(max_length=200)
    url = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["recipient", "read_at", "id"], name="notification_inbox_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.recipient_id}: {self.title}"
