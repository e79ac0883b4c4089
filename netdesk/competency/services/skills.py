"""Writes to a draft framework's skills, their level descriptors and
behavioural indicators (published versions are frozen: see framework.py)."""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from django.db import transaction

from netdesk.accounts.models import User
from netdesk.competency.models import (
    EvidenceKind,
    Framework,
    Indicator,
    LevelDescriptor,
    ProfileRequirement,
    Skill,
    SkillCategory,
)
from netdesk.competency.services.framework import (
    KPI_BOUNDS,
    SCALE_LIMIT,
    checked_code,
    checked_external_codes,
    level_in_scale,
    refuse_if_frozen,
    require_configure,
)
from netdesk.core.checks import checked_choice, checked_text
from netdesk.core.errors import ValidationFailed
from netdesk.core.locking import locked


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


def _unique_code(
    framework: Framework,
    code: str,
    skill: Skill | None = None,
    *,
    codes_taken: Container[str] | None = None,
) -> None:
    """`codes_taken`: the codes of the framework's other skills, where the
    caller read them all at once; without it, the code is looked up."""
    if codes_taken is not None:
        taken = code in codes_taken
    else:
        others = Skill.objects.filter(framework=framework, code=code)
        if skill is not None:
            others = others.exclude(pk=skill.pk)
        taken = others.exists()
    if taken:
        raise ValidationFailed(f"{framework} already has a skill {code}.", field="code", value=code)


def skill_checked(
    *,
    framework: Framework,
    code: str,
    name: str,
    category: str,
    parent: Skill | None,
    description: str,
    scale_min: int,
    scale_max: int,
    external_codes: dict[str, Any] | None,
    codes_taken: Container[str] | None = None,
) -> Skill:
    """A new, unsaved skill of `framework` that passed every check a new
    skill must pass. The caller holds the framework's lock (refuse_if_frozen)."""
    code = checked_code(code)
    _unique_code(framework, code, codes_taken=codes_taken)
    _check_parent(None, framework, parent)
    _check_scale(scale_min, scale_max)
    return Skill(
        framework=framework,
        code=code,
        name=checked_text("name", name, 200),
        category=checked_choice("category", category, SkillCategory.values),
        parent=parent,
        description=checked_text("description", description, 5000, blank=True),
        scale_min=scale_min,
        scale_max=scale_max,
        external_codes=checked_external_codes(external_codes),
    )


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
    require_configure(actor)
    refuse_if_frozen(framework, "skills")
    skill = skill_checked(
        framework=framework,
        code=code,
        name=name,
        category=category,
        parent=parent,
        description=description,
        scale_min=scale_min,
        scale_max=scale_max,
        external_codes=external_codes,
    )
    skill.save(force_insert=True)
    return skill


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
    require_configure(actor)
    framework = skill.framework
    refuse_if_frozen(framework, "skills")
    skill = locked(skill)
    if code is not None:
        skill.code = checked_code(code)
        _unique_code(framework, skill.code, skill)
    if name is not None:
        skill.name = checked_text("name", name, 200)
    if category is not None:
        skill.category = checked_choice("category", category, SkillCategory.values)
    if parent is not UNSET:
        _check_parent(skill, framework, parent)
        skill.parent = parent
    if description is not None:
        skill.description = checked_text("description", description, 5000, blank=True)
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
        skill.external_codes = checked_external_codes(external_codes)
    skill.save(update_fields=SKILL_FIELDS)
    return skill


@transaction.atomic
def skill_delete(*, actor: User | None, skill: Skill) -> None:
    """Delete a draft's skill with its levels, indicators, requirements and
    the skills below it."""
    require_configure(actor)
    refuse_if_frozen(skill.framework, "skills")
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
    require_configure(actor)
    refuse_if_frozen(skill.framework, "level descriptors")
    skill = locked(skill)
    checked = level_checked(skill=skill, level=level, description=description, title=title)
    descriptor, _ = LevelDescriptor.objects.update_or_create(
        skill=skill,
        level=level,
        defaults={"description": checked.description, "title": checked.title},
    )
    return descriptor


def level_checked(*, skill: Skill, level: int, description: str, title: str) -> LevelDescriptor:
    """An unsaved level descriptor of `skill` that passed every check."""
    level_in_scale(skill, level)
    return LevelDescriptor(
        skill=skill,
        level=level,
        description=checked_text("description", description, 5000),
        title=checked_text("title", title, 120, blank=True),
    )


@transaction.atomic
def level_delete(*, actor: User | None, skill: Skill, level: int) -> None:
    require_configure(actor)
    refuse_if_frozen(skill.framework, "level descriptors")
    skill = locked(skill)
    level_in_scale(skill, level)
    LevelDescriptor.objects.filter(skill=skill, level=level).delete()


# Read once: a Choices class lists its values anew on every access, and an
# import checks the evidence of thousands of indicators.
EVIDENCE_KINDS = tuple(EvidenceKind.values)


def _evidence(value: list[str]) -> list[str]:
    if not isinstance(value, list) or not value:
        raise ValidationFailed(
            "Say what evidence can show the indicator.",
            field="evidence",
            value=value,
            accepted=list(EVIDENCE_KINDS),
        )
    for kind in value:
        checked_choice("evidence", kind, EVIDENCE_KINDS)
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
    require_configure(actor)
    refuse_if_frozen(skill.framework, "indicators")
    skill = locked(skill)
    indicator = indicator_checked(
        skill=skill, level=level, text=text, evidence=evidence, kpi_rule=kpi_rule
    )
    indicator.save(force_insert=True)
    return indicator


def indicator_checked(
    *,
    skill: Skill,
    level: int,
    text: str,
    evidence: list[str],
    kpi_rule: dict[str, Any] | None,
) -> Indicator:
    """An unsaved indicator of `skill` that passed every check."""
    level_in_scale(skill, level)
    kinds = _evidence(evidence)
    return Indicator(
        skill=skill,
        level=level,
        text=checked_text("text", text, 2000),
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
    require_configure(actor)
    refuse_if_frozen(indicator.skill.framework, "indicators")
    indicator = locked(indicator)
    if level is not None:
        indicator.level = level_in_scale(indicator.skill, level)
    if text is not None:
        indicator.text = checked_text("text", text, 2000)
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
    require_configure(actor)
    refuse_if_frozen(indicator.skill.framework, "indicators")
    locked(indicator).delete()
