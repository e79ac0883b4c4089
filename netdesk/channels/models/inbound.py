"""Mail as it arrived: the raw bytes first, then what the desk made of it."""

from __future__ import annotations

from django.db import models


class Source(models.TextChoices):
    PIPE = "pipe", "MTA pipe"
    IMAP = "imap", "IMAP"
    SMTP = "smtp", "SMTP/LMTP listener"
    DEMO = "demo", "Demo"


class InboundState(models.TextChoices):
    RECEIVED = "received", "Received, not processed yet"
    PROCESSED = "processed", "Processed"
    QUARANTINED = "quarantined", "Quarantined"


class Outcome(models.TextChoices):
    TICKET_CREATED = "ticket_created", "Opened a ticket"
    REPLY_ADDED = "reply_added", "Added to a ticket"
    DUPLICATE = "duplicate", "Duplicate of a message already taken"
    QUARANTINED = "quarantined", "Quarantined"
    BOUNCE = "bounce", "Delivery report (bounce)"
    AUTO_REPLY = "auto_reply", "Automatic reply, not answered"


class InboundMessage(models.Model):
    """One received mail. The raw bytes are stored before anything else is
    done with them, so a mail that cannot be handled is kept with its reason
    (quarantined) and can be processed again."""

    mailbox = models.ForeignKey(
        "channels.Mailbox", null=True, blank=True, on_delete=models.PROTECT, related_name="inbound"
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    imap_uidvalidity = models.BigIntegerField(null=True, blank=True)
    imap_uid = models.BigIntegerField(null=True, blank=True)
    message_id = models.CharField(max_length=998, blank=True, default="", db_index=True)
    content_hash = models.CharField(max_length=64, db_index=True)
    raw = models.BinaryField()
    size = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(db_index=True)
    state = models.CharField(
        max_length=12, choices=InboundState.choices, default=InboundState.RECEIVED
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True, default="")
    reason = models.TextField(blank=True, default="")
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_mail",
    )
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL
    )
    sender = models.CharField(max_length=320, blank=True, default="", db_index=True)
    sender_name = models.CharField(max_length=200, blank=True, default="")
    subject = models.TextField(blank=True, default="")
    to_addresses = models.TextField(blank=True, default="")
    cc_addresses = models.TextField(blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True, help_text="The mail's Date header.")
    text = models.TextField(blank=True, default="", help_text="The whole text, quotes included.")
    html = models.TextField(blank=True, default="", help_text="Sanitised HTML.")
    reply_text = models.TextField(
        blank=True, default="", help_text="The new part: quoted history and signature folded."
    )
    problems = models.TextField(blank=True, default="", help_text="Defects worked around.")
    attachments = models.ManyToManyField("tickets.Attachment", blank=True, related_name="+")
    # What an HTML image's `cid:` names: written as the parts are stored, so
    # the conversation shows inline images without reading the raw mail.
    content_ids = models.JSONField(
        default=dict, blank=True, help_text="Content-ID of each stored part -> attachment id."
    )
    attempts = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["received_at", "pk"]
        constraints = [
            # A message taken from IMAP once is never taken twice, even when
            # the fetcher died before it could move it on the server.
            models.UniqueConstraint(
                fields=["mailbox", "imap_uidvalidity", "imap_uid"],
                condition=models.Q(imap_uid__isnull=False),
                name="channels_inbound_imap_uid_once",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "received_at"], name="channels_inbound_state"),
            models.Index(fields=["sender", "received_at"], name="channels_inbound_sender"),
        ]

    def __str__(self) -> str:
        return f"{self.sender}: {self.subject}"[:120]
