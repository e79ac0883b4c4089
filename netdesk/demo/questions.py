"""The demo's exam question bank (data/exam_questions.json): multiple-choice
questions for four skills of the built-in framework at levels 2 and 3, in
NetDesk's own words about the hotline of a network operator — line faults,
complaints, call-backs, escalations and billing questions. `correct` counts
the choices from 0, as `exam_question_create` does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

BANK = Path(__file__).resolve().parent / "data" / "exam_questions.json"


class Question(NamedTuple):
    skill: str
    level: int
    text: str
    choices: tuple[str, ...]
    correct: int


def _read_bank(path: Path) -> list[Question]:
    return [
        Question(
            skill=str(entry["skill"]),
            level=int(entry["level"]),
            text=str(entry["text"]),
            choices=tuple(str(choice) for choice in entry["choices"]),
            correct=int(entry["correct"]),
        )
        for entry in json.loads(path.read_text(encoding="utf-8"))
    ]


QUESTIONS: list[Question] = _read_bank(BANK)
