"""Assessment cycles: start, read, close, open an agent's assessment, and
the rater agreement of a cycle."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require, user_of
from netdesk.assessments import selectors as read
from netdesk.assessments.api.lookups import cycle_for, not_found, one_of
from netdesk.assessments.api.schemas import (
    AssessmentIn,
    AssessmentOut,
    CycleAgreementOut,
    CycleDetailOut,
    CycleIn,
    CycleOut,
    assessment_out,
)
from netdesk.assessments.models import AssessmentCycle
from netdesk.assessments.services import assessments as services
from netdesk.competency.models import Framework, Skill
from netdesk.core.schemas import answers

router = Router(tags=["competency"])


# ---- cycles ---------------------------------------------------------------------------


@router.get("/cycles", response=answers(list[CycleOut]), summary="Assessment cycles")
def cycles(request: HttpRequest) -> list[AssessmentCycle]:
    user = user_of(request)
    require(user, Action.COMPETENCY_VIEW_OWN)
    return list(read.cycles_visible_to(user).select_related("created_by")[:500])


@router.post("/cycles", response=answers(CycleOut, 201), summary="Start an assessment cycle")
def cycle_create(request: HttpRequest, payload: CycleIn) -> Status[AssessmentCycle]:
    user = user_of(request)
    require(user, Action.COMPETENCY_CONFIGURE)
    framework = one_of(Framework.objects.all(), payload.framework_id, "framework", "framework_id")
    cycle = services.cycle_create(
        actor=user,
        name=payload.name,
        framework=framework,
        period_start=payload.period_start,
        period_end=payload.period_end,
        synthesis_config=payload.synthesis,
    )
    return Status(201, cycle)


@router.get(
    "/cycles/{cycle_id}",
    response=answers(CycleDetailOut),
    summary="A cycle and the progress of the assessments you may see",
)
def cycle_get(request: HttpRequest, cycle_id: int) -> AssessmentCycle:
    return cycle_for(user_of(request), cycle_id)


@router.post("/cycles/{cycle_id}/close", response=answers(CycleOut), summary="Close a cycle")
def cycle_close(request: HttpRequest, cycle_id: int) -> AssessmentCycle:
    user = user_of(request)
    return services.cycle_close(actor=user, cycle=cycle_for(user, cycle_id))


@router.get(
    "/cycles/{cycle_id}/agreement",
    response=answers(CycleAgreementOut),
    summary="Rater agreement: weighted kappa for two assessors, ICC(2,1) and ICC(2,k)",
)
def cycle_agreement(request: HttpRequest, cycle_id: int) -> dict[str, Any]:
    user = user_of(request)
    require(user, Action.COMPETENCY_ASSESS)
    return read.cycle_agreement(cycle_for(user, cycle_id))


@router.post(
    "/cycles/{cycle_id}/assessments",
    response=answers(AssessmentOut, 201),
    summary="Open an agent's assessment",
)
def assessment_open(
    request: HttpRequest, cycle_id: int, payload: AssessmentIn
) -> Status[dict[str, Any]]:
    user = user_of(request)
    require(user, Action.COMPETENCY_ASSESS)
    cycle = cycle_for(user, cycle_id)
    agent = one_of(User.objects.all(), payload.agent_id, "agent", "agent_id")
    skills = None
    if payload.skill_ids is not None:
        found = {s.pk: s for s in Skill.objects.filter(pk__in=payload.skill_ids)}
        missing = [pk for pk in payload.skill_ids if pk not in found]
        if missing:
            not_found("skill", missing[0])
        skills = [found[pk] for pk in payload.skill_ids]
    assessment = services.assessment_open(actor=user, cycle=cycle, agent=agent, skills=skills)
    return Status(201, assessment_out(read.assessment_get(user, assessment.pk)))
