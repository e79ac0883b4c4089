"""People of the desk: agents with roles, the support groups and tiers they
work in, and the API tokens that act on their behalf."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    HOTLINE_OPERATOR = "hotline_operator", "Hotline operator"
    NOC_ENGINEER = "noc_engineer", "NOC engineer"
    FIELD_ENGINEER = "field_engineer", "Field engineer"
    TEAM_LEAD = "team_lead", "Team lead"
    SERVICE_DESK_MANAGER = "service_desk_manager", "Service desk manager"
    ACCOUNT_MANAGER = "account_manager", "Account manager"
    ADMINISTRATOR = "administrator", "Administrator"


class User(AbstractUser):
    """An agent or manager of the desk. The role decides what they may do."""

    role = models.CharField(max_length=32, choices=Role.choices, default=Role.HOTLINE_OPERATOR)
    time_zone = models.CharField(max_length=64, blank=True, default="")
    phone_extension = models.CharField(max_length=20, blank=True, default="")

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class TierKind(models.TextChoices):
    FIRST_LINE = "first_line", "First line (hotline)"
    SECOND_LINE = "second_line", "Second line (NOC)"
    THIRD_LINE = "third_line", "Third line (field engineering)"
    BILLING = "billing", "Billing"
    ACCOUNT_MANAGEMENT = "account_management", "Account management"


class Tier(models.Model):
    """A support line. `level` orders functional escalation: 1 → 2 → 3."""

    name = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=32, choices=TierKind.choices)
    level = models.PositiveSmallIntegerField(help_text="1 for first line, 2 for second, ...")

    class Meta:
        ordering = ["level", "name"]

    def __str__(self) -> str:
        return self.name


class SupportGroup(models.Model):
    """A team that owns tickets: a queue, members and a supervisor."""

    name = models.CharField(max_length=100, unique=True)
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="groups")
    supervisor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="supervised_groups"
    )
    members = models.ManyToManyField(User, blank=True, related_name="support_groups")
    email = models.EmailField(blank=True, default="")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["tier__level", "name"]

    def __str__(self) -> str:
        return self.name


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the REST API. Only its SHA-256 hash is stored; the
    token acts exactly as its user, with that user's role and object scope."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, default="")
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
