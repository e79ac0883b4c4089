"""Mailboxes: the addresses customers write to, and how the desk reads them."""

from __future__ import annotations

from django.db import models


class ImapSecurity(models.TextChoices):
    SSL = "ssl", "TLS from the start (IMAPS, usually port 993)"
    STARTTLS = "starttls", "STARTTLS (usually port 143)"
    NONE = "none", "None (only for a server on this machine)"


class Mailbox(models.Model):
    """One address of the desk. Mail reaches it by an MTA pipe
    (`netdesk mail ingest --mailbox NAME`) or by IMAP polling when an IMAP
    host is set. What it opens (type, group, category) is set here."""

    name = models.SlugField(max_length=60, unique=True)
    address = models.EmailField(help_text="The desk's address customers write to.")
    reply_address = models.EmailField(
        blank=True, default="", help_text="From/Reply-To of answers; the address when empty."
    )
    active = models.BooleanField(default=True)
    # Where new tickets from this mailbox go.
    ticket_type = models.CharField(max_length=30, default="fault")
    group = models.ForeignKey(
        "accounts.SupportGroup", null=True, blank=True, on_delete=models.SET_NULL
    )
    category = models.ForeignKey(
        "tickets.Category", null=True, blank=True, on_delete=models.SET_NULL
    )
    language = models.CharField(max_length=10, default="en")
    # IMAP polling (empty host: the mailbox is fed by an MTA pipe only).
    imap_host = models.CharField(max_length=200, blank=True, default="")
    imap_port = models.PositiveIntegerField(default=993)
    imap_security = models.CharField(
        max_length=10, choices=ImapSecurity.choices, default=ImapSecurity.SSL
    )
    imap_user = models.CharField(max_length=200, blank=True, default="")
    # Never logged, never shown back in a form or an API answer.
    imap_password = models.CharField(max_length=200, blank=True, default="")
    imap_folder = models.CharField(max_length=200, default="INBOX")
    done_folder = models.CharField(
        max_length=200,
        blank=True,
        default="",
        help_text="Taken mail moves here; when empty it is flagged as seen and left.",
    )
    fetch_every_seconds = models.PositiveIntegerField(default=60)
    # What the desk has taken so far: a new UIDVALIDITY means start over.
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    next_fetch_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0, help_text="Failed fetches in a row.")
    last_fetch_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    @property
    def from_address(self) -> str:
        return self.reply_address or self.address

    @property
    def polls_imap(self) -> bool:
        return bool(self.active and self.imap_host)
