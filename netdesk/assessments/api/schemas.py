"""Shapes of the assessment API: request bodies, answers, and the
functions that build the answers from the records."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Field

from netdesk.accounts.permissions import user_of
from netdesk.assessments import selectors as read
from netdesk.assessments.evidence import KpiEvidence
from netdesk.assessments.models import (
    Assessment,
    AssessmentCycle,
    ExamAttempt,
    SkillResult,
)
from netdesk.assessments.services import assessments as services
from netdesk.assessments.services import exams
from netdesk.core.schemas import MAX_ID, InputSchema, IsoDate, ObjectOutputSchema, OutputSchema

Id = Annotated[int, Field(ge=1, le=MAX_ID)]


# ---- shapes ---------------------------------------------------------------------


class CycleOut(ObjectOutputSchema):
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

    @staticmethod
    def resolve_framework(cycle: AssessmentCycle) -> str:
        return str(cycle.framework)

    @staticmethod
    def resolve_created_by(cycle: AssessmentCycle) -> str | None:
        return cycle.created_by.username if cycle.created_by else None


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

    @staticmethod
    def resolve_assessments(
        cycle: AssessmentCycle, context: dict[str, Any]
    ) -> list[dict[str, Any]]:
        # Only the assessments the caller may see.
        return read.cycle_progress(cycle, user_of(context["request"]))


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


class ResultOut(ObjectOutputSchema):
    level: int | None
    score: float | None
    override_level: int | None
    override_reason: str
    effective_level: int | None
    hurdles_failed: list[dict[str, Any]]
    inputs: dict[str, Any]

    @staticmethod
    def resolve_effective_level(result: SkillResult) -> int | None:
        return result.override_level if result.override_level is not None else result.level


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


class BankQuestionOut(ObjectOutputSchema):
    id: int
    skill_id: int
    level: int
    text: str
    choices: list[str]
    correct: int


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
                "result": row["result"],
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
        description="weights, shown_at, hurdles, grades, kpi, exam; see docs/competency.md",
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
