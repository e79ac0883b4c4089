"""Writes to a draft framework's role profiles and the levels they require
(published versions are frozen: see framework.py)."""

from __future__ import annotations

from collections.abc import Container

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


def _unique_profile(
    framework: Framework,
    name: str,
    profile: RoleProfile | None = None,
    *,
    names_taken: Container[str] | None = None,
) -> None:
    """`names_taken`: the names of the framework's other role profiles, where
    the caller read them all at once; without it, the name is looked up."""
    if names_taken is not None:
        taken = name in names_taken
    else:
        others = RoleProfile.objects.filter(framework=framework, name=name)
        if profile is not None:
            others = others.exclude(pk=profile.pk)
        taken = others.exists()
    if taken:
        raise ValidationFailed(
            f"{framework} already has a role profile {name!r}.", field="name", value=name
        )


def profile_checked(
    *,
    framework: Framework,
    name: str,
    description: str,
    names_taken: Container[str] | None = None,
) -> RoleProfile:
    """A new, unsaved role profile of `framework` that passed every check.
    The caller holds the framework's lock (refuse_if_frozen)."""
    name = checked_text("name", name, 120)
    _unique_profile(framework, name, names_taken=names_taken)
    return RoleProfile(
        framework=framework,
        name=name,
        description=checked_text("description", description, 5000, blank=True),
    )


@transaction.atomic
def profile_create(
    *, actor: User | None, framework: Framework, name: str, description: str = ""
) -> RoleProfile:
    require_configure(actor)
    refuse_if_frozen(framework, "role profiles")
    profile = profile_checked(framework=framework, name=name, description=description)
    profile.save(force_insert=True)
    return profile


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
    checked = requirement_checked(profile=profile, skill=skill, min_level=min_level, hard=hard)
    requirement, _ = ProfileRequirement.objects.update_or_create(
        profile=profile, skill=skill, defaults={"min_level": min_level, "hard": checked.hard}
    )
    return requirement


def requirement_checked(
    *, profile: RoleProfile, skill: Skill, min_level: int, hard: bool
) -> ProfileRequirement:
    """An unsaved requirement of `profile` for `skill` that passed every check."""
    if skill.framework_id != profile.framework_id:
        raise ValidationFailed(
            f"{skill.code} belongs to another framework version than {profile.name}.",
            field="skill",
            value=skill.pk,
            accepted=f"a skill of {profile.framework}",
        )
    level_in_scale(skill, min_level, "min_level")
    return ProfileRequirement(profile=profile, skill=skill, min_level=min_level, hard=bool(hard))


@transaction.atomic
def requirement_delete(*, actor: User | None, profile: RoleProfile, skill: Skill) -> None:
    require_configure(actor)
    refuse_if_frozen(profile.framework, "role profiles")
    ProfileRequirement.objects.filter(
        profile=locked(profile, what="role profile"), skill=skill
    ).delete()
