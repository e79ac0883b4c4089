"""The call report of the NOC–customer service liaison: every exchange
between the two, on an incident or a ticket."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from netdesk.accounts.models import SupportGroup
from netdesk.tickets.models import Ticket


class LiaisonKind(models.TextChoices):
    STATUS_UPDATE = "status_update", "Incident update to customer service"
    TROUBLESHOOTING_REQUEST = "troubleshooting_request", "Remote troubleshooting requested"
    TROUBLESHOOTING_RESULT = "troubleshooting_result", "Remote troubleshooting result"
    # The ticket was resolved before the NOC answered: no test is needed now.
    REQUEST_CLOSED = "request_closed", "Troubleshooting request closed"
    QUESTION = "question", "Question"
    ANSWER = "answer", "Answer"


class LiaisonRecord(models.Model):
    incident = models.ForeignKey(
        "noc.NetworkIncident",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="liaison",
    )
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=30, choices=LiaisonKind.choices)
    from_group = models.ForeignKey(SupportGroup, on_delete=models.PROTECT, related_name="+")
    to_group = models.ForeignKey(SupportGroup, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    at = models.DateTimeField()
    body = models.TextField()
    # A troubleshooting result (or the request's closing) answers the request.
    answers = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="answered_by"
    )

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "at"], name="liaison_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.from_group} → {self.to_group}"
