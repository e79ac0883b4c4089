"""Writes to a draft framework's role profiles and the levels they require
(published versions are frozen: see framework.py)."""

from __future__ import annotations

from django.db import transaction

from netdesk.accounts.models import User
from netdesk.competency.models import (
    Framework,
    ProfileRequirement,
    RoleProfile,
    Skill,
)
from netdesk.competency.services.framework import (
    level_in_scale,
    refuse_if_frozen,
    require_configure,
)
from netdesk.core.checks import checked_text
from netdesk.core.errors import ValidationFailed
from netdesk.core.locking import locked


def _unique_profile(framework: Framework, name: str, profile: RoleProfile | None = None) -> None:
    taken = RoleProfile.objects.filter(framework=framework, name=name)
    if profile is not None:
        taken = taken.exclude(pk=profile.pk)
    if taken.exists():
        raise ValidationFailed(
            f"{framework} already has a role profile {name!r}.", field="name", value=name
        )


@transaction.atomic
def profile_create(
    *, actor: User | None, framework: Framework, name: str, description: str = ""
) -> RoleProfile:
    require_configure(actor)
    refuse_if_frozen(framework, "role profiles")
    name = checked_text("name", name, 120)
    _unique_profile(framework, name)
    return RoleProfile.objects.create(
        framework=framework,
        name=name,
        description=checked_text("description", description, 5000, blank=True),
    )


@transaction.atomic
def profile_update(
    *,
    actor: User | None,
    profile: RoleProfile,
    name: str | None = None,
    description: str | None = None,
) -> RoleProfile:
    require_configure(actor)
    refuse_if_frozen(profile.framework, "role profiles")
    profile = locked(profile, what="role profile")
    if name is not None:
        profile.name = checked_text("name", name, 120)
        _unique_profile(profile.framework, profile.name, profile)
    if description is not None:
        profile.description = checked_text("description", description, 5000, blank=True)
    profile.save(update_fields=["name", "description"])
    return profile


@transaction.atomic
def profile_delete(*, actor: User | None, profile: RoleProfile) -> None:
    require_configure(actor)
    refuse_if_frozen(profile.framework, "role profiles")
    locked(profile, what="role profile").delete()


@transaction.atomic
def requirement_set(
    *, actor: User | None, profile: RoleProfile, skill: Skill, min_level: int, hard: bool = True
) -> ProfileRequirement:
    """The profile needs `skill` at `min_level` at least: hard (required) or
    preferred. Creates or replaces the profile's requirement for the skill."""
    require_configure(actor)
    refuse_if_frozen(profile.framework, "role profiles")
    profile = locked(profile, what="role profile")
    skill = locked(skill)
    if skill.framework_id != profile.framework_id:
        raise ValidationFailed(
            f"{skill.code} belongs to another framework version than {profile.name}.",
            field="skill",
            value=skill.pk,
            accepted=f"a skill of {profile.framework}",
        )
    level_in_scale(skill, min_level, "min_level")
    requirement, _ = ProfileRequirement.objects.update_or_create(
        profile=profile, skill=skill, defaults={"min_level": min_level, "hard": bool(hard)}
    )
    return requirement


@transaction.atomic
def requirement_delete(*, actor: User | None, profile: RoleProfile, skill: Skill) -> None:
    require_configure(actor)
    refuse_if_frozen(profile.framework, "role profiles")
    ProfileRequirement.objects.filter(
        profile=locked(profile, what="role profile"), skill=skill
    ).delete()
