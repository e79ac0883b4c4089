"""Competency API: assessment cycles, assessments, exams, ratings, the
synthesis with its inputs, overrides, validation and rater agreement."""

from __future__ import annotations

from typing import Any, NoReturn

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.competency import assessment_selectors as read
from netdesk.competency.api.assessment_schemas import (
    AssessmentIn,
    AssessmentOut,
    BankQuestionOut,
    CycleAgreementOut,
    CycleDetailOut,
    CycleIn,
    CycleOut,
    ExamDrawIn,
    ExamOut,
    ExamSubmitIn,
    GradeOverrideIn,
    KpiEvidenceOut,
    OverrideIn,
    QuestionIn,
    RatingIn,
    RatingOut,
    assessment_out,
    bank_question_out,
    cycle_out,
    evidence_out,
    exam_out,
)
from netdesk.competency.models import (
    Assessment,
    AssessmentCycle,
    ExamAttempt,
    ExamQuestion,
    Framework,
    Indicator,
    Skill,
    SkillResult,
)
from netdesk.competency.services import assessment as services
from netdesk.competency.services import assessment_exams as exams
from netdesk.core.errors import NotFound
from netdesk.core.schemas import MAX_ID, answers

router = Router(tags=["competency"])


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _one(queryset: QuerySet[Any], pk: int, what: str, field: str) -> Any:
    found = queryset.filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if found is None:
        raise NotFound(f"No {what} {pk}.", field=field, value=pk, accepted=f"a {what} id")
    return found


def _cycle(user: User, cycle_id: int) -> AssessmentCycle:
    require(user, Action.COMPETENCY_VIEW_OWN)
    if not 0 < cycle_id <= MAX_ID:
        _missing("cycle", cycle_id)
    return read.cycle_get(user, cycle_id)


def _assessment(user: User, assessment_id: int) -> Assessment:
    require(user, Action.COMPETENCY_VIEW_OWN)
    if not 0 < assessment_id <= MAX_ID:
        _missing("assessment", assessment_id)
    return read.assessment_get(user, assessment_id)


def _exam(user: User, exam_id: int) -> ExamAttempt:
    require(user, Action.COMPETENCY_VIEW_OWN)
    if not 0 < exam_id <= MAX_ID:
        _missing("exam", exam_id)
    return read.exam_get(user, exam_id)


def _missing(what: str, pk: int) -> NoReturn:
    raise NotFound(f"No {what} {pk}.", field=f"{what}_id", value=pk, accepted=f"a {what} id")


# ---- cycles ---------------------------------------------------------------------------


@router.get("/cycles", response=answers(list[CycleOut]), summary="Assessment cycles")
def cycles(request: HttpRequest) -> list[dict[str, Any]]:
    user = _user(request)
    require(user, Action.COMPETENCY_VIEW_OWN)
    return [cycle_out(c) for c in read.cycles_visible_to(user).select_related("created_by")[:500]]


@router.post("/cycles", response=answers(CycleOut, 201), summary="Start an assessment cycle")
def cycle_create(request: HttpRequest, payload: CycleIn) -> Status[dict[str, Any]]:
    user = _user(request)
    require(user, Action.COMPETENCY_CONFIGURE)
    framework = _one(Framework.objects.all(), payload.framework_id, "framework", "framework_id")
    cycle = services.cycle_create(
        actor=user,
        name=payload.name,
        framework=framework,
        period_start=payload.period_start,
        period_end=payload.period_end,
        synthesis_config=payload.synthesis,
    )
    return Status(201, cycle_out(cycle))


@router.get(
    "/cycles/{cycle_id}",
    response=answers(CycleDetailOut),
    summary="A cycle and the progress of the assessments you may see",
)
def cycle_get(request: HttpRequest, cycle_id: int) -> dict[str, Any]:
    user = _user(request)
    cycle = _cycle(user, cycle_id)
    return {**cycle_out(cycle), "assessments": read.cycle_progress(cycle, user)}


@router.post("/cycles/{cycle_id}/close", response=answers(CycleOut), summary="Close a cycle")
def cycle_close(request: HttpRequest, cycle_id: int) -> dict[str, Any]:
    user = _user(request)
    return cycle_out(services.cycle_close(actor=user, cycle=_cycle(user, cycle_id)))


@router.get(
    "/cycles/{cycle_id}/agreement",
    response=answers(CycleAgreementOut),
    summary="Rater agreement: weighted kappa for two assessors, ICC(2,1) and ICC(2,k)",
)
def cycle_agreement(request: HttpRequest, cycle_id: int) -> dict[str, Any]:
    user = _user(request)
    require(user, Action.COMPETENCY_ASSESS)
    return read.cycle_agreement(_cycle(user, cycle_id))


@router.post(
    "/cycles/{cycle_id}/assessments",
    response=answers(AssessmentOut, 201),
    summary="Open an agent's assessment",
)
def assessment_open(
    request: HttpRequest, cycle_id: int, payload: AssessmentIn
) -> Status[dict[str, Any]]:
    user = _user(request)
    require(user, Action.COMPETENCY_ASSESS)
    cycle = _cycle(user, cycle_id)
    agent = _one(User.objects.all(), payload.agent_id, "agent", "agent_id")
    skills = None
    if payload.skill_ids is not None:
        found = {s.pk: s for s in Skill.objects.filter(pk__in=payload.skill_ids)}
        missing = [pk for pk in payload.skill_ids if pk not in found]
        if missing:
            _missing("skill", missing[0])
        skills = [found[pk] for pk in payload.skill_ids]
    assessment = services.assessment_open(actor=user, cycle=cycle, agent=agent, skills=skills)
    return Status(201, assessment_out(read.assessment_get(user, assessment.pk)))


# ---- assessments ------------------------------------------------------------------------


@router.get(
    "/assessments/{assessment_id}",
    response=answers(AssessmentOut),
    summary="An assessment: exams, ratings, KPI evidence and the synthesis with its inputs",
)
def assessment_get(request: HttpRequest, assessment_id: int) -> dict[str, Any]:
    return assessment_out(_assessment(_user(request), assessment_id))


@router.get(
    "/assessments/{assessment_id}/evidence",
    response=answers(list[KpiEvidenceOut]),
    summary="KPI evidence: observed, expected for the ticket mix, O/E, shrunk",
)
def assessment_evidence(request: HttpRequest, assessment_id: int) -> list[dict[str, Any]]:
    assessment = _assessment(_user(request), assessment_id)
    return evidence_out(read.cycle_evidence(assessment.cycle).get(assessment.agent_id, {}))


@router.post(
    "/assessments/{assessment_id}/exams",
    response=answers(ExamOut, 201),
    summary="Draw an exam from the question bank",
)
def exam_draw(
    request: HttpRequest, assessment_id: int, payload: ExamDrawIn
) -> Status[dict[str, Any]]:
    user = _user(request)
    assessment = _assessment(user, assessment_id)
    skill = _one(Skill.objects.all(), payload.skill_id, "skill", "skill_id")
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
    user = _user(request)
    assessment = _assessment(user, assessment_id)
    indicator = _one(
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
    user = _user(request)
    services.assessment_synthesise(actor=user, assessment=_assessment(user, assessment_id))
    return assessment_out(_assessment(user, assessment_id))


@router.post(
    "/assessments/{assessment_id}/results/{skill_id}/override",
    response=answers(AssessmentOut),
    summary="Set a skill's level by hand, with the reason",
)
def result_override(
    request: HttpRequest, assessment_id: int, skill_id: int, payload: OverrideIn
) -> dict[str, Any]:
    user = _user(request)
    assessment = _assessment(user, assessment_id)
    result = _result(assessment, skill_id)
    services.skill_result_override(
        actor=user, result=result, level=payload.level, reason=payload.reason
    )
    return assessment_out(_assessment(user, assessment_id))


def _result(assessment: Assessment, skill_id: int) -> SkillResult:
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
    user = _user(request)
    services.grade_override(
        actor=user,
        assessment=_assessment(user, assessment_id),
        grade=payload.grade,
        reason=payload.reason,
    )
    return assessment_out(_assessment(user, assessment_id))


@router.post(
    "/assessments/{assessment_id}/validate",
    response=answers(AssessmentOut),
    summary="Validate: the levels become the agent's recorded levels",
)
def assessment_validate(request: HttpRequest, assessment_id: int) -> dict[str, Any]:
    user = _user(request)
    services.assessment_validate(actor=user, assessment=_assessment(user, assessment_id))
    return assessment_out(_assessment(user, assessment_id))


# ---- exams and the question bank -----------------------------------------------------------


@router.get("/exams/{exam_id}", response=answers(ExamOut), summary="An exam (no right answers)")
def exam_get(request: HttpRequest, exam_id: int) -> dict[str, Any]:
    return exam_out(_exam(_user(request), exam_id))


@router.post("/exams/{exam_id}/submit", response=answers(ExamOut), summary="Hand in your exam")
def exam_submit(request: HttpRequest, exam_id: int, payload: ExamSubmitIn) -> dict[str, Any]:
    user = _user(request)
    attempt = exams.exam_submit(actor=user, attempt=_exam(user, exam_id), answers=payload.answers)
    return exam_out(read.exam_get(user, attempt.pk))


@router.get(
    "/skills/{skill_id}/questions",
    response=answers(list[BankQuestionOut]),
    summary="The question bank of a skill",
)
def questions(request: HttpRequest, skill_id: int) -> list[dict[str, Any]]:
    require(_user(request), Action.COMPETENCY_CONFIGURE)
    skill = _one(Skill.objects.all(), skill_id, "skill", "skill_id")
    return [
        bank_question_out(q)
        for q in ExamQuestion.objects.filter(skill=skill).order_by("level", "id")[:2000]
    ]


@router.post(
    "/skills/{skill_id}/questions",
    response=answers(BankQuestionOut, 201),
    summary="Add a multiple-choice question to the bank",
)
def question_create(
    request: HttpRequest, skill_id: int, payload: QuestionIn
) -> Status[dict[str, Any]]:
    user = _user(request)
    require(user, Action.COMPETENCY_CONFIGURE)
    skill = _one(Skill.objects.all(), skill_id, "skill", "skill_id")
    question = exams.exam_question_create(
        actor=user,
        skill=skill,
        level=payload.level,
        text=payload.text,
        choices=payload.choices,
        correct=payload.correct,
    )
    return Status(201, bank_question_out(question))
