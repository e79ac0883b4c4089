"""Written exams of an assessment: the question bank (multiple choice per
skill and level), drawing an exam for an agent and scoring it when the
agent hands it in, once."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.assessments.models import Assessment, ExamAttempt, ExamQuestion
from netdesk.assessments.selectors import cycle_config
from netdesk.assessments.services.assessments import (
    in_scale,
    require_assessed_skill,
    require_assessor,
    require_state,
    text_field,
)
from netdesk.competency.models import Framework, Skill
from netdesk.core.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed
from netdesk.core.locking import locked

MAX_CHOICES = 10
MAX_QUESTIONS = 200


def exam_question_check(
    *, skill: Skill, level: int, text: str, choices: Sequence[str], correct: int
) -> tuple[str, list[str]]:
    """The rules every question keeps, whether typed in or imported from a
    file: the text and the answers as they are stored, or `ValidationFailed`."""
    in_scale(skill, level)
    text = text_field("text", text, 4000, what="A question needs its text.")
    if (
        not isinstance(choices, list | tuple)
        or not 2 <= len(choices) <= MAX_CHOICES
        or not all(isinstance(c, str) and c.strip() for c in choices)
    ):
        raise ValidationFailed(
            "A question needs 2 to 10 answers, each a non-empty text.",
            field="choices",
            value=str(choices)[:200],
            accepted=f"2 to {MAX_CHOICES} non-empty texts",
        )
    if isinstance(correct, bool) or not isinstance(correct, int) or not 0 <= correct < len(choices):
        raise ValidationFailed(
            "The right answer must be one of the choices, counted from 0.",
            field="correct",
            value=correct,
            accepted=f"0 to {len(choices) - 1}",
        )
    return text, [c.strip() for c in choices]


@transaction.atomic
def exam_question_create(
    *,
    actor: User | None,
    skill: Skill,
    level: int,
    text: str,
    choices: Sequence[str],
    correct: int,
) -> ExamQuestion:
    """A multiple-choice question for the skill at a level; `correct` is the
    index of the right answer among `choices`. `actor=None` is the desk
    itself (the question-bank import run on the server)."""
    require(actor, Action.COMPETENCY_CONFIGURE)
    text, cleaned = exam_question_check(
        skill=skill, level=level, text=text, choices=choices, correct=correct
    )
    return ExamQuestion.objects.create(
        skill=skill, level=level, text=text, choices=cleaned, correct=correct
    )


@transaction.atomic
def exam_question_update(
    *, actor: User | None, question: ExamQuestion, choices: Sequence[str], correct: int
) -> ExamQuestion:
    """New answers for a question of the bank (its skill, level and text stay).
    Exams already handed in keep their score; one drawn and not yet handed
    in is scored against the new right answer."""
    require(actor, Action.COMPETENCY_CONFIGURE)
    question = locked(question, what="exam question")
    _, cleaned = exam_question_check(
        skill=question.skill,
        level=question.level,
        text=question.text,
        choices=choices,
        correct=correct,
    )
    question.choices = cleaned
    question.correct = correct
    question.save(update_fields=["choices", "correct"])
    return question


def exam_questions_copy(*, framework: Framework, skills: Mapping[int, Skill]) -> None:
    """A new framework version takes its skills' exam question bank along
    (hook `framework_version_created`, inside the new version's
    transaction); `skills` maps each old skill id to its copy. One query to
    read, one to write."""
    ExamQuestion.objects.bulk_create(
        ExamQuestion(
            skill=skills[q.skill_id],
            level=q.level,
            text=q.text,
            choices=list(q.choices),
            correct=q.correct,
        )
        for q in ExamQuestion.objects.filter(skill__framework=framework).order_by("pk")
    )


@transaction.atomic
def exam_draw(
    *,
    actor: User,
    assessment: Assessment,
    skill: Skill,
    level: int,
    questions: int | None = None,
    seed: int | None = None,
) -> ExamAttempt:
    """Draw an exam for the agent from the question bank of the skill at the
    level: a random sample, the same one for the same seed. One exam per
    skill per assessment; the pass mark and size come from the cycle."""
    # Locked: two assessors drawing at once must not both find no exam yet.
    assessment = locked(assessment)
    require_assessor(actor, assessment)
    require_state(assessment)
    require_assessed_skill(assessment, skill)
    in_scale(skill, level)
    config = cycle_config(assessment.cycle).exam
    size = config.questions if questions is None else questions
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_QUESTIONS:
        raise ValidationFailed(
            "An exam has 1 to 200 questions.", field="questions", value=size, accepted="1 to 200"
        )
    if ExamAttempt.objects.filter(assessment=assessment, skill=skill).exists():
        raise TransitionNotAllowed(
            f"An exam in {skill.code} was already drawn for this assessment.",
            field="skill",
            value=skill.pk,
            accepted="a skill without an exam yet",
        )
    bank = sorted(
        ExamQuestion.objects.filter(skill=skill, level=level).values_list("pk", flat=True)
    )
    if len(bank) < size:
        raise ValidationFailed(
            f"The bank holds {len(bank)} questions for {skill.code} level {level}; "
            f"the exam needs {size}.",
            field="questions",
            value=size,
            accepted=f"at most {len(bank)}",
        )
    drawn = random.Random(seed).sample(bank, size)
    attempt = ExamAttempt.objects.create(
        assessment=assessment,
        skill=skill,
        level=level,
        pass_mark=config.pass_mark,
        started_at=timezone.now(),
    )
    attempt.questions.set(drawn)
    return attempt


@transaction.atomic
def exam_submit(*, actor: User, attempt: ExamAttempt, answers: Mapping[str, Any]) -> ExamAttempt:
    """The agent hands in their exam once: `answers` maps question id to the
    index of the chosen answer; a question left out counts as wrong."""
    locked = ExamAttempt.objects.select_for_update().select_related("assessment").get(pk=attempt.pk)
    if locked.assessment.agent_id != actor.pk:
        raise PermissionDenied(
            "Only the agent being assessed takes their exam.",
            field="exam",
            value=attempt.pk,
        )
    if locked.submitted_at is not None:
        raise TransitionNotAllowed(
            "This exam has already been handed in.",
            field="exam",
            value=attempt.pk,
            accepted="an exam not yet submitted",
        )
    require_state(locked.assessment)
    questions = {q.pk: q for q in locked.questions.all()}
    chosen: dict[str, int] = {}
    for key, value in answers.items():
        digits = str(key)
        known = digits.isascii() and digits.isdigit() and len(digits) <= 18
        question = questions.get(int(digits)) if known else None
        if question is None:
            raise ValidationFailed(
                f"Question {key} is not in this exam.",
                field="answers",
                value=key,
                accepted=sorted(questions),
            )
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationFailed(
                f"The answer to question {key} must be the index of a choice.",
                field=f"answers.{key}",
                value=value,
                accepted=f"0 to {len(question.choices) - 1}",
            )
        if not 0 <= value < len(question.choices):
            raise ValidationFailed(
                f"Question {key} has no answer {value}.",
                field=f"answers.{key}",
                value=value,
                accepted=f"0 to {len(question.choices) - 1}",
            )
        chosen[str(question.pk)] = value
    right = sum(1 for pk, q in questions.items() if chosen.get(str(pk)) == q.correct)
    locked.answers = chosen
    locked.score = right / len(questions) if questions else 0.0
    locked.submitted_at = timezone.now()
    locked.save(update_fields=["answers", "score", "submitted_at"])
    return locked
