"""Skills-based routing: rules map ticket attributes to required skills;
each group routes by a policy; every decision is kept. The tables keep the
names they had when competency held these models."""

from __future__ import annotations

from django.conf import settings
from django.db import models


def default_relax_thresholds() -> list[int]:
    """Percent of the SLA target used at which soft requirements drop a level."""
    return [50, 75, 90]


class RoutingRule(models.Model):
    """When a ticket matches (empty conditions match anything), it needs the
    skill at `min_level`. Hard requirements never relax; soft ones relax step
    by step as the ticket's SLA time runs out."""

    name = models.CharField(max_length=120)
    is_active = models.BooleanField(default=True)
    match_ticket_type = models.CharField(max_length=30, blank=True, default="")
    match_category = models.CharField(max_length=120, blank=True, default="")
    match_channel = models.CharField(max_length=20, blank=True, default="")
    match_language = models.CharField(max_length=10, blank=True, default="")
    match_access_technology = models.CharField(max_length=20, blank=True, default="")
    match_product = models.CharField(max_length=120, blank=True, default="")
    match_segment = models.CharField(max_length=20, blank=True, default="")
    match_key_account = models.BooleanField(null=True, blank=True)
    match_priority = models.PositiveSmallIntegerField(null=True, blank=True)
    skill = models.ForeignKey("competency.Skill", on_delete=models.CASCADE, related_name="+")
    min_level = models.PositiveSmallIntegerField()
    hard = models.BooleanField(default=False)

    class Meta:
        db_table = "competency_routingrule"

    def __str__(self) -> str:
        return f"{self.name}: {self.skill.code} ≥ {self.min_level}{' (hard)' if self.hard else ''}"


class RoutingPolicy(models.TextChoices):
    LEAST_SUFFICIENT = "least_sufficient", "Least qualified but sufficient (keeps experts free)"
    MOST_PROFICIENT = "most_proficient", "Most proficient"
    ROUND_ROBIN = "round_robin", "Round robin among the eligible"


class GroupRouting(models.Model):
    group = models.OneToOneField(
        "accounts.SupportGroup", on_delete=models.CASCADE, related_name="routing"
    )
    policy = models.CharField(
        max_length=20, choices=RoutingPolicy.choices, default=RoutingPolicy.LEAST_SUFFICIENT
    )
    workload_cap = models.PositiveSmallIntegerField(
        default=8, help_text="open tickets an agent may hold before routing skips them"
    )
    enabled = models.BooleanField(default=True)
    relax_thresholds = models.JSONField(
        default=default_relax_thresholds,
        blank=True,
        help_text="percent of the SLA target used at which soft requirements drop a level",
    )
    # Round robin's cursor: the agent who got the group's last routed ticket.
    last_routed_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        db_table = "competency_grouprouting"

    def __str__(self) -> str:
        return f"{self.group}: {self.get_policy_display()}"


class AgentAvailability(models.Model):
    """An agent marked away (break, training, off shift) is not routed to.
    No row: available."""

    agent = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability"
    )
    available = models.BooleanField(default=True)
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "competency_agentavailability"

    def __str__(self) -> str:
        return f"{self.agent}: {'available' if self.available else 'away'}"


class RoutingTrigger(models.TextChoices):
    CREATED = "created", "New ticket"
    SWEEP = "sweep", "Re-routed as SLA time ran out"
    REQUESTED = "requested", "Routed on request"
    ESCALATION = "escalation", "Escalation target"


class RoutingDecision(models.Model):
    """Why a ticket went to whom: the requirements, which were relaxed, the
    candidates considered and the choice."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    decided_at = models.DateTimeField()
    policy = models.CharField(max_length=20, choices=RoutingPolicy.choices)
    requirements = models.JSONField(default=list)
    relaxed = models.JSONField(default=list)
    candidates = models.JSONField(default=list)
    chosen = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True, default="")
    trigger = models.CharField(
        max_length=20, choices=RoutingTrigger.choices, default=RoutingTrigger.REQUESTED
    )
    relax_step = models.PositiveSmallIntegerField(default=0)
    sla_used = models.FloatField(
        null=True, blank=True, help_text="share of the SLA target used when routed"
    )
    # The chosen agent met every requirement before relaxation. KPI evidence
    # may leave out tickets handled outside the agent's level.
    within_level = models.BooleanField(default=True)

    class Meta:
        db_table = "competency_routingdecision"
        indexes = [
            models.Index(fields=["ticket", "decided_at"], name="routing_ticket_idx"),
            models.Index(fields=["chosen", "decided_at"], name="routing_chosen_idx"),
        ]

    def __str__(self) -> str:
        return f"Routing of ticket {self.ticket_id} at {self.decided_at:%Y-%m-%d %H:%M}"
