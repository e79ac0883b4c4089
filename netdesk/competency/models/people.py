"""Role profiles, each agent's levels (append-only history) and development plans."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from netdesk.competency.models.framework import Framework, Skill


class RoleProfile(models.Model):
    """What a role needs, e.g. hotline operator: customer interaction ≥ 2 (hard)."""

    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="profiles")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["framework", "name"], name="profile_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ProfileRequirement(models.Model):
    profile = models.ForeignKey(RoleProfile, on_delete=models.CASCADE, related_name="requirements")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="+")
    min_level = models.PositiveSmallIntegerField()
    hard = models.BooleanField(default=True, help_text="required (hard) or preferred")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["profile", "skill"], name="profile_skill_unique")
        ]

    def __str__(self) -> str:
        return f"{self.profile}: {self.skill.code} ≥ {self.min_level}"


class LevelSource(models.TextChoices):
    ASSESSMENT = "assessment", "Validated assessment"
    CERTIFICATION = "certification", "Certification"
    PROVISIONAL = "provisional", "Provisional"
    OVERRIDE = "override", "Manual override"


class AgentSkill(models.Model):
    """One statement of an agent's level in a skill. Append-only: a new level
    is a new row; the agent's current level is the latest valid row."""

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="skill_records"
    )
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField()
    source = models.CharField(max_length=20, choices=LevelSource.choices)
    reason = models.TextField(blank=True, default="", help_text="required for an override")
    assessment = models.ForeignKey(
        "assessments.Assessment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    valid_from = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["agent", "skill", "-valid_from"], name="agent_skill_idx")]
        ordering = ["agent", "skill", "-valid_from", "-id"]

    def __str__(self) -> str:
        return f"{self.agent} {self.skill.code} L{self.level} ({self.source})"


class PlanItem(models.Model):
    """A development plan item: reach `target_level` in a skill by `due_on`."""

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="plan_items"
    )
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT, related_name="+")
    target_level = models.PositiveSmallIntegerField()
    due_on = models.DateField()
    action = models.TextField(help_text="what the agent will do: course, shadowing, practice")
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return f"{self.agent}: {self.skill.code} → L{self.target_level} by {self.due_on}"


class AgentProfile(models.Model):
    """The role profile an agent is measured against (gap analysis, plans).
    One per agent; publishing a new framework version moves it to the
    profile of the same name there."""

    agent = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="competency_profile"
    )
    profile = models.ForeignKey(RoleProfile, on_delete=models.PROTECT, related_name="agents")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.agent}: {self.profile}"
