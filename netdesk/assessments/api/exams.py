"""Exams (an agent reads and hands in their own) and the question bank
of a skill."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from netdesk.accounts.permissions import Action, require, user_of
from netdesk.assessments import selectors as read
from netdesk.assessments.api.lookups import exam_for, one_of
from netdesk.assessments.api.schemas import (
    BankQuestionOut,
    ExamOut,
    ExamSubmitIn,
    QuestionIn,
    exam_out,
)
from netdesk.assessments.models import (
    ExamQuestion,
)
from netdesk.assessments.services import exams
from netdesk.competency.models import Skill
from netdesk.core.schemas import answers

router = Router(tags=["competency"])


# ---- exams and the question bank -----------------------------------------------------------


@router.get("/exams/{exam_id}", response=answers(ExamOut), summary="An exam (no right answers)")
def exam_get(request: HttpRequest, exam_id: int) -> dict[str, Any]:
    return exam_out(exam_for(user_of(request), exam_id))


@router.post("/exams/{exam_id}/submit", response=answers(ExamOut), summary="Hand in your exam")
def exam_submit(request: HttpRequest, exam_id: int, payload: ExamSubmitIn) -> dict[str, Any]:
    user = user_of(request)
    attempt = exams.exam_submit(
        actor=user, attempt=exam_for(user, exam_id), answers=payload.answers
    )
    return exam_out(read.exam_get(user, attempt.pk))


@router.get(
    "/skills/{skill_id}/questions",
    response=answers(list[BankQuestionOut]),
    summary="The question bank of a skill",
)
def questions(request: HttpRequest, skill_id: int) -> list[ExamQuestion]:
    require(user_of(request), Action.COMPETENCY_CONFIGURE)
    skill = one_of(Skill.objects.all(), skill_id, "skill", "skill_id")
    return list(ExamQuestion.objects.filter(skill=skill).order_by("level", "id")[:2000])


@router.post(
    "/skills/{skill_id}/questions",
    response=answers(BankQuestionOut, 201),
    summary="Add a multiple-choice question to the bank",
)
def question_create(
    request: HttpRequest, skill_id: int, payload: QuestionIn
) -> Status[ExamQuestion]:
    user = user_of(request)
    require(user, Action.COMPETENCY_CONFIGURE)
    skill = one_of(Skill.objects.all(), skill_id, "skill", "skill_id")
    question = exams.exam_question_create(
        actor=user,
        skill=skill,
        level=payload.level,
        text=payload.text,
        choices=payload.choices,
        correct=payload.correct,
    )
    return Status(201, question)
