"""Writes to competency frameworks: drafts, new versions, publishing, and the
skills, level descriptors, indicators and role profiles inside them.

The rule every function here keeps: a published (or retired) framework
version is frozen. Any write to its skills, levels, indicators or role
profiles is refused with `FrameworkFrozen`; to change it, make a new
version (`framework_new_version`), which copies everything into a draft,
edit the draft and publish it. Publishing retires the version published
before it under the same name and moves the agents' role profiles over.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.competency.models import (
    AgentProfile,
    EvidenceKind,
    Framework,
    FrameworkState,
    Indicator,
    LevelDescriptor,
    ProfileRequirement,
    RoleProfile,
    Skill,
    SkillCategory,
)
from netdesk.core.errors import NotFound, ServiceError, TransitionNotAllowed, ValidationFailed
from netdesk.core.hooks import hooks_run
from netdesk.core.locking import locked

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
SCALE_LIMIT = 10
KPI_BOUNDS = ("at_least", "at_most")


class FrameworkFrozen(ServiceError):
    """A write to a published or retired framework version."""

    status = 409
    kind = "framework-frozen"
    title = "This framework version is published and frozen"


def _refuse_if_frozen(framework: Framework, what: str) -> None:
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


def _configure(actor: User | None) -> None:
    require(actor, Action.COMPETENCY_CONFIGURE)


def _text(field: str, value: str, limit: int, *, blank: bool = False) -> str:
    value = (value or "").strip()
    if (not value and not blank) or len(value) > limit:
        raise ValidationFailed(
            f"{field} must be {'up to' if blank else '1 to'} {limit} characters.",
            field=field,
            value=value[:100],
            accepted=f"{0 if blank else 1} to {limit} characters",
        )
    return value


def _choice(field: str, value: str, accepted: Iterable[str]) -> str:
    options = list(accepted)
    if value not in options:
        raise ValidationFailed(
            f"{field} {value!r} is not one of the accepted values.",
            field=field,
            value=value,
            accepted=options,
        )
    return value


def _code(value: str) -> str:
    value = (value or "").strip()
    if not CODE.match(value):
        raise ValidationFailed(
            f"Skill code {value!r} is not accepted.",
            field="code",
            value=value[:100],
            accepted="1 to 40 letters, digits, '.', '_' or '-', starting with a letter or digit",
        )
    return value


def _level_in_scale(skill: Skill, level: int, field: str = "level") -> int:
    if not isinstance(level, int) or not skill.scale_min <= level <= skill.scale_max:
        raise ValidationFailed(
            f"Level {level!r} is outside the scale of {skill.code} "
            f"({skill.scale_min} to {skill.scale_max}).",
            field=field,
            value=level,
            accepted=f"{skill.scale_min} to {skill.scale_max}",
        )
    return level


def _external_codes(value: dict[str, Any] | None) -> dict[str, str]:
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
    _configure(actor)
    name = _text("name", name, 120)
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
        description=_text("description", description, 5000, blank=True),
        source=_text("source", source, 200, blank=True),
    )


@transaction.atomic
def framework_update(
    *, actor: User | None, framework: Framework, description: str | None = None
) -> Framework:
    _configure(actor)
    _refuse_if_frozen(framework, "description")
    if description is not None:
        framework.description = _text("description", description, 5000, blank=True)
        framework.save(update_fields=["description"])
    return framework


@transaction.atomic
def framework_new_version(*, actor: User | None, framework: Framework) -> Framework:
    """A draft that copies a published (or retired) version: its skills and
    their hierarchy, level descriptors, indicators, role profiles and their
    requirements, and the exam question bank. In a fixed number of queries,
    whatever the size."""
    _configure(actor)
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
    _configure(actor)
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
    _configure(actor)
    _refuse_if_frozen(framework, "existence")
    ProfileRequirement.objects.filter(profile__framework=framework).delete()
    RoleProfile.objects.filter(framework=framework).delete()
    Skill.objects.filter(framework=framework).update(parent=None)
    framework.delete()


# ---- skills ----------------------------------------------------------------


def _check_parent(skill: Skill | None, framework: Framework, parent: Skill | None) -> None:
    if parent is None:
        return
    if parent.framework_id != framework.pk:
        raise ValidationFailed(
            f"Parent {parent.code} belongs to another framework version.",
            field="parent",
            value=parent.pk,
            accepted=f"a skill of {framework}",
        )
    if skill is None:
        return
    ancestor: Skill | None = parent
    seen = set()
    while ancestor is not None and ancestor.pk not in seen:
        if ancestor.pk == skill.pk:
            raise ValidationFailed(
                f"{parent.code} cannot be the parent of {skill.code}: it is below it.",
                field="parent",
                value=parent.pk,
            )
        seen.add(ancestor.pk)
        ancestor = ancestor.parent


def _check_scale(scale_min: int, scale_max: int) -> None:
    if not (
        isinstance(scale_min, int)
        and isinstance(scale_max, int)
        and 0 <= scale_min < scale_max <= SCALE_LIMIT
    ):
        raise ValidationFailed(
            f"Scale {scale_min!r} to {scale_max!r} is not accepted.",
            field="scale_max",
            value=scale_max,
            accepted=f"0 ≤ scale_min < scale_max ≤ {SCALE_LIMIT}",
        )


def _unique_code(framework: Framework, code: str, skill: Skill | None = None) -> None:
    taken = Skill.objects.filter(framework=framework, code=code)
    if skill is not None:
        taken = taken.exclude(pk=skill.pk)
    if taken.exists():
        raise ValidationFailed(f"{framework} already has a skill {code}.", field="code", value=code)


@transaction.atomic
def skill_create(
    *,
    actor: User | None,
    framework: Framework,
    code: str,
    name: str,
    category: str,
    parent: Skill | None = None,
    description: str = "",
    scale_min: int = 1,
    scale_max: int = 5,
    external_codes: dict[str, Any] | None = None,
) -> Skill:
    _configure(actor)
    _refuse_if_frozen(framework, "skills")
    code = _code(code)
    _unique_code(framework, code)
    _check_parent(None, framework, parent)
    _check_scale(scale_min, scale_max)
    return Skill.objects.create(
        framework=framework,
        code=code,
        name=_text("name", name, 200),
        category=_choice("category", category, SkillCategory.values),
        parent=parent,
        description=_text("description", description, 5000, blank=True),
        scale_min=scale_min,
        scale_max=scale_max,
        external_codes=_external_codes(external_codes),
    )


UNSET: Any = object()
SKILL_FIELDS = [
    "code",
    "name",
    "category",
    "parent",
    "description",
    "scale_min",
    "scale_max",
    "external_codes",
]


@transaction.atomic
def skill_update(
    *,
    actor: User | None,
    skill: Skill,
    code: str | None = None,
    name: str | None = None,
    category: str | None = None,
    parent: Skill | None = UNSET,
    description: str | None = None,
    scale_min: int | None = None,
    scale_max: int | None = None,
    external_codes: dict[str, Any] | None = None,
) -> Skill:
    _configure(actor)
    framework = skill.framework
    _refuse_if_frozen(framework, "skills")
    skill = locked(skill)
    if code is not None:
        skill.code = _code(code)
        _unique_code(framework, skill.code, skill)
    if name is not None:
        skill.name = _text("name", name, 200)
    if category is not None:
        skill.category = _choice("category", category, SkillCategory.values)
    if parent is not UNSET:
        _check_parent(skill, framework, parent)
        skill.parent = parent
    if description is not None:
        skill.description = _text("description", description, 5000, blank=True)
    if scale_min is not None or scale_max is not None:
        low = skill.scale_min if scale_min is None else scale_min
        high = skill.scale_max if scale_max is None else scale_max
        _check_scale(low, high)
        outside = (
            LevelDescriptor.objects.filter(skill=skill).exclude(level__range=(low, high)).exists()
            or Indicator.objects.filter(skill=skill).exclude(level__range=(low, high)).exists()
            or ProfileRequirement.objects.filter(skill=skill)
            .exclude(min_level__range=(low, high))
            .exists()
        )
        if outside:
            raise ValidationFailed(
                f"{skill.code} has levels, indicators or requirements outside {low} to {high}; "
                "remove them first.",
                field="scale_max",
                value=high,
            )
        skill.scale_min, skill.scale_max = low, high
    if external_codes is not None:
        skill.external_codes = _external_codes(external_codes)
    skill.save(update_fields=SKILL_FIELDS)
    return skill


@transaction.atomic
def skill_delete(*, actor: User | None, skill: Skill) -> None:
    """Delete a draft's skill with its levels, indicators, requirements and
    the skills below it."""
    _configure(actor)
    _refuse_if_frozen(skill.framework, "skills")
    skill = locked(skill)
    below = [skill.pk]
    frontier = [skill.pk]
    while frontier:
        frontier = list(Skill.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        below.extend(frontier)
    ProfileRequirement.objects.filter(skill_id__in=below).delete()
    Skill.objects.filter(pk__in=below).update(parent=None)
    Skill.objects.filter(pk__in=below).delete()


# ---- level descriptors and indicators ---------------------------------------


@transaction.atomic
def level_set(
    *, actor: User | None, skill: Skill, level: int, description: str, title: str = ""
) -> LevelDescriptor:
    """Write what level N of a skill means (creating or replacing it)."""
    _configure(actor)
    _refuse_if_frozen(skill.framework, "level descriptors")
    skill = locked(skill)
    _level_in_scale(skill, level)
    descriptor, _ = LevelDescriptor.objects.update_or_create(
        skill=skill,
        level=level,
        defaults={
            "description": _text("description", description, 5000),
            "title": _text("title", title, 120, blank=True),
        },
    )
    return descriptor


@transaction.atomic
def level_delete(*, actor: User | None, skill: Skill, level: int) -> None:
    _configure(actor)
    _refuse_if_frozen(skill.framework, "level descriptors")
    skill = locked(skill)
    _level_in_scale(skill, level)
    LevelDescriptor.objects.filter(skill=skill, level=level).delete()


def _evidence(value: list[str]) -> list[str]:
    if not isinstance(value, list) or not value:
        raise ValidationFailed(
            "Say what evidence can show the indicator.",
            field="evidence",
            value=value,
            accepted=EvidenceKind.values,
        )
    for kind in value:
        _choice("evidence", kind, EvidenceKind.values)
    return list(dict.fromkeys(value))


def _kpi_rule(rule: dict[str, Any] | None, evidence: list[str]) -> dict[str, Any]:
    rule = rule or {}
    if not rule:
        return {}
    bounds = [b for b in KPI_BOUNDS if b in rule]
    well_formed = (
        isinstance(rule, dict)
        and isinstance(rule.get("kpi"), str)
        and rule["kpi"].strip()
        and bounds
        and all(isinstance(rule[b], int | float) and not isinstance(rule[b], bool) for b in bounds)
        and set(rule) <= {"kpi", *KPI_BOUNDS}
    )
    if not well_formed:
        raise ValidationFailed(
            "A KPI rule names a KPI and a bound, e.g. "
            '{"kpi": "resolution.first_contact_rate", "at_least": 0.6}.',
            field="kpi_rule",
            value=str(rule)[:200],
            accepted="{kpi: text, at_least and/or at_most: number}",
        )
    if EvidenceKind.KPI not in evidence:
        raise ValidationFailed(
            "A KPI rule needs 'kpi' among the indicator's evidence.",
            field="evidence",
            value=evidence,
        )
    return dict(rule)


@transaction.atomic
def indicator_create(
    *,
    actor: User | None,
    skill: Skill,
    level: int,
    text: str,
    evidence: list[str],
    kpi_rule: dict[str, Any] | None = None,
) -> Indicator:
    _configure(actor)
    _refuse_if_frozen(skill.framework, "indicators")
    skill = locked(skill)
    _level_in_scale(skill, level)
    kinds = _evidence(evidence)
    return Indicator.objects.create(
        skill=skill,
        level=level,
        text=_text("text", text, 2000),
        evidence=kinds,
        kpi_rule=_kpi_rule(kpi_rule, kinds),
    )


@transaction.atomic
def indicator_update(
    *,
    actor: User | None,
    indicator: Indicator,
    level: int | None = None,
    text: str | None = None,
    evidence: list[str] | None = None,
    kpi_rule: dict[str, Any] | None = None,
) -> Indicator:
    _configure(actor)
    _refuse_if_frozen(indicator.skill.framework, "indicators")
    indicator = locked(indicator)
    if level is not None:
        indicator.level = _level_in_scale(indicator.skill, level)
    if text is not None:
        indicator.text = _text("text", text, 2000)
    if evidence is not None:
        indicator.evidence = _evidence(evidence)
    if kpi_rule is not None or evidence is not None:
        indicator.kpi_rule = _kpi_rule(
            indicator.kpi_rule if kpi_rule is None else kpi_rule, indicator.evidence
        )
    indicator.save(update_fields=["level", "text", "evidence", "kpi_rule"])
    return indicator


@transaction.atomic
def indicator_delete(*, actor: User | None, indicator: Indicator) -> None:
    _configure(actor)
    _refuse_if_frozen(indicator.skill.framework, "indicators")
    locked(indicator).delete()


# ---- role profiles ---------------------------------------------------------


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
    _configure(actor)
    _refuse_if_frozen(framework, "role profiles")
    name = _text("name", name, 120)
    _unique_profile(framework, name)
    return RoleProfile.objects.create(
        framework=framework,
        name=name,
        description=_text("description", description, 5000, blank=True),
    )


@transaction.atomic
def profile_update(
    *,
    actor: User | None,
    profile: RoleProfile,
    name: str | None = None,
    description: str | None = None,
) -> RoleProfile:
    _configure(actor)
    _refuse_if_frozen(profile.framework, "role profiles")
    profile = locked(profile, what="role profile")
    if name is not None:
        profile.name = _text("name", name, 120)
        _unique_profile(profile.framework, profile.name, profile)
    if description is not None:
        profile.description = _text("description", description, 5000, blank=True)
    profile.save(update_fields=["name", "description"])
    return profile


@transaction.atomic
def profile_delete(*, actor: User | None, profile: RoleProfile) -> None:
    _configure(actor)
    _refuse_if_frozen(profile.framework, "role profiles")
    locked(profile, what="role profile").delete()


@transaction.atomic
def requirement_set(
    *, actor: User | None, profile: RoleProfile, skill: Skill, min_level: int, hard: bool = True
) -> ProfileRequirement:
    """The profile needs `skill` at `min_level` at least: hard (required) or
    preferred. Creates or replaces the profile's requirement for the skill."""
    _configure(actor)
    _refuse_if_frozen(profile.framework, "role profiles")
    profile = locked(profile, what="role profile")
    skill = locked(skill)
    if skill.framework_id != profile.framework_id:
        raise ValidationFailed(
            f"{skill.code} belongs to another framework version than {profile.name}.",
            field="skill",
            value=skill.pk,
            accepted=f"a skill of {profile.framework}",
        )
    _level_in_scale(skill, min_level, "min_level")
    requirement, _ = ProfileRequirement.objects.update_or_create(
        profile=profile, skill=skill, defaults={"min_level": min_level, "hard": bool(hard)}
    )
    return requirement


@transaction.atomic
def requirement_delete(*, actor: User | None, profile: RoleProfile, skill: Skill) -> None:
    _configure(actor)
    _refuse_if_frozen(profile.framework, "role profiles")
    ProfileRequirement.objects.filter(
        profile=locked(profile, what="role profile"), skill=skill
    ).delete()
