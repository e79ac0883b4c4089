"""A framework's skills, their level descriptors and behavioural indicators."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from netdesk.accounts.models import User
from netdesk.accounts.permissions import user_of
from netdesk.competency.api.lookups import framework_get, frameworks_for, one_of, skill_get
from netdesk.competency.api.schemas import (
    FrameworkIndicatorIn,
    FrameworkIndicatorOut,
    FrameworkIndicatorPatchIn,
    FrameworkSkillIn,
    FrameworkSkillOut,
    FrameworkSkillPatchIn,
    LevelDescriptorIn,
    kpi_rule_of,
    single_skill_out,
)
from netdesk.competency.models import (
    Indicator,
    Skill,
)
from netdesk.competency.services import skills as skill_services
from netdesk.core.schemas import (
    answers,
)

router = Router(tags=["competency"])


# ---- skills, levels, indicators -------------------------------------------------------


def _parent(user: User, parent_id: int | None) -> Skill | None:
    return None if parent_id is None else skill_get(user, parent_id)


@router.post(
    "/frameworks/{framework_id}/skills",
    response=answers(FrameworkSkillOut, 201),
    summary="Add a skill to a draft",
)
def skills_create(
    request: HttpRequest, framework_id: int, payload: FrameworkSkillIn
) -> Status[dict[str, Any]]:
    user = user_of(request)
    framework = framework_get(user, framework_id)
    skill = skill_services.skill_create(
        actor=user,
        framework=framework,
        code=payload.code,
        name=payload.name,
        category=payload.category,
        parent=_parent(user, payload.parent_id),
        description=payload.description,
        scale_min=payload.scale_min,
        scale_max=payload.scale_max,
        external_codes=payload.external_codes,
    )
    return Status(201, single_skill_out(skill))


@router.get("/skills/{skill_id}", response=answers(FrameworkSkillOut), summary="A skill")
def skills_detail(request: HttpRequest, skill_id: int) -> dict[str, Any]:
    return single_skill_out(skill_get(user_of(request), skill_id))


@router.patch(
    "/skills/{skill_id}", response=answers(FrameworkSkillOut), summary="Change a draft's skill"
)
def skills_patch(
    request: HttpRequest, skill_id: int, payload: FrameworkSkillPatchIn
) -> dict[str, Any]:
    user = user_of(request)
    skill = skill_get(user, skill_id)
    given = payload.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {
        k: v
        for k, v in given.items()
        if k in ("code", "name", "category", "description", "scale_min", "scale_max")
        and v is not None
    }
    if "external_codes" in given and given["external_codes"] is not None:
        changes["external_codes"] = given["external_codes"]
    if "parent_id" in given:
        changes["parent"] = _parent(user, given["parent_id"])
    return single_skill_out(skill_services.skill_update(actor=user, skill=skill, **changes))


@router.delete("/skills/{skill_id}", response=answers(None, 204), summary="Delete a draft's skill")
def skills_delete(request: HttpRequest, skill_id: int) -> Status[None]:
    user = user_of(request)
    skill_services.skill_delete(actor=user, skill=skill_get(user, skill_id))
    return Status(204, None)


@router.put(
    "/skills/{skill_id}/levels/{level}",
    response=answers(FrameworkSkillOut),
    summary="Say what a level of a draft's skill means",
)
def levels_put(
    request: HttpRequest, skill_id: int, level: int, payload: LevelDescriptorIn
) -> dict[str, Any]:
    user = user_of(request)
    skill = skill_get(user, skill_id)
    skill_services.level_set(
        actor=user, skill=skill, level=level, description=payload.description, title=payload.title
    )
    return single_skill_out(skill)


@router.delete(
    "/skills/{skill_id}/levels/{level}",
    response=answers(None, 204),
    summary="Remove a level descriptor from a draft's skill",
)
def levels_delete(request: HttpRequest, skill_id: int, level: int) -> Status[None]:
    user = user_of(request)
    skill_services.level_delete(actor=user, skill=skill_get(user, skill_id), level=level)
    return Status(204, None)


@router.post(
    "/skills/{skill_id}/indicators",
    response=answers(FrameworkIndicatorOut, 201),
    summary="Add a behavioural indicator to a draft's skill",
)
def indicators_create(
    request: HttpRequest, skill_id: int, payload: FrameworkIndicatorIn
) -> Status[Indicator]:
    user = user_of(request)
    indicator = skill_services.indicator_create(
        actor=user,
        skill=skill_get(user, skill_id),
        level=payload.level,
        text=payload.text,
        evidence=list(payload.evidence),
        kpi_rule=kpi_rule_of(payload.kpi_rule),
    )
    return Status(201, indicator)


def _indicator(user: User, indicator_id: int) -> Indicator:
    indicator: Indicator = one_of(
        Indicator.objects.filter(skill__framework__in=frameworks_for(user)).select_related(
            "skill", "skill__framework"
        ),
        indicator_id,
        "indicator",
        "indicator_id",
    )
    return indicator


@router.patch(
    "/indicators/{indicator_id}",
    response=answers(FrameworkIndicatorOut),
    summary="Change an indicator",
)
def indicators_patch(
    request: HttpRequest, indicator_id: int, payload: FrameworkIndicatorPatchIn
) -> Indicator:
    user = user_of(request)
    given = payload.model_dump(exclude_unset=True)
    indicator = skill_services.indicator_update(
        actor=user,
        indicator=_indicator(user, indicator_id),
        level=given.get("level"),
        text=given.get("text"),
        evidence=list(payload.evidence) if payload.evidence is not None else None,
        kpi_rule=kpi_rule_of(payload.kpi_rule),
    )
    return indicator


@router.delete(
    "/indicators/{indicator_id}", response=answers(None, 204), summary="Delete an indicator"
)
def indicators_delete(request: HttpRequest, indicator_id: int) -> Status[None]:
    user = user_of(request)
    skill_services.indicator_delete(actor=user, indicator=_indicator(user, indicator_id))
    return Status(204, None)
