"""Satisfaction surveys: one short survey per resolved ticket (a 1–5
rating, a comment, optionally NPS 0–10), scheduled, sampled, capped per
customer, sent by the channel the customer used, answered on a public page
without login, and a follow-up for the team lead when the rating is low."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class IncidentMode(models.TextChoices):
    # Tickets resolved by a network incident: one survey per incident and
    # customer, or none at all (an outage must not flood customers or
    # distort an agent's score).
    PER_INCIDENT = "per_incident", "One survey per incident and customer"
    NONE = "none", "No survey"


class SurveySettings(models.Model):
    """The desk's survey settings (one row). Until a manager saves them the
    defaults below apply (reading writes nothing)."""

    enabled = models.BooleanField(default=True)
    delay_minutes = models.PositiveIntegerField(
        default=60, help_text="minutes after the resolution before the survey is sent"
    )
    ask_nps = models.BooleanField(default=False, help_text="also ask the 0–10 recommendation")
    customer_cap_days = models.PositiveIntegerField(
        default=30, help_text="at most one survey per customer within this many days"
    )
    expiry_days = models.PositiveIntegerField(
        default=14, help_text="a survey not answered within this many days expires"
    )
    incident_mode = models.CharField(
        max_length=20, choices=IncidentMode.choices, default=IncidentMode.PER_INCIDENT
    )
    low_rating_max = models.PositiveSmallIntegerField(
        default=2, help_text="ratings up to this open a follow-up for the team lead"
    )
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return "Survey settings"


class GroupSampling(models.Model):
    """The share of a group's resolved tickets that are surveyed (every
    ticket when a group has no row)."""

    group = models.OneToOneField(
        "accounts.SupportGroup", on_delete=models.CASCADE, related_name="survey_sampling"
    )
    percent = models.PositiveSmallIntegerField(default=100)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(percent__lte=100), name="survey_sampling_percent_max"
            )
        ]

    def __str__(self) -> str:
        return f"{self.group}: {self.percent} %"


class SurveyState(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    SENT = "sent", "Sent"
    ANSWERED = "answered", "Answered"
    EXPIRED = "expired", "Expired"
    SUPPRESSED = "suppressed", "Suppressed"


class Survey(models.Model):
    """The survey of one resolved ticket. What reports group by (group,
    agent, category, segment, channel) is copied at resolution, so a later
    change to the ticket does not move an answer between groups."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="survey")
    # Random and unique; the public token is derived from it with the
    # site's secret (see services), so nothing that opens the page is stored.
    public_id = models.CharField(max_length=32, unique=True)
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    group = models.ForeignKey(
        "accounts.SupportGroup", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    category = models.ForeignKey(
        "tickets.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    segment = models.CharField(max_length=20, blank=True, default="")
    channel = models.CharField(max_length=20, help_text="the channel it is sent by")
    # The network incident that resolved the ticket, when one did.
    incident_ref = models.CharField(max_length=40, blank=True, default="")
    state = models.CharField(
        max_length=20, choices=SurveyState.choices, default=SurveyState.SCHEDULED
    )
    # Why it was suppressed (sampling, the customer cap, an incident, no address).
    reason = models.CharField(max_length=300, blank=True, default="")
    resolved_at = models.DateTimeField()
    scheduled_for = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    editable_until = models.DateTimeField(null=True, blank=True)
    asks_nps = models.BooleanField(default=False)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    nps = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["state", "scheduled_for"], name="survey_due_idx"),
            models.Index(fields=["state", "expires_at"], name="survey_expiry_idx"),
            models.Index(fields=["customer", "sent_at"], name="survey_customer_idx"),
            models.Index(fields=["resolved_at"], name="survey_resolved_idx"),
            # One survey per incident and customer: is there one already?
            models.Index(fields=["incident_ref", "customer"], name="survey_incident_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="survey_rating_range",
            ),
            models.CheckConstraint(
                condition=models.Q(nps__isnull=True) | models.Q(nps__lte=10),
                name="survey_nps_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Survey of ticket {self.ticket_id} ({self.state})"


class FollowUpState(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"


class SurveyFollowUp(models.Model):
    """A low rating's task for the team lead of the ticket's group: call the
    customer back, find out what went wrong, note what was done."""

    survey = models.OneToOneField(Survey, on_delete=models.CASCADE, related_name="follow_up")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    group = models.ForeignKey(
        "accounts.SupportGroup", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(
        max_length=10, choices=FollowUpState.choices, default=FollowUpState.OPEN
    )
    # The rating that opened it: the customer may raise it within the edit
    # window, and the team lead still sees what was first said.
    opened_rating = models.PositiveSmallIntegerField(default=1)
    note = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["owner", "state"], name="survey_followup_owner_idx")]

    def __str__(self) -> str:
        return f"Follow-up of {self.survey}"
