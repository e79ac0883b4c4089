"""Everything the desk sends: one queue, each message a row with its state."""

from __future__ import annotations

from django.db import models


class OutboundKind(models.TextChoices):
    REPLY = "reply", "Agent's reply"
    ACKNOWLEDGEMENT = "acknowledgement", "Acknowledgement of a new request"
    STATUS = "status", "Status change"
    INCIDENT_NOTICE = "incident_notice", "Incident notice"
    ALL_CLEAR = "all_clear", "Incident all-clear"
    SLA_NOTICE = "sla_notice", "Service-level escalation notice"
    TEST = "test", "Test message"
    # Worded by the portal itself (the link in it is good once, for minutes).
    PORTAL_SIGN_IN = "portal_sign_in", "Customer portal sign-in link"
    # A subscribed report (its tables attached as CSV or XLSX).
    REPORT = "report", "Scheduled report"
    # A resolved ticket's satisfaction survey (a link to its public page).
    SURVEY = "survey", "Satisfaction survey"


# Automatic messages carry Auto-Submitted: auto-generated, so that other
# systems' auto-responders do not answer them (RFC 3834).
AUTOMATIC_KINDS = frozenset(
    {
        OutboundKind.ACKNOWLEDGEMENT,
        OutboundKind.STATUS,
        OutboundKind.INCIDENT_NOTICE,
        OutboundKind.ALL_CLEAR,
        OutboundKind.SLA_NOTICE,
        OutboundKind.PORTAL_SIGN_IN,
        OutboundKind.REPORT,
        OutboundKind.SURVEY,
    }
)


class OutboundState(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (gave up)"
    BOUNCED = "bounced", "Bounced"


class OutboundMessage(models.Model):
    """One message to send. The worker claims due rows, sends them over
    SMTP and records the server's answer; failures are retried with backoff."""

    kind = models.CharField(max_length=20, choices=OutboundKind.choices)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="outbound_mail",
    )
    mailbox = models.ForeignKey(
        "channels.Mailbox", null=True, blank=True, on_delete=models.SET_NULL
    )
    comment = models.ForeignKey(
        "tickets.Comment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_address = models.CharField(max_length=320, blank=True, default="")
    to_addresses = models.TextField(help_text="Comma-separated addresses.")
    cc_addresses = models.TextField(blank=True, default="")
    subject = models.TextField()
    body = models.TextField()
    message_id = models.CharField(max_length=250, unique=True)
    in_reply_to = models.CharField(max_length=998, blank=True, default="")
    references = models.TextField(blank=True, default="")
    automatic = models.BooleanField(default=False)
    state = models.CharField(
        max_length=10, choices=OutboundState.choices, default=OutboundState.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    server_answer = models.TextField(blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    escalation_notice = models.OneToOneField(
        "sla.EscalationNotice",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="outbound",
    )
    incident = models.ForeignKey(
        "noc.NetworkIncident", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    incident_update = models.ForeignKey(
        "noc.IncidentUpdate", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # How many OutboundAttachment rows it has: delivery reads them only for
    # a message that has some, so ordinary mail costs no extra query.
    attachment_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            # An incident update reaches each affected customer once.
            models.UniqueConstraint(
                fields=["kind", "incident_update", "customer"],
                condition=models.Q(incident_update__isnull=False),
                name="channels_outbound_notice_once",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="channels_outbound_due"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_addresses}"[:120]


class OutboundAttachment(models.Model):
    """A file sent with an outbound message (a scheduled report's table),
    kept with the row so a retry sends the same bytes."""

    message = models.ForeignKey(
        OutboundMessage, on_delete=models.CASCADE, related_name="attachments"
    )
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    content = models.BinaryField()

    class Meta:
        ordering = ["message", "pk"]

    def __str__(self) -> str:
        return self.filename


class TemplateEvent(models.TextChoices):
    ACKNOWLEDGEMENT = "acknowledgement", "New request received"
    REPLY = "reply", "Agent's reply"
    STATUS_RESOLVED = "status_resolved", "Ticket resolved"
    INCIDENT_NOTICE = "incident_notice", "Incident notice"
    ALL_CLEAR = "all_clear", "Incident all-clear"
    SLA_NOTICE = "sla_notice", "Service-level escalation notice"
    SURVEY = "survey", "Satisfaction survey"


class MessageTemplate(models.Model):
    """The wording of one kind of message in one language, in Django
    template syntax, rendered as plain text."""

    event = models.CharField(max_length=20, choices=TemplateEvent.choices)
    language = models.CharField(max_length=10, default="en")
    subject = models.CharField(max_length=300)
    body = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["event", "language"]
        constraints = [
            models.UniqueConstraint(fields=["event", "language"], name="channels_template_once")
        ]

    def __str__(self) -> str:
        return f"{self.event} ({self.language})"
