"""Answers read off model objects by the API's resolvers."""

from __future__ import annotations

from netdesk.assessments.api.schemas import ResultOut
from netdesk.assessments.models import SkillResult


def result(level: int | None, override_level: int | None) -> SkillResult:
    return SkillResult(
        level=level,
        score=2.5,
        override_level=override_level,
        override_reason="seen on calls" if override_level is not None else "",
        hurdles_failed=[],
        inputs={},
    )


def test_result_effective_level_is_the_synthesised_level_without_an_override() -> None:
    assert ResultOut.model_validate(result(3, None)).effective_level == 3


def test_result_effective_level_is_the_override_when_there_is_one() -> None:
    assert ResultOut.model_validate(result(3, 0)).effective_level == 0
