"""Competency API: assessment cycles, assessments, exams, ratings, the
synthesis with its inputs, overrides, validation and rater agreement."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, NoReturn

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Status
from pydantic import BeforeValidator

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.competency import assessment_selectors as read
from netdesk.competency.evidence import KpiEvidence
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
from netdesk.core.schemas import MAX_ID, InputSchema, OutputSchema, answers

router = Router(tags=["competency"])


def _date_only(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError("expected an ISO 8601 date such as 2026-03-01")


IsoDate = Annotated[date, BeforeValidator(_date_only)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


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


# ---- shapes ---------------------------------------------------------------------


class CycleOut(OutputSchema):
    id: int
    name: str
    framework_id: int
    framework: str
    period_start: date
    period_end: date
    synthesis: dict[str, Any]
    created_by: str | None
    created_at: datetime
    closed_at: datetime | None


class ProgressOut(OutputSchema):
    id: int
    agent: str
    agent_name: str
    state: str
    grade: str
    skills: int
    exams_drawn: int
    exams_submitted: int
    ratings: int
    assessors: int


class CycleDetailOut(CycleOut):
    assessments: list[ProgressOut]


class StatisticOut(OutputSchema):
    value: float | None
    reason: str


class AgreementOut(OutputSchema):
    raters: list[str]
    items: int
    items_left_out: int
    kappa_quadratic: StatisticOut | None
    kappa_linear: StatisticOut | None
    icc_single: StatisticOut | None
    icc_average: StatisticOut | None
    reason: str


class CycleAgreementOut(OutputSchema):
    observation: AgreementOut
    interview: AgreementOut
    all: AgreementOut


class RatingOut(OutputSchema):
    id: int
    indicator_id: int
    kind: str
    assessor: str
    score: int
    note: str
    rated_at: datetime


class ExamSummaryOut(OutputSchema):
    id: int
    level: int
    questions: int
    pass_mark: float
    score: float | None
    passed: bool | None
    started_at: datetime
    submitted_at: datetime | None


class ResultOut(OutputSchema):
    level: int | None
    score: float | None
    override_level: int | None
    override_reason: str
    effective_level: int | None
    hurdles_failed: list[dict[str, Any]]
    inputs: dict[str, Any]


class IndicatorRatingsOut(OutputSchema):
    id: int
    level: int
    text: str
    evidence: list[str]
    kpi_rule: dict[str, Any]
    ratings: list[RatingOut]


class AssessedSkillOut(OutputSchema):
    id: int
    code: str
    name: str
    scale_min: int
    scale_max: int
    indicators: list[IndicatorRatingsOut]
    exam: ExamSummaryOut | None
    result: ResultOut | None


class KpiEvidenceOut(OutputSchema):
    kpi: str
    label: str
    higher_is_better: bool
    unit: str
    tickets: int
    observed: float | None
    expected: float | None
    ratio: float | None
    team_ratio: float | None
    weight: float
    shrunk_ratio: float | None
    adjusted: float | None
    note: str


class AssessmentOut(OutputSchema):
    id: int
    cycle_id: int
    agent_id: int
    agent: str
    state: str
    grade: str
    grade_inputs: dict[str, Any]
    override_reason: str
    skills: list[AssessedSkillOut]
    kpi_evidence: list[KpiEvidenceOut]


class QuestionOut(OutputSchema):
    id: int
    text: str
    choices: list[str]
    chosen: int | None
    right: bool | None


class ExamOut(ExamSummaryOut):
    assessment_id: int
    skill_id: int
    skill: str
    items: list[QuestionOut]


class BankQuestionOut(OutputSchema):
    id: int
    skill_id: int
    level: int
    text: str
    choices: list[str]
    correct: int


def cycle_out(cycle: AssessmentCycle) -> dict[str, Any]:
    return {
        "id": cycle.pk,
        "name": cycle.name,
        "framework_id": cycle.framework_id,
        "framework": str(cycle.framework),
        "period_start": cycle.period_start,
        "period_end": cycle.period_end,
        "synthesis": cycle.synthesis,
        "created_by": cycle.created_by.username if cycle.created_by else None,
        "created_at": cycle.created_at,
        "closed_at": cycle.closed_at,
    }


def exam_summary(attempt: ExamAttempt, questions: int) -> dict[str, Any]:
    return {
        "id": attempt.pk,
        "level": attempt.level,
        "questions": questions,
        "pass_mark": attempt.pass_mark,
        "score": attempt.score,
        "passed": read.exam_passed(attempt),
        "started_at": attempt.started_at,
        "submitted_at": attempt.submitted_at,
    }


def result_out(result: SkillResult) -> dict[str, Any]:
    return {
        "level": result.level,
        "score": result.score,
        "override_level": result.override_level,
        "override_reason": result.override_reason,
        "effective_level": result.override_level
        if result.override_level is not None
        else result.level,
        "hurdles_failed": result.hurdles_failed,
        "inputs": result.inputs,
    }


def evidence_out(evidence: dict[str, KpiEvidence]) -> list[dict[str, Any]]:
    return [item.as_json() for item in evidence.values()]


def assessment_out(assessment: Assessment) -> dict[str, Any]:
    page = read.assessment_page(assessment)
    return {
        "id": assessment.pk,
        "cycle_id": assessment.cycle_id,
        "agent_id": assessment.agent_id,
        "agent": assessment.agent.username,
        "state": assessment.state,
        "grade": assessment.grade,
        "grade_inputs": assessment.grade_inputs,
        "override_reason": assessment.override_reason,
        "skills": [
            {
                "id": row["skill"].pk,
                "code": row["skill"].code,
                "name": row["skill"].name,
                "scale_min": row["skill"].scale_min,
                "scale_max": row["skill"].scale_max,
                "indicators": [
                    {
                        "id": item["indicator"].pk,
                        "level": item["indicator"].level,
                        "text": item["indicator"].text,
                        "evidence": item["indicator"].evidence,
                        "kpi_rule": item["indicator"].kpi_rule,
                        "ratings": [
                            {
                                "id": r.pk,
                                "indicator_id": r.indicator_id,
                                "kind": r.kind,
                                "assessor": r.assessor.username,
                                "score": r.score,
                                "note": r.note,
                                "rated_at": r.rated_at,
                            }
                            for r in item["ratings"]
                        ],
                    }
                    for item in row["indicators"]
                ],
                "exam": exam_summary(row["exam"], row["exam"].question_count)
                if row["exam"]
                else None,
                "result": result_out(row["result"]) if row["result"] else None,
            }
            for row in page["skills"]
        ],
        "kpi_evidence": evidence_out(page["kpi_evidence"]),
    }


def exam_out(attempt: ExamAttempt) -> dict[str, Any]:
    questions = list(attempt.questions.order_by("id"))
    submitted = attempt.submitted_at is not None
    chosen = attempt.answers or {}
    return {
        **exam_summary(attempt, len(questions)),
        "assessment_id": attempt.assessment_id,
        "skill_id": attempt.skill_id,
        "skill": attempt.skill.code,
        # The right answers are never shown; after handing in, whether each choice was right.
        "items": [
            {
                "id": q.pk,
                "text": q.text,
                "choices": q.choices,
                "chosen": chosen.get(str(q.pk)),
                "right": chosen.get(str(q.pk)) == q.correct if submitted else None,
            }
            for q in questions
        ],
    }


# ---- inputs -------------------------------------------------------------------------


class CycleIn(InputSchema):
    name: str = Field(min_length=1, max_length=120)
    framework_id: Id
    period_start: IsoDate
    period_end: IsoDate
    synthesis: dict[str, Any] = Field(
        default_factory=dict,
        description="weights, hurdles, level_thresholds, grades, kpi, exam; see docs/competency.md",
    )


class AssessmentIn(InputSchema):
    agent_id: Id
    skill_ids: list[Id] | None = Field(default=None, max_length=500)


class ExamDrawIn(InputSchema):
    skill_id: Id
    level: int = Field(ge=0, le=100)
    questions: int | None = Field(default=None, ge=1, le=exams.MAX_QUESTIONS)
    seed: int | None = Field(default=None, ge=0, le=MAX_ID)


class ExamSubmitIn(InputSchema):
    answers: dict[str, int] = Field(description="question id → index of the chosen answer")


class RatingIn(InputSchema):
    indicator_id: Id
    kind: Literal["observation", "interview"]
    score: int = Field(ge=1, le=5)
    note: str = Field(default="", max_length=services.MAX_NOTE)


class OverrideIn(InputSchema):
    level: int = Field(ge=0, le=100)
    reason: str = Field(max_length=services.MAX_REASON)


class GradeOverrideIn(InputSchema):
    grade: str = Field(max_length=40)
    reason: str = Field(max_length=services.MAX_REASON)


class QuestionIn(InputSchema):
    level: int = Field(ge=0, le=100)
    text: str = Field(min_length=1, max_length=4000)
    choices: list[str] = Field(min_length=2, max_length=exams.MAX_CHOICES)
    correct: int = Field(ge=0, le=exams.MAX_CHOICES)


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


def bank_question_out(question: ExamQuestion) -> dict[str, Any]:
    return {
        "id": question.pk,
        "skill_id": question.skill_id,
        "level": question.level,
        "text": question.text,
        "choices": question.choices,
        "correct": question.correct,
    }


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
