"""An assessment: read it and its KPI evidence, draw an exam, record
ratings, synthesise, override a result or the grade, validate."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from netdesk.accounts.permissions import user_of
from netdesk.assessments import selectors as read
from netdesk.assessments.api.lookups import assessment_for, one_of
from netdesk.assessments.api.schemas import (
    AssessmentOut,
    ExamDrawIn,
    ExamOut,
    GradeOverrideIn,
    KpiEvidenceOut,
    OverrideIn,
    RatingIn,
    RatingOut,
    assessment_out,
    evidence_out,
    exam_out,
)
from netdesk.assessments.models import (
    Assessment,
    SkillResult,
)
from netdesk.assessments.services import assessments as services
from netdesk.assessments.services import exams
from netdesk.competency.models import Indicator, Skill
from netdesk.core.errors import NotFound
from netdesk.core.schemas import MAX_ID, answers

router = Router(tags=["competency"])


# ---- assessments ------------------------------------------------------------------------


@router.get(
    "/assessments/{assessment_id}",
    response=answers(AssessmentOut),
    summary="An assessment: exams, ratings, KPI evidence and the synthesis with its inputs",
)
def assessment_get(request: HttpRequest, assessment_id: int) -> dict[str, Any]:
    return assessment_out(assessment_for(user_of(request), assessment_id))


@router.get(
    "/assessments/{assessment_id}/evidence",
    response=answers(list[KpiEvidenceOut]),
    summary="KPI evidence: observed, expected for the ticket mix, O/E, shrunk",
)
def assessment_evidence(request: HttpRequest, assessment_id: int) -> list[dict[str, Any]]:
    assessment = assessment_for(user_of(request), assessment_id)
    return evidence_out(read.cycle_evidence(assessment.cycle).get(assessment.agent_id, {}))


@router.post(
    "/assessments/{assessment_id}/exams",
    response=answers(ExamOut, 201),
    summary="Draw an exam from the question bank",
)
def exam_draw(
    request: HttpRequest, assessment_id: int, payload: ExamDrawIn
) -> Status[dict[str, Any]]:
    user = user_of(request)
    assessment = assessment_for(user, assessment_id)
    skill = one_of(Skill.objects.all(), payload.skill_id, "skill", "skill_id")
    attempt = exams.exam_draw(
        actor=user,
        assessment=assessment,
        skill=skill,
        level=payload.level,
        questions=payload.questions,
        seed=payload.seed,
    )
    return Status(201, exam_out(read.exam_get(user, attempt.pk)))


@router.post(
    "/assessments/{assessment_id}/ratings",
    response=answers(RatingOut, 201),
    summary="Rate an indicator (1–5, anchored)",
)
def rating_record(
    request: HttpRequest, assessment_id: int, payload: RatingIn
) -> Status[dict[str, Any]]:
    user = user_of(request)
    assessment = assessment_for(user, assessment_id)
    indicator = one_of(
        Indicator.objects.select_related("skill"), payload.indicator_id, "indicator", "indicator_id"
    )
    rating = services.rating_record(
        actor=user,
        assessment=assessment,
        indicator=indicator,
        kind=payload.kind,
        score=payload.score,
        note=payload.note,
    )
    return Status(
        201,
        {
            "id": rating.pk,
            "indicator_id": rating.indicator_id,
            "kind": rating.kind,
            "assessor": user.username,
            "score": rating.score,
            "note": rating.note,
            "rated_at": rating.rated_at,
        },
    )


@router.post(
    "/assessments/{assessment_id}/synthesise",
    response=answers(AssessmentOut),
    summary="Synthesise levels per skill and the grade",
)
def assessment_synthesise(request: HttpRequest, assessment_id: int) -> dict[str, Any]:
    user = user_of(request)
    services.assessment_synthesise(actor=user, assessment=assessment_for(user, assessment_id))
    return assessment_out(assessment_for(user, assessment_id))


@router.post(
    "/assessments/{assessment_id}/results/{skill_id}/override",
    response=answers(AssessmentOut),
    summary="Set a skill's level by hand, with the reason",
)
def result_override(
    request: HttpRequest, assessment_id: int, skill_id: int, payload: OverrideIn
) -> dict[str, Any]:
    user = user_of(request)
    assessment = assessment_for(user, assessment_id)
    result = result_of(assessment, skill_id)
    services.skill_result_override(
        actor=user, result=result, level=payload.level, reason=payload.reason
    )
    return assessment_out(assessment_for(user, assessment_id))


def result_of(assessment: Assessment, skill_id: int) -> SkillResult:
    found = (
        SkillResult.objects.select_related("skill", "assessment__agent", "assessment__cycle")
        .filter(assessment=assessment, skill_id=skill_id)
        .first()
        if 0 < skill_id <= MAX_ID
        else None
    )
    if found is None:
        raise NotFound(
            f"No synthesised result for skill {skill_id} in this assessment.",
            field="skill_id",
            value=skill_id,
            accepted="a skill of the assessment, after synthesis",
        )
    return found


@router.post(
    "/assessments/{assessment_id}/grade/override",
    response=answers(AssessmentOut),
    summary="Set the grade by hand, with the reason",
)
def grade_override(
    request: HttpRequest, assessment_id: int, payload: GradeOverrideIn
) -> dict[str, Any]:
    user = user_of(request)
    services.grade_override(
        actor=user,
        assessment=assessment_for(user, assessment_id),
        grade=payload.grade,
        reason=payload.reason,
    )
    return assessment_out(assessment_for(user, assessment_id))


@router.post(
    "/assessments/{assessment_id}/validate",
    response=answers(AssessmentOut),
    summary="Validate: the levels become the agent's recorded levels",
)
def assessment_validate(request: HttpRequest, assessment_id: int) -> dict[str, Any]:
    user = user_of(request)
    services.assessment_validate(actor=user, assessment=assessment_for(user, assessment_id))
    return assessment_out(assessment_for(user, assessment_id))
