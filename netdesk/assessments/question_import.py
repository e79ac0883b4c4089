"""Import the exam question bank from a CSV or XLSX file: one multiple-choice
question per row, for a skill of a framework at a level; see
docs/competency.md ("Importing a question bank") for the columns.

The file is read with the framework importer's readers and header check.
Each row is checked by the same rules as a question typed into the API
(`exam_question_check`); a row that breaks one is skipped with its row
number and reason. A question already in the bank with the same skill,
level and text gets the file's answers instead of being added twice, so a
corrected file can be imported again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from netdesk.assessments.models import ExamQuestion
from netdesk.assessments.services.exams import (
    MAX_CHOICES,
    exam_question_check,
    exam_question_create,
    exam_question_update,
)
from netdesk.competency.builtin import FRAMEWORK_NAME
from netdesk.competency.importers import MAX_ROWS, Skipped, check_header, read_rows
from netdesk.competency.models import Framework, FrameworkState, Skill
from netdesk.core.errors import ImportFailed, ValidationFailed
from netdesk.core.text import unstorable_in_row

ANSWERS = tuple(f"answer_{n}" for n in range(1, MAX_CHOICES + 1))
REQUIRED = ("skill_code", "level", "question", "answer_1", "answer_2", "correct")
COLUMNS = ("skill_code", "level", "question", *ANSWERS, "correct")
ALIASES = {"code": "skill_code", "text": "question"}
DEFAULT_FRAMEWORK = FRAMEWORK_NAME
# The service's names for what was wrong, in the words of the file's columns.
COLUMN_OF_FIELD = {"level": "level", "text": "question", "choices": "answers"}


@dataclass
class QuestionImportResult:
    framework: Framework
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.added + self.updated + self.unchanged

    def skip(self, row: int, reason: str, value: Any = "") -> None:
        self.skipped.append(Skipped(row=row, reason=reason, value=str(value)[:80]))


@dataclass
class _Question:
    row: int
    skill: Skill
    level: int
    text: str
    choices: list[str]
    correct: int  # counted from 0, as stored


def question_framework(name: str) -> Framework:
    """The version of `name` whose skills receive the questions: the published
    one, which assessment cycles use; a draft only while none is published,
    so a bank can be prepared before the first publication (the draft's
    skills become the published ones, questions and all)."""
    versions = Framework.objects.filter(
        name=name, state__in=[FrameworkState.PUBLISHED, FrameworkState.DRAFT]
    )
    by_state = {f.state: f for f in versions}
    found = by_state.get(FrameworkState.PUBLISHED) or by_state.get(FrameworkState.DRAFT)
    if found is None:
        names = sorted(
            Framework.objects.filter(
                state__in=[FrameworkState.PUBLISHED, FrameworkState.DRAFT]
            ).values_list("name", flat=True)
        )
        raise ImportFailed(
            f"--framework {name!r}: no published or draft version of that name. "
            f"Frameworks: {', '.join(dict.fromkeys(names)) or 'none'}."
        )
    return found


def _whole(text: str) -> int | None:
    return int(text) if re.fullmatch(r"[0-9]{1,4}", text.strip()) else None


def _answers(row: dict[str, str]) -> list[str]:
    """answer_1 … up to the last one filled in. An empty answer between two
    filled ones stays in, so the rules refuse the row instead of the
    `correct` numbers shifting onto the wrong answer."""
    answers = [row.get(column, "") for column in ANSWERS]
    while answers and not answers[-1]:
        answers.pop()
    return answers


def _reason(exc: ValidationFailed, answers: int) -> str:
    if exc.field == "correct":
        # The service counts from 0; people filling a spreadsheet count from 1.
        return f"correct must be the number of one of the {answers} answers (1 to {answers})"
    column = COLUMN_OF_FIELD.get(exc.field or "", exc.field or "row")
    accepted = f" Accepted: {exc.accepted}." if exc.accepted is not None else ""
    return f"{column}: {exc.message}{accepted}"


def _parse(
    names: list[str],
    rows: list[list[str]],
    skills: dict[str, Skill],
    result: QuestionImportResult,
) -> list[_Question]:
    questions: list[_Question] = []
    seen: dict[tuple[int, int, str], int] = {}
    for number, raw in enumerate(rows, start=2):
        if not any(raw):
            continue
        row = {name: (raw[i] if i < len(raw) else "") for i, name in enumerate(names)}
        problem = unstorable_in_row(row)
        if problem is not None:
            result.skip(number, problem)
            continue
        code = row["skill_code"]
        skill = skills.get(code)
        if skill is None:
            result.skip(number, f"skill_code not a skill of {result.framework}", code or "empty")
            continue
        level = _whole(row["level"])
        if level is None:
            result.skip(number, "level is not a whole number", row["level"] or "empty")
            continue
        answers = _answers(row)
        correct = _whole(row["correct"])
        if correct is None:
            result.skip(
                number,
                f"correct is not the number of an answer (1 to {len(answers)})",
                row["correct"] or "empty",
            )
            continue
        try:
            text, choices = exam_question_check(
                skill=skill,
                level=level,
                text=row["question"],
                choices=answers,
                correct=correct - 1,
            )
        except ValidationFailed as exc:
            value = row["correct"] if exc.field == "correct" else exc.value
            result.skip(number, _reason(exc, len(answers)), value)
            continue
        key = (skill.pk, level, text)
        if key in seen:
            result.skip(number, f"the same skill, level and question as row {seen[key]}", text[:60])
            continue
        seen[key] = number
        questions.append(
            _Question(
                row=number,
                skill=skill,
                level=level,
                text=text,
                choices=choices,
                correct=correct - 1,
            )
        )
    return questions


def import_questions(
    path: Path,
    *,
    framework: str = DEFAULT_FRAMEWORK,
    sheet: str | None = None,
    dry_run: bool = False,
) -> QuestionImportResult:
    """Read the file and add its questions to the bank of the framework's
    skills, or give questions already there the file's answers; all in one
    transaction. With `dry_run` the same counts are worked out and nothing
    is written."""
    header, rows = read_rows(path, sheet=sheet)
    names = check_header(header, required=REQUIRED, columns=COLUMNS, aliases=ALIASES)
    if not any(any(row) for row in rows):
        raise ImportFailed(f"{path}: no question below the header.")
    if len(rows) > MAX_ROWS:
        raise ImportFailed(f"{path}: {len(rows)} rows; at most {MAX_ROWS} are imported at once.")
    target = question_framework(framework)
    result = QuestionImportResult(framework=target)
    skills = {s.code: s for s in Skill.objects.filter(framework=target)}
    questions = _parse(names, rows, skills, result)
    # The oldest question wins where the bank already holds the same one twice.
    existing: dict[tuple[int, int, str], ExamQuestion] = {}
    for question in (
        ExamQuestion.objects.filter(skill__in={q.skill.pk for q in questions})
        .select_related("skill")
        .order_by("-pk")
    ):
        existing[(question.skill_id, question.level, question.text)] = question
    with transaction.atomic():
        for item in questions:
            found = existing.get((item.skill.pk, item.level, item.text))
            if found is None:
                result.added += 1
                if not dry_run:
                    exam_question_create(
                        actor=None,
                        skill=item.skill,
                        level=item.level,
                        text=item.text,
                        choices=item.choices,
                        correct=item.correct,
                    )
            elif found.choices == item.choices and found.correct == item.correct:
                result.unchanged += 1
            else:
                result.updated += 1
                if not dry_run:
                    exam_question_update(
                        actor=None, question=found, choices=item.choices, correct=item.correct
                    )
    return result
