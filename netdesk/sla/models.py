"""Service levels: working calendars, SLA/OLA policies with their targets,
and the per-ticket timers the worker watches."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from netdesk.accounts.models import SupportGroup
from netdesk.customers.models import Customer, Segment
from netdesk.tickets.choices import Priority, Status, TicketType


class BusinessCalendar(models.Model):
    """When the clock runs: working hours in a named time zone, minus holidays."""

    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    always_open = models.BooleanField(default=False, help_text="24×7: every hour counts")

    def __str__(self) -> str:
        return self.name


class WorkingHours(models.Model):
    """One open window on one weekday. A closing time of 00:00 means midnight."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(
        choices=[
            (0, "Monday"),
            (1, "Tuesday"),
            (2, "Wednesday"),
            (3, "Thursday"),
            (4, "Friday"),
            (5, "Saturday"),
            (6, "Sunday"),
        ]
    )
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name_plural = "working hours"

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Holiday(models.Model):
    """A day the calendar stays closed; `yearly` repeats it every year."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField()
    name = models.CharField(max_length=120)
    yearly = models.BooleanField(default=False)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class PolicyKind(models.TextChoices):
    SLA = "sla", "SLA (with the customer)"
    OLA = "ola", "OLA (between groups)"


def default_pause_statuses() -> list[str]:
    return [Status.PENDING_CUSTOMER, Status.PENDING_THIRD_PARTY]


class SlaPolicy(models.Model):
    """A service level and the tickets it applies to. Policies are tried in
    `rank` order; the first whose every set condition matches applies.
    An OLA applies while a ticket sits with its `receiving_group`."""

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=10, choices=PolicyKind.choices, default=PolicyKind.SLA)
    rank = models.PositiveIntegerField(default=100, help_text="lower is tried first")
    is_active = models.BooleanField(default=True)
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT)
    match_segment = models.CharField(max_length=20, choices=Segment.choices, blank=True, default="")
    match_customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text="a contract or key account (its member sites match too)",
    )
    match_ticket_type = models.CharField(
        max_length=30, choices=TicketType.choices, blank=True, default=""
    )
    match_priority = models.PositiveSmallIntegerField(
        choices=Priority.choices, null=True, blank=True
    )
    match_product = models.CharField(
        max_length=120,
        blank=True,
        default="",
        help_text="matches when the product name contains it",
    )
    receiving_group = models.ForeignKey(
        SupportGroup,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text="OLA only: the group whose work this measures",
    )
    pause_statuses = models.JSONField(default=default_pause_statuses, blank=True)
    warn_at_percent = models.PositiveSmallIntegerField(default=80)

    class Meta:
        ordering = ["kind", "rank", "id"]
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return self.name


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    RESOLUTION = "resolution", "Resolution"
    # Recurring: after each update to the customer, the next is due within
    # the target (one timer per interval, so each is met or breached).
    NEXT_UPDATE = "next_update", "Next update"


class SlaTarget(models.Model):
    """How long a metric may take under a policy, in business or calendar time."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    metric = models.CharField(max_length=30, choices=Metric.choices)
    minutes = models.PositiveIntegerField()
    business_time = models.BooleanField(
        default=True, help_text="count only the calendar's working hours"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["policy", "metric"], name="sla_target_unique_metric")
        ]

    def __str__(self) -> str:
        return f"{self.policy}: {self.get_metric_display()} {self.minutes} min"


class TimerState(models.TextChoices):
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    MET = "met", "Met"
    BREACHED = "breached", "Breached"
    CANCELLED = "cancelled", "Cancelled"


class SlaTimer(models.Model):
    """A target running for one ticket. Its figures are recomputed from the
    ticket's timeline; `due_at` and `warn_at` are persisted so the worker
    finds what is due with an index scan, and the `*_fired_at` marks make
    each warning and breach fire once whatever restarts in between."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="sla_timers"
    )
    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT)
    kind = models.CharField(max_length=10, choices=PolicyKind.choices)
    metric = models.CharField(max_length=30, choices=Metric.choices)
    group = models.ForeignKey(SupportGroup, null=True, blank=True, on_delete=models.CASCADE)
    # For OLAs: when the ticket reached the group (one timer per stay).
    started_at = models.DateTimeField()
    target_seconds = models.PositiveIntegerField()
    business_time = models.BooleanField(default=True)
    elapsed_seconds = models.FloatField(default=0)
    state = models.CharField(max_length=20, choices=TimerState.choices, default=TimerState.RUNNING)
    due_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True, help_text="when the target ran out")
    # Side effects done once: set by the worker when it fired them.
    warning_fired_at = models.DateTimeField(null=True, blank=True)
    breach_fired_at = models.DateTimeField(null=True, blank=True)
    # The escalation matrix: when the next rule falls due, and which fired.
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    escalations_fired = models.JSONField(default=list, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["breach_fired_at", "due_at"], name="sla_timer_due_idx"),
            models.Index(fields=["warning_fired_at", "warn_at"], name="sla_timer_warn_idx"),
            models.Index(fields=["ticket", "kind", "metric"], name="sla_timer_ticket_idx"),
            models.Index(fields=["next_escalation_at"], name="sla_timer_escalation_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.metric} on ticket {self.ticket_id}"


class EscalationAction(models.TextChoices):
    NOTIFY = "notify", "Notify"
    RAISE_PRIORITY = "raise_priority", "Raise priority one step"
    REASSIGN = "reassign", "Reassign to the next tier / a group (functional escalation)"
    HIERARCHICAL = "hierarchical", "Raise the hierarchical escalation level"


class NotifyWhom(models.TextChoices):
    TEAM_LEAD = "team_lead", "Team lead (supervisor of the ticket's group)"
    MANAGER = "manager", "Service desk managers"
    ACCOUNT_MANAGER = "account_manager", "Account manager of the key account"
    GROUP = "group", "Members of a group"
    ADDRESS = "address", "An e-mail address"


class EscalationRule(models.Model):
    """The escalation matrix, one row per rule: when target `metric` of a
    ticket matching the conditions reaches `at_percent` of its time (100 =
    breached), do `action`. Each rule fires at most once per timer."""

    name = models.CharField(max_length=120)
    is_active = models.BooleanField(default=True)
    kind = models.CharField(max_length=10, choices=PolicyKind.choices, blank=True, default="")
    metric = models.CharField(max_length=30, choices=Metric.choices, blank=True, default="")
    policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.CASCADE)
    match_priority = models.PositiveSmallIntegerField(
        choices=Priority.choices, null=True, blank=True
    )
    match_segment = models.CharField(max_length=20, choices=Segment.choices, blank=True, default="")
    at_percent = models.PositiveSmallIntegerField(
        help_text="share of the target used up; 100 means breached, above 100 past the breach"
    )
    action = models.CharField(max_length=20, choices=EscalationAction.choices)
    notify = models.CharField(max_length=20, choices=NotifyWhom.choices, blank=True, default="")
    target_group = models.ForeignKey(
        SupportGroup,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="group to notify, or to reassign to (default: first group of the next tier)",
    )
    address = models.EmailField(blank=True, default="")
    ignore_working_hours = models.BooleanField(
        default=False, help_text="notify at once, even outside the recipient's working hours"
    )

    class Meta:
        ordering = ["at_percent", "id"]

    def __str__(self) -> str:
        return self.name


class RecipientHours(models.Model):
    """When a person wants escalation notices delivered (their working calendar)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_hours"
    )
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT)

    def __str__(self) -> str:
        return f"{self.user}: {self.calendar}"


class EscalationNotice(models.Model):
    """An escalation message waiting for (or past) delivery."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="notices")
    rule = models.ForeignKey(EscalationRule, null=True, on_delete=models.SET_NULL)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    address = models.EmailField(blank=True, default="")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    deliver_after = models.DateTimeField(db_index=True)
    # Sent by the channels' outbound queue; its row keeps the attempts and
    # the mail server's answer.
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.subject
