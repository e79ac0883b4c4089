"""What reports keep: service plans (KPI targets for a period and scope)
and report subscriptions (a report mailed on a schedule)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class PlanScope(models.TextChoices):
    DESK = "desk", "Whole desk"
    GROUP = "group", "Support group"
    SEGMENT = "segment", "Customer segment"
    KEY_ACCOUNT = "key_account", "Key account"


class ServicePlan(models.Model):
    """The network service manager's service plan: named KPI targets for a
    period and a scope, followed on the dashboard and reported at its end."""

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, default="")
    scope = models.CharField(max_length=20, choices=PlanScope.choices, default=PlanScope.DESK)
    group = models.ForeignKey(
        "accounts.SupportGroup", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    segment = models.CharField(max_length=20, blank=True, default="")
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    period_start = models.DateField()
    period_end = models.DateField(help_text="the last day of the period (included)")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    # Set when the plan's end-of-period report was sent.
    reported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_start", "name"]

    def __str__(self) -> str:
        return self.name


class Comparison(models.TextChoices):
    AT_LEAST = "at_least", "at least"
    AT_MOST = "at_most", "at most"


class ServicePlanTarget(models.Model):
    plan = models.ForeignKey(ServicePlan, on_delete=models.CASCADE, related_name="targets")
    # A KPI name from reports (e.g. "sla_compliance", "fcr_rate", "csat_percent").
    kpi = models.CharField(max_length=40)
    comparison = models.CharField(
        max_length=10, choices=Comparison.choices, default=Comparison.AT_LEAST
    )
    target = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "kpi"], name="service_plan_target_unique")
        ]

    def __str__(self) -> str:
        return f"{self.plan}: {self.kpi} {self.comparison} {self.target}"


class Frequency(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"


class ReportSubscription(models.Model):
    """A report mailed on a schedule to a user or an address. It is rendered
    with the permissions of `reader` (the recipient user, or for a bare
    address the user who subscribed it), so an account manager's copy holds
    only their accounts."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="report_subscriptions",
    )
    address = models.EmailField(blank=True, default="")
    # Which report ("kpis", "sla", "failures", "csat", "tickets", "dashboard",
    # "service_plan") and its parameters (filters, period length, role).
    report = models.CharField(max_length=40)
    params = models.JSONField(default=dict, blank=True)
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    hour = models.PositiveSmallIntegerField(default=7, help_text="local hour it is sent at")
    weekday = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0 = Monday")
    day_of_month = models.PositiveSmallIntegerField(null=True, blank=True)
    formats = models.JSONField(default=list, blank=True, help_text='["csv", "xlsx"]')
    skip_when_empty = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    next_run_at = models.DateTimeField(db_index=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_outcome = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recipient__isnull=False) | ~models.Q(address=""),
                name="report_subscription_has_recipient",
            ),
            models.CheckConstraint(
                condition=models.Q(hour__lte=23), name="report_subscription_hour_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report} {self.frequency} to {self.recipient_id or self.address}"
