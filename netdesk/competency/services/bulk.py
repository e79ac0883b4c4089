"""Writing a draft framework's skills (with their level descriptors and
indicators) and role profiles by the thousand, for the framework importer.

Each item passes the same checks as the one-at-a-time services of skills.py
and profiles.py (the functions are shared); an item that fails one is not
written and comes back as a `Refusal` naming the reason, and the rest is
written with one statement per kind whatever their number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from netdesk.accounts.models import User
from netdesk.competency.models import (
    Framework,
    Indicator,
    LevelDescriptor,
    ProfileRequirement,
    RoleProfile,
    Skill,
)
from netdesk.competency.services.framework import refuse_if_frozen, require_configure
from netdesk.competency.services.profiles import profile_checked, requirement_checked
from netdesk.competency.services.skills import indicator_checked, level_checked, skill_checked
from netdesk.core.bulk import insert_rows, rows_update
from netdesk.core.errors import ServiceError, ValidationFailed

SKILL_COLUMNS = (
    "framework",
    "code",
    "name",
    "category",
    "description",
    "scale_min",
    "scale_max",
    "external_codes",
)


@dataclass(frozen=True)
class LevelGiven:
    level: int
    description: str
    title: str = ""


@dataclass(frozen=True)
class IndicatorGiven:
    level: int
    text: str
    evidence: list[str]
    kpi_rule: dict[str, Any] | None = None


@dataclass(frozen=True)
class SkillGiven:
    """A new skill; `parent_code` names a skill of the framework or one given
    before it in the same call."""

    code: str
    name: str
    category: str
    parent_code: str = ""
    description: str = ""
    scale_min: int = 1
    scale_max: int = 5
    external_codes: dict[str, Any] | None = None
    levels: Sequence[LevelGiven] = ()
    indicators: Sequence[IndicatorGiven] = ()


@dataclass(frozen=True)
class RequirementGiven:
    skill_code: str
    min_level: int
    hard: bool = True


@dataclass(frozen=True)
class ProfileGiven:
    name: str
    description: str = ""
    requirements: Sequence[RequirementGiven] = ()


@dataclass(frozen=True)
class Refusal:
    """What was not written: the `index` of the skill or profile in the list
    given; the `part` refused ("skill", "parent", "level", "indicator",
    "profile", "requirement"); for a level, indicator or requirement its
    `position` in its list (0 otherwise); and why."""

    index: int
    part: str
    position: int
    error: ServiceError


@dataclass
class SkillsImported:
    """The skills written, by their index in the list given; how many level
    descriptors and indicators; what was refused."""

    skills: dict[int, Skill] = field(default_factory=dict)
    levels: int = 0
    indicators: int = 0
    refused: list[Refusal] = field(default_factory=list)


@dataclass
class ProfilesImported:
    """The role profiles written, by their index in the list given; how many
    requirements; what was refused."""

    profiles: dict[int, RoleProfile] = field(default_factory=dict)
    requirements: int = 0
    refused: list[Refusal] = field(default_factory=list)


@dataclass
class _CheckedSkill:
    index: int
    skill: Skill
    levels: list[LevelDescriptor]
    indicators: list[Indicator]


def _parent_unknown(given: SkillGiven, framework: Framework) -> ValidationFailed:
    return ValidationFailed(
        f"Parent {given.parent_code} of {given.code} is neither a skill of {framework} nor "
        "one written before it; the skill is kept at the top.",
        field="parent_code",
        value=given.parent_code,
        accepted=f"the code of a skill of {framework} or of one given before it",
    )


def _skill_checked(
    index: int,
    given: SkillGiven,
    framework: Framework,
    known: dict[str, Skill],
    result: SkillsImported,
) -> _CheckedSkill | None:
    """The skill `given` asks for, with the levels and indicators that pass
    their checks; None (and its refusal in `result`) when it fails its own."""
    parent = known.get(given.parent_code) if given.parent_code else None
    try:
        skill = skill_checked(
            framework=framework,
            code=given.code,
            name=given.name,
            category=given.category,
            parent=parent,
            description=given.description,
            scale_min=given.scale_min,
            scale_max=given.scale_max,
            external_codes=given.external_codes,
            codes_taken=known,
        )
    except ServiceError as exc:
        result.refused.append(Refusal(index, "skill", 0, exc))
        return None
    if given.parent_code and parent is None:
        result.refused.append(Refusal(index, "parent", 0, _parent_unknown(given, framework)))
    checked = _CheckedSkill(index, skill, [], [])
    # A level given twice replaces the first, as level_set does.
    levels: dict[int, LevelDescriptor] = {}
    for position, level in enumerate(given.levels):
        try:
            levels[level.level] = level_checked(
                skill=skill, level=level.level, description=level.description, title=level.title
            )
        except ServiceError as exc:
            result.refused.append(Refusal(index, "level", position, exc))
    checked.levels = list(levels.values())
    for position, indicator in enumerate(given.indicators):
        try:
            checked.indicators.append(
                indicator_checked(
                    skill=skill,
                    level=indicator.level,
                    text=indicator.text,
                    evidence=indicator.evidence,
                    kpi_rule=indicator.kpi_rule,
                )
            )
        except ServiceError as exc:
            result.refused.append(Refusal(index, "indicator", position, exc))
    return checked


@transaction.atomic
def skills_import(
    *, actor: User | None, framework: Framework, skills: Sequence[SkillGiven]
) -> SkillsImported:
    """Add `skills` to a draft framework, each with its level descriptors and
    indicators, parents before their children (a refused skill's levels and
    indicators are not written); `skills` of the answer maps each written
    skill's index to the skill. In a fixed number of queries."""
    require_configure(actor)
    refuse_if_frozen(framework, "skills")
    known = {s.code: s for s in Skill.objects.filter(framework=framework)}
    result = SkillsImported()
    checked: list[_CheckedSkill] = []
    for index, given in enumerate(skills):
        item = _skill_checked(index, given, framework, known, result)
        if item is not None:
            known[item.skill.code] = item.skill
            checked.append(item)
    result.skills = _skills_insert(framework, checked)
    levels = [
        (result.skills[item.index].pk, d.level, d.title, d.description)
        for item in checked
        for d in item.levels
    ]
    insert_rows(LevelDescriptor, ("skill", "level", "title", "description"), levels)
    indicators = [
        (result.skills[item.index].pk, i.level, i.text, i.evidence, i.kpi_rule)
        for item in checked
        for i in item.indicators
    ]
    insert_rows(Indicator, ("skill", "level", "text", "evidence", "kpi_rule"), indicators)
    result.levels, result.indicators = len(levels), len(indicators)
    return result


def _skills_insert(framework: Framework, checked: list[_CheckedSkill]) -> dict[int, Skill]:
    """Insert the checked skills, then point the children at their parents
    (whose ids the insert gave): the stored skills by index."""
    insert_rows(
        Skill,
        SKILL_COLUMNS,
        [
            [framework.pk, *(getattr(item.skill, name) for name in SKILL_COLUMNS[1:])]
            for item in checked
        ],
    )
    stored = {s.code: s for s in Skill.objects.filter(framework=framework)}
    written: dict[int, Skill] = {}
    children = []
    for item in checked:
        skill = written[item.index] = stored[item.skill.code]
        if item.skill.parent is not None:
            skill.parent = stored[item.skill.parent.code]
            children.append(skill)
    rows_update(Skill, children, ["parent"])
    return written


def _skill_unknown(code: str, framework: Framework) -> ValidationFailed:
    return ValidationFailed(
        f"{framework} has no skill {code}.",
        field="skill_code",
        value=code,
        accepted=f"the code of a skill of {framework}",
    )


def _profile_checked(
    index: int,
    given: ProfileGiven,
    framework: Framework,
    names: set[str],
    skills: dict[str, Skill],
    result: ProfilesImported,
) -> tuple[RoleProfile, list[ProfileRequirement]] | None:
    try:
        profile = profile_checked(
            framework=framework, name=given.name, description=given.description, names_taken=names
        )
    except ServiceError as exc:
        result.refused.append(Refusal(index, "profile", 0, exc))
        return None
    # A skill required twice keeps the later level, as requirement_set does.
    needs: dict[str, ProfileRequirement] = {}
    for position, need in enumerate(given.requirements):
        skill = skills.get(need.skill_code)
        if skill is None:
            unknown = _skill_unknown(need.skill_code, framework)
            result.refused.append(Refusal(index, "requirement", position, unknown))
            continue
        try:
            needs[skill.code] = requirement_checked(
                profile=profile, skill=skill, min_level=need.min_level, hard=need.hard
            )
        except ServiceError as exc:
            result.refused.append(Refusal(index, "requirement", position, exc))
    return profile, list(needs.values())


@transaction.atomic
def profiles_import(
    *, actor: User | None, framework: Framework, profiles: Sequence[ProfileGiven]
) -> ProfilesImported:
    """Add role profiles with the skill levels they require to a draft
    framework (a refused profile's requirements are not written); `profiles`
    of the answer maps each written profile's index to the profile. In a
    fixed number of queries."""
    require_configure(actor)
    refuse_if_frozen(framework, "role profiles")
    names = set(RoleProfile.objects.filter(framework=framework).values_list("name", flat=True))
    skills = {s.code: s for s in Skill.objects.filter(framework=framework)}
    result = ProfilesImported()
    checked: dict[int, tuple[RoleProfile, list[ProfileRequirement]]] = {}
    for index, given in enumerate(profiles):
        item = _profile_checked(index, given, framework, names, skills, result)
        if item is not None:
            names.add(item[0].name)
            checked[index] = item
    insert_rows(
        RoleProfile,
        ("framework", "name", "description"),
        ((framework.pk, p.name, p.description) for p, _ in checked.values()),
    )
    stored = {p.name: p for p in RoleProfile.objects.filter(framework=framework)}
    result.profiles = {index: stored[p.name] for index, (p, _) in checked.items()}
    requirements = [
        (result.profiles[index].pk, r.skill.pk, r.min_level, r.hard)
        for index, (_, needs) in checked.items()
        for r in needs
    ]
    insert_rows(ProfileRequirement, ("profile", "skill", "min_level", "hard"), requirements)
    result.requirements = len(requirements)
    return result
