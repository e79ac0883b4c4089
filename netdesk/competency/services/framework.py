"""Writes to competency frameworks: drafts, new versions, publishing and
deleting, and the checks every write inside a framework shares (skills,
levels and indicators: skills.py; role profiles: profiles.py).

The rule every function here keeps: a published (or retired) framework
version is frozen. Any write to its skills, levels, indicators or role
profiles is refused with `FrameworkFrozen`; to change it, make a new
version (`framework_new_version`), which copies everything into a draft,
edit the draft and publish it. Publishing retires the version published
before it under the same name and moves the agents' role profiles over.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.competency.models import (
    AgentProfile,
    Framework,
    FrameworkState,
    Indicator,
    LevelDescriptor,
    ProfileRequirement,
    RoleProfile,
    Skill,
)
from netdesk.core.checks import checked_text
from netdesk.core.errors import NotFound, ServiceError, TransitionNotAllowed, ValidationFailed
from netdesk.core.hooks import hooks_run

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
SCALE_LIMIT = 10
KPI_BOUNDS = ("at_least", "at_most")


class FrameworkFrozen(ServiceError):
    """A write to a published or retired framework version."""

    status = 409
    kind = "framework-frozen"
    title = "This framework version is published and frozen"


def refuse_if_frozen(framework: Framework, what: str) -> None:
    """Lock the framework version's row and read its state from it: an
    object loaded before the framework was published must not slip a write
    through. Every write inside a framework takes this lock first, then
    re-reads its own rows (`locked`), so writers of one framework queue up
    in the same order and never deadlock."""
    state = (
        Framework.objects.select_for_update()
        .filter(pk=framework.pk)
        .values_list("state", flat=True)
        .first()
    )
    if state is None:
        raise NotFound(
            f"{framework} no longer exists: it was deleted meanwhile.",
            field="framework",
            value=framework.pk,
            accepted="an existing framework version",
        )
    framework.state = state
    if state != FrameworkState.DRAFT:
        raise FrameworkFrozen(
            f"{framework} is {state}: its {what} cannot be changed. Make a new version of "
            "it (a draft that copies everything), change the draft and publish that.",
            field="framework",
            value=framework.pk,
            accepted="a draft framework version",
        )


def require_configure(actor: User | None) -> None:
    require(actor, Action.COMPETENCY_CONFIGURE)


def checked_code(value: str) -> str:
    value = (value or "").strip()
    if not CODE.match(value):
        raise ValidationFailed(
            f"Skill code {value!r} is not accepted.",
            field="code",
            value=value[:100],
            accepted="1 to 40 letters, digits, '.', '_' or '-', starting with a letter or digit",
        )
    return value


def level_in_scale(skill: Skill, level: int, field: str = "level") -> int:
    if not isinstance(level, int) or not skill.scale_min <= level <= skill.scale_max:
        raise ValidationFailed(
            f"Level {level!r} is outside the scale of {skill.code} "
            f"({skill.scale_min} to {skill.scale_max}).",
            field=field,
            value=level,
            accepted=f"{skill.scale_min} to {skill.scale_max}",
        )
    return level


def checked_external_codes(value: dict[str, Any] | None) -> dict[str, str]:
    codes = value or {}
    if not isinstance(codes, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and k and v for k, v in codes.items()
    ):
        raise ValidationFailed(
            "external_codes must map framework names to codes, e.g. {'sfia': 'CSMG'}.",
            field="external_codes",
            value=str(value)[:100],
            accepted="an object of non-empty strings",
        )
    return {k.strip().lower(): v.strip() for k, v in codes.items()}


# ---- frameworks ------------------------------------------------------------


def _draft_exists(name: str) -> Framework | None:
    return Framework.objects.filter(name=name, state=FrameworkState.DRAFT).first()


@transaction.atomic
def framework_create(
    *, actor: User | None, name: str, description: str = "", source: str = ""
) -> Framework:
    """A new, empty draft. Under a name already in use it becomes the next
    version (empty, unlike `framework_new_version`)."""
    require_configure(actor)
    name = checked_text("name", name, 120)
    draft = _draft_exists(name)
    if draft is not None:
        raise TransitionNotAllowed(
            f"{draft} is already a draft; edit or publish it before starting another.",
            field="name",
            value=name,
        )
    top = Framework.objects.filter(name=name).aggregate(top=Max("version"))["top"] or 0
    return Framework.objects.create(
        name=name,
        version=top + 1,
        description=checked_text("description", description, 5000, blank=True),
        source=checked_text("source", source, 200, blank=True),
    )


@transaction.atomic
def framework_update(
    *, actor: User | None, framework: Framework, description: str | None = None
) -> Framework:
    require_configure(actor)
    refuse_if_frozen(framework, "description")
    if description is not None:
        framework.description = checked_text("description", description, 5000, blank=True)
        framework.save(update_fields=["description"])
    return framework


@transaction.atomic
def framework_new_version(*, actor: User | None, framework: Framework) -> Framework:
    """A draft that copies a published (or retired) version: its skills and
    their hierarchy, level descriptors, indicators, role profiles and their
    requirements, and the exam question bank. In a fixed number of queries,
    whatever the size."""
    require_configure(actor)
    if framework.state == FrameworkState.DRAFT:
        raise TransitionNotAllowed(
            f"{framework} is a draft: edit it directly; new versions are made from published ones.",
            field="framework",
            value=framework.pk,
            accepted="a published or retired version",
        )
    draft = _draft_exists(framework.name)
    if draft is not None:
        raise TransitionNotAllowed(
            f"{draft} is already the draft of {framework.name!r}; edit or publish it first.",
            field="framework",
            value=framework.pk,
        )
    top = Framework.objects.filter(name=framework.name).aggregate(top=Max("version"))["top"]
    copy = Framework.objects.create(
        name=framework.name,
        version=(top or framework.version) + 1,
        description=framework.description,
        source=framework.source,
    )
    old_to_new = _copy_skills(framework, copy)
    _copy_levels_and_profiles(framework, copy, old_to_new)
    # What hangs off the skills in other apps (the exam question bank) goes
    # with them: a new version must not leave the next assessment cycle
    # without exams.
    hooks_run("framework_version_created", framework=framework, skills=old_to_new)
    return copy


def _copy_skills(framework: Framework, copy: Framework) -> dict[int, Skill]:
    """Copy `framework`'s skills and their hierarchy into `copy`: old skill id → new skill."""
    skills = list(Skill.objects.filter(framework=framework).order_by("pk"))
    new_skills = [
        Skill(
            framework=copy,
            code=s.code,
            name=s.name,
            category=s.category,
            description=s.description,
            scale_min=s.scale_min,
            scale_max=s.scale_max,
            external_codes=dict(s.external_codes),
        )
        for s in skills
    ]
    Skill.objects.bulk_create(new_skills)
    if any(s.pk is None for s in new_skills):  # a backend that returns no ids
        by_code = {s.code: s for s in Skill.objects.filter(framework=copy)}
        new_skills = [by_code[s.code] for s in skills]
    old_to_new = {old.pk: new for old, new in zip(skills, new_skills, strict=True)}
    with_parent = []
    for old in skills:
        if old.parent_id is not None:
            new = old_to_new[old.pk]
            new.parent = old_to_new[old.parent_id]
            with_parent.append(new)
    Skill.objects.bulk_update(with_parent, ["parent"])
    return old_to_new


def _copy_levels_and_profiles(
    framework: Framework, copy: Framework, old_to_new: dict[int, Skill]
) -> None:
    LevelDescriptor.objects.bulk_create(
        LevelDescriptor(
            skill=old_to_new[d.skill_id], level=d.level, title=d.title, description=d.description
        )
        for d in LevelDescriptor.objects.filter(skill__framework=framework)
    )
    Indicator.objects.bulk_create(
        Indicator(
            skill=old_to_new[i.skill_id],
            level=i.level,
            text=i.text,
            evidence=list(i.evidence),
            kpi_rule=dict(i.kpi_rule),
        )
        for i in Indicator.objects.filter(skill__framework=framework).order_by("pk")
    )
    profiles = list(RoleProfile.objects.filter(framework=framework).order_by("pk"))
    new_profiles = [
        RoleProfile(framework=copy, name=p.name, description=p.description) for p in profiles
    ]
    RoleProfile.objects.bulk_create(new_profiles)
    if any(p.pk is None for p in new_profiles):
        by_name = {p.name: p for p in RoleProfile.objects.filter(framework=copy)}
        new_profiles = [by_name[p.name] for p in profiles]
    profile_map = {old.pk: new for old, new in zip(profiles, new_profiles, strict=True)}
    ProfileRequirement.objects.bulk_create(
        ProfileRequirement(
            profile=profile_map[r.profile_id],
            skill=old_to_new[r.skill_id],
            min_level=r.min_level,
            hard=r.hard,
        )
        for r in ProfileRequirement.objects.filter(profile__framework=framework)
    )


def _publish_problems(framework: Framework) -> list[str]:
    problems = []
    if not Skill.objects.filter(framework=framework).exists():
        problems.append("it has no skills")
    outside = [
        f"{r.profile.name}: {r.skill.code} ≥ {r.min_level}"
        for r in ProfileRequirement.objects.filter(profile__framework=framework).select_related(
            "profile", "skill"
        )
        if not r.skill.scale_min <= r.min_level <= r.skill.scale_max
    ]
    if outside:
        problems.append("requirements outside their skill's scale: " + "; ".join(outside[:5]))
    return problems


@transaction.atomic
def framework_publish(*, actor: User | None, framework: Framework) -> Framework:
    """Freeze a draft. The version published before it under the same name is
    retired, and agents measured against one of its role profiles move to
    the profile of the same name in this version (if it has one)."""
    require_configure(actor)
    framework = Framework.objects.select_for_update().get(pk=framework.pk)
    if framework.state != FrameworkState.DRAFT:
        raise TransitionNotAllowed(
            f"{framework} is already {framework.state}.",
            field="framework",
            value=framework.pk,
            accepted="a draft",
        )
    problems = _publish_problems(framework)
    if problems:
        raise ValidationFailed(
            f"{framework} cannot be published: " + "; ".join(problems) + ".",
            field="framework",
            value=framework.pk,
        )
    earlier = list(
        Framework.objects.filter(name=framework.name, state=FrameworkState.PUBLISHED).exclude(
            pk=framework.pk
        )
    )
    if earlier:
        new_profiles = dict(
            RoleProfile.objects.filter(framework=framework).values_list("name", "pk")
        )
        moving = AgentProfile.objects.filter(profile__framework__in=earlier).select_related(
            "profile"
        )
        moved = []
        for assignment in moving:
            target = new_profiles.get(assignment.profile.name)
            if target is not None:
                assignment.profile_id = target
                moved.append(assignment)
        AgentProfile.objects.bulk_update(moved, ["profile"])
        Framework.objects.filter(pk__in=[f.pk for f in earlier]).update(
            state=FrameworkState.RETIRED
        )
    framework.state = FrameworkState.PUBLISHED
    framework.published_at = timezone.now()
    framework.save(update_fields=["state", "published_at"])
    return framework


@transaction.atomic
def framework_delete(*, actor: User | None, framework: Framework) -> None:
    """Delete a draft (published versions are kept: records point at them)."""
    require_configure(actor)
    refuse_if_frozen(framework, "existence")
    ProfileRequirement.objects.filter(profile__framework=framework).delete()
    RoleProfile.objects.filter(framework=framework).delete()
    Skill.objects.filter(framework=framework).update(parent=None)
    framework.delete()
