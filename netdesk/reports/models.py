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


class DayFigures(models.Model):
    """One day's ticket figures for one support group and customer segment,
    precomputed by `netdesk.reports.rollups` from the KPI definitions so a
    dashboard never scans tickets. A day is a calendar day in the desk's
    time zone."""

    day = models.DateField()
    group = models.ForeignKey("accounts.SupportGroup", on_delete=models.CASCADE, related_name="+")
    segment = models.CharField(max_length=20, blank=True, default="")
    # Tickets created that day, and those of them with a first response.
    created = models.PositiveIntegerField(default=0)
    responded = models.PositiveIntegerField(default=0)
    # Tickets resolved that day (merged duplicates left out), as the KPI
    # report's resolution counts, and their summed time to resolve.
    resolved = models.PositiveIntegerField(default=0)
    resolved_first_contact = models.PositiveIntegerField(default=0)
    resolved_without_escalation = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    resolve_seconds = models.FloatField(default=0)
    # Resolutions of the day whose hold is decided (the window has passed or
    # the customer came back) and those that held.
    held_decided = models.PositiveIntegerField(default=0)
    held = models.PositiveIntegerField(default=0)
    # Tickets open at the end of the day.
    backlog = models.PositiveIntegerField(default=0)
    # SLA targets decided that day (stopped, or breached while running).
    sla_due = models.PositiveIntegerField(default=0)
    sla_breached = models.PositiveIntegerField(default=0)
    response_due = models.PositiveIntegerField(default=0)
    response_breached = models.PositiveIntegerField(default=0)
    # When these figures were last found changed and written: a rollup
    # leaves a row whose figures it computed the same as they were.
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "group", "segment"], name="day_figures_unique")
        ]
        indexes = [models.Index(fields=["day", "group"], name="day_figures_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.group_id} {self.segment or '-'}"


class BreakdownKind(models.TextChoices):
    CHANNEL = "channel", "Tickets created per channel"
    CATEGORY = "category", "Tickets created per category"
    HOUR = "hour", "Tickets created per hour of the day"
    ROOT_CAUSE = "root_cause", "Tickets resolved per root cause"


class DayBreakdown(models.Model):
    """One day's count of tickets per channel, category, hour of arrival or
    root cause, for one support group (precomputed with DayFigures)."""

    day = models.DateField()
    group = models.ForeignKey("accounts.SupportGroup", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=BreakdownKind.choices)
    # The channel or root cause code, the category id, or the hour "0".."23"
    # ("" for a ticket without one).
    key = models.CharField(max_length=40, blank=True, default="")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "group", "kind", "key"], name="day_breakdown_unique"
            )
        ]
        indexes = [models.Index(fields=["kind", "day"], name="day_breakdown_kind_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.group_id} {self.kind}={self.key}: {self.count}"
