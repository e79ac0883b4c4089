"""The phone system's records: the CTI endpoints a PBX posts to, each
call's events as received, the calls they add up to, and the IVR's
outage lookups."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from netdesk.customers.models import Contact, Customer


class CtiEndpoint(models.Model):
    """Where one PBX (or bridge) posts its call events: /api/v1/cti/<token>.
    Only the SHA-256 of the token is kept; the path is shown once."""

    name = models.CharField(max_length=100, unique=True)
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class CallDirection(models.TextChoices):
    INBOUND = "in", "Inbound"
    OUTBOUND = "out", "Outbound"


class CallOutcome(models.TextChoices):
    ANSWERED = "answered", "Answered"
    MISSED = "missed", "Missed"
    ABANDONED = "abandoned", "Abandoned by the caller"
    BUSY = "busy", "Busy"
    REJECTED = "rejected", "Rejected"


class Call(models.Model):
    """One call as the PBX's events tell it. Times, direction and who
    answered come from the events; the agent adds the summary and outcome
    in the call report (the ticket's interaction)."""

    endpoint = models.ForeignKey(CtiEndpoint, on_delete=models.PROTECT, related_name="calls")
    call_id = models.CharField(max_length=250)
    from_number = models.CharField(max_length=64, blank=True, default="")
    to_number = models.CharField(max_length=64, blank=True, default="")
    direction = models.CharField(max_length=3, choices=CallDirection.choices)
    # The caller (inbound) or the called (outbound) as matched by number;
    # null for unknown numbers or when several customers match.
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    queue = models.CharField(max_length=100, blank=True, default="")
    # The user[] of the events: who the PBX rang.
    rang_users = models.JSONField(default=list)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answering_number = models.CharField(max_length=64, blank=True, default="")
    started_at = models.DateTimeField(db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=CallOutcome.choices, blank=True, default="")
    cause = models.CharField(max_length=40, blank=True, default="")
    # The caller was told of a known outage by the IVR before queueing
    # (the incident's reference), and still waited.
    heard_outage = models.CharField(max_length=20, blank=True, default="")
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    interaction = models.ForeignKey(
        "tickets.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A missed call stays on the callback list until someone calls back.
    called_back_at = models.DateTimeField(null=True, blank=True)
    called_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "call_id"], name="call_unique_per_endpoint")
        ]
        indexes = [models.Index(fields=["outcome", "started_at"], name="call_outcome_started")]

    def __str__(self) -> str:
        return f"{self.direction} {self.call_id}"


class CtiEvent(models.Model):
    """Every event a PBX posted, as received, kept even when refused (with
    why), so nothing the PBX said is lost."""

    endpoint = models.ForeignKey(
        CtiEndpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    call = models.ForeignKey(
        Call, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    event = models.CharField(max_length=20, blank=True, default="")
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(db_index=True)
    problem = models.TextField(blank=True, default="")

    def __str__(self) -> str:
        return f"{self.event or '?'} at {self.received_at:%Y-%m-%d %H:%M:%S}"


class CallerLookup(models.Model):
    """An IVR's question "is there a known outage for this caller?" and the
    answer, so a call that follows can be counted as heard-and-waited."""

    endpoint = models.ForeignKey(CtiEndpoint, on_delete=models.CASCADE, related_name="+")
    number_digits = models.CharField(max_length=40, db_index=True)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    incident_reference = models.CharField(max_length=20, blank=True, default="")
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"lookup {self.number_digits}"
