"""Alarms as the NOC sees them: one row per fingerprint while it fires,
however many times the source repeats it."""

from __future__ import annotations

from django.db import models

from netdesk.network.models import NetworkElement


class AlarmSource(models.TextChoices):
    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
    GENERIC = "generic", "Generic JSON"
    SNMP = "snmp", "SNMP trap"
    SYSLOG = "syslog", "Syslog"
    MANUAL = "manual", "Entered by hand"


class AlarmSeverity(models.IntegerChoices):
    # Lower is worse, so ordering by severity puts critical first.
    CRITICAL = 1, "Critical"
    MAJOR = 2, "Major"
    MINOR = 3, "Minor"
    WARNING = 4, "Warning"
    INFO = 5, "Info"


class AlarmState(models.TextChoices):
    FIRING = "firing", "Firing"
    CLEARED = "cleared", "Cleared"


class Alarm(models.Model):
    """One problem on one element. A repeat of the same fingerprint while it
    fires bumps `occurrences`; a clear followed by a new fire within the
    flapping window counts as a flap."""

    fingerprint = models.CharField(max_length=200)
    source = models.CharField(max_length=20, choices=AlarmSource.choices)
    element = models.ForeignKey(
        NetworkElement, null=True, blank=True, on_delete=models.SET_NULL, related_name="alarms"
    )
    # What the source called the element, kept when it matched nothing.
    element_ref = models.CharField(max_length=200, blank=True, default="")
    name = models.CharField(max_length=200, help_text="alarm type, e.g. LinkDown")
    severity = models.PositiveSmallIntegerField(
        choices=AlarmSeverity.choices, default=AlarmSeverity.MAJOR
    )
    summary = models.CharField(max_length=500, blank=True, default="")
    labels = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=AlarmState.choices, default=AlarmState.FIRING)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)
    occurrences = models.PositiveIntegerField(default=1)
    flaps = models.PositiveIntegerField(default=0)
    is_flapping = models.BooleanField(default=False)
    # Fired inside a maintenance window on its element: kept, not acted on.
    suppressed_by = models.ForeignKey(
        "noc.MaintenanceWindow", null=True, blank=True, on_delete=models.SET_NULL
    )
    incident = models.ForeignKey(
        "noc.NetworkIncident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alarms",
    )

    class Meta:
        indexes = [
            models.Index(fields=["fingerprint", "state"], name="alarm_fingerprint_idx"),
            models.Index(fields=["state", "element"], name="alarm_state_element_idx"),
            models.Index(fields=["incident"], name="alarm_incident_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} on {self.element or self.element_ref}"


class RootCauseModel(models.Model):
    """What root-cause ranking learned from this network's alarm history:
    how often each alarm type comes first (type priors), which types precede
    which within a window chosen from the data, and how the ranking scored
    against simple baselines on held-out history. The newest row is used."""

    learned_at = models.DateTimeField()
    learned_from = models.DateTimeField()
    learned_until = models.DateTimeField()
    alarms = models.PositiveIntegerField(help_text="alarms it was learned from")
    window_seconds = models.PositiveIntegerField(help_text="precedence window chosen from the data")
    parameters = models.JSONField(default=dict, blank=True)
    figures = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-learned_at", "-id"]

    def __str__(self) -> str:
        return f"Root-cause model learned {self.learned_at:%Y-%m-%d} from {self.alarms} alarms"


class RejectedInput(models.Model):
    """Input a listener or endpoint could not use, kept so the NOC can see
    what was refused and why (counted per source and reason)."""

    source = models.CharField(max_length=20, choices=AlarmSource.choices)
    reason = models.CharField(max_length=300)
    excerpt = models.TextField(blank=True, default="", help_text="the first 1,000 characters")
    peer = models.CharField(max_length=100, blank=True, default="")
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["source", "at"], name="rejected_source_idx")]

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"
