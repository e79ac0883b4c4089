"""The synthesis of an assessment: exam, behavioural ratings, interview and
KPI evidence combined into a level per skill and an overall grade.

Pure arithmetic on plain values, so every figure on the assessment page can
be recomputed by hand from the inputs it shows.

The evidence is anchored to levels: an exam is drawn at a level, every
indicator belongs to one, and the rating scale's 3 means "as the level
describes". So the synthesis weighs the evidence level by level:

- Each component rates each level it has evidence at, on the anchored 1–5
  scale: observations and interviews the mean over that level's indicators
  of each indicator's mean over assessors; KPI evidence the mean band score
  (3: as expected for the ticket mix) of that level's KPI indicators; an
  exam 3 at the pass mark up to 5 all right, and 1 (none right) to just
  under 3 when failed.
- A level's rating is the weighted mean of the components that rated it. A
  component without evidence at the level does not count as zero: its
  weight is left out and the others are rescaled.
- A level is shown when its rating reaches `shown_at` (default 3, "as the
  level describes"). The skill's level is the highest level shown (levels
  are cumulative: those below it need no evidence of their own); with none
  shown, the level below the lowest one the evidence is about.
  Rating level 1 behaviour as well never pulls a level 3 agent down, and
  top marks on level 2 behaviour make a strong level 2, not a level 5.
- The score is where the agent stands on the skill's scale: the level
  reached plus a quarter level per rating step above `shown_at` (at most
  half a level); with none shown, from a level below the lowest one rated
  up to just short of it.
- Hurdles cap the level: a failed exam at level L, or an indicator of level
  L rated below the minimum, caps the skill at L − 1 whatever the ratings.
  KPI evidence on fewer tickets than the minimum is left out.
- The overall grade is read off the mean of the skills' levels, each put
  back on the 1–5 scale, against the grade scheme's cut-offs (default:
  primary, intermediate, superior).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from statistics import fmean
from typing import Any

from netdesk.assessments.synthesis_config import (
    COMPONENTS,
    EPSILON,
    HURDLE_LABELS,
    RATING_KINDS,
    RATING_STEP,
    SCORE_MAX,
    SCORE_MIN,
    SHOWN_RATING,
    SynthesisConfig,
)

# ---- inputs ------------------------------------------------------------------


@dataclass(frozen=True)
class ExamInput:
    """One exam drawn for the skill at `level`; `share` is the share of right
    answers, None while it has not been submitted."""

    level: int
    share: float | None
    pass_mark: float


@dataclass(frozen=True)
class IndicatorRatings:
    """All assessors' 1–5 ratings of one indicator of one kind."""

    indicator_id: int
    level: int
    kind: str
    scores: tuple[int, ...]


@dataclass(frozen=True)
class KpiInput:
    """The KPI evidence behind one KPI indicator of the skill.

    `performance` is the agent's shrunk observed/expected ratio turned so
    that above 1 is better than expected (inverted for KPIs where lower is
    better); `adjusted` the case-mix-adjusted value on the KPI's own scale,
    which the indicator's threshold (`at_least` / `at_most`) is checked on."""

    indicator_id: int | None
    level: int
    kpi: str
    tickets: int
    performance: float | None
    adjusted: float | None = None
    at_least: float | None = None
    at_most: float | None = None


@dataclass(frozen=True)
class SkillSynthesis:
    level: int | None
    score: float | None
    inputs: dict[str, Any]
    hurdles_failed: list[dict[str, Any]]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def exam_rating(share: float, pass_mark: float) -> float:
    """An exam on the anchored 1–5 scale: 3 at the pass mark up to 5 all
    right; failed, 1 (none right) up to just under 3."""
    if share >= pass_mark - EPSILON:
        room = 1.0 - pass_mark
        return SCORE_MAX if room <= EPSILON else 3.0 + 2.0 * (share - pass_mark) / room
    return SCORE_MIN + 2.0 * (share / pass_mark if pass_mark > 0 else 0.0)


def level_place(level: int, rating: float, shown_at: float = SHOWN_RATING) -> float:
    """Where a level rated `rating` puts the agent on the skill's scale:
    shown, the level plus a quarter level per step above `shown_at` (at
    most half a level); not shown, from a level below (rated 1) up to just
    short of the level."""
    if rating >= shown_at - EPSILON:
        return level + min(0.5, (rating - shown_at) * RATING_STEP)
    return level - 1 + (rating - SCORE_MIN) / (shown_at - SCORE_MIN)


def kpi_performance(ratio: float | None, *, higher_is_better: bool) -> float | None:
    """Turn an observed/expected ratio so that above 1 is always better.
    A zero ratio where lower is better (no reopened ticket at all) is the
    best there is: infinite performance, the top band."""
    if ratio is None:
        return None
    if higher_is_better:
        return ratio
    return math.inf if ratio <= 0 else 1.0 / ratio


def kpi_score(performance: float, bands: Sequence[float]) -> int:
    """1 below the first band, then one more for each band reached (max 5)."""
    return 1 + sum(1 for cut in bands if performance >= cut - EPSILON)


class _Evidence:
    """What the components rate, level by level (anchored 1–5), and the
    hurdles that failed, as `synthesise_skill` collects them."""

    def __init__(self, scale_min: int) -> None:
        self.scale_min = scale_min
        self.rated: dict[str, dict[int, list[float]]] = {name: {} for name in COMPONENTS}
        self.failed: list[dict[str, Any]] = []

    def rate(self, component: str, level: int, rating: float) -> None:
        self.rated[component].setdefault(level, []).append(rating)

    def cap(self, hurdle: str, level: int, detail: str) -> None:
        self.failed.append(
            {
                "hurdle": hurdle,
                "label": HURDLE_LABELS[hurdle],
                "detail": detail,
                "caps_level_at": max(self.scale_min, level - 1),
            }
        )


def synthesise_skill(
    *,
    config: SynthesisConfig,
    scale_min: int,
    scale_max: int,
    exams: Sequence[ExamInput] = (),
    ratings: Sequence[IndicatorRatings] = (),
    kpis: Sequence[KpiInput] = (),
) -> SkillSynthesis:
    """The level of one skill from its evidence, with every input and the
    hurdles that failed (each says which level it caps the skill at)."""
    evidence = _Evidence(scale_min)
    components: dict[str, dict[str, Any]] = {"exam": _exam_component(exams, config, evidence)}
    for kind in RATING_KINDS:
        components[kind] = _rating_component(kind, ratings, config, evidence)
    components["kpi"] = _kpi_component(kpis, config, evidence)
    rated = evidence.rated
    levels = _level_rows(rated, config)
    for name in COMPONENTS:
        components[name]["weight"] = config.weights.get(name, 0.0)
        components[name]["levels"] = {
            str(lvl): _round(fmean(values)) for lvl, values in sorted(rated[name].items())
        }

    score: float | None = None
    level: int | None = None
    level_from_score: int | None = None
    if levels:
        # Levels are cumulative: the highest level shown is reached (levels
        # below it need no evidence of their own, and weak evidence about the
        # basics never pulls an agent down). With none shown, the agent stands
        # below the lowest level the evidence is about.
        shown = [row for row in levels if row["shown"]]
        score = shown[-1]["place"] if shown else levels[0]["place"]
        level_from_score = max(scale_min, min(scale_max, math.floor(score + EPSILON)))
        level = min([level_from_score, *(f["caps_level_at"] for f in evidence.failed)])
    for row in levels:
        row["rating"] = _round(row["rating"])
        row["place"] = _round(row["place"])
    inputs = {
        "components": components,
        "levels": levels,
        "missing": [n for n in COMPONENTS if not rated[n]],
        "score": _round(score),
        "scale": [scale_min, scale_max],
        "shown_at": config.shown_at,
        "level_from_score": level_from_score,
        "level": level,
    }
    return SkillSynthesis(
        level=level, score=_round(score), inputs=inputs, hurdles_failed=evidence.failed
    )


def _exam_component(
    exams: Sequence[ExamInput], config: SynthesisConfig, evidence: _Evidence
) -> dict[str, Any]:
    """Every submitted exam rates its level; an unsubmitted one only counts
    for the hurdle."""
    exam_rows = []
    for exam in exams:
        passed = exam.share is not None and exam.share >= exam.pass_mark - EPSILON
        rating = None if exam.share is None else exam_rating(exam.share, exam.pass_mark)
        if rating is not None:
            evidence.rate("exam", exam.level, rating)
        exam_rows.append(
            {
                "level": exam.level,
                "share": _round(exam.share),
                "pass_mark": exam.pass_mark,
                "passed": passed,
                "rating": _round(rating),
            }
        )
        if config.hurdles.exam_pass_required and not passed:
            what = "not submitted" if exam.share is None else f"{exam.share:.0%} right"
            evidence.cap(
                "exam_pass_required",
                exam.level,
                f"level {exam.level} exam {what}, pass mark {exam.pass_mark:.0%}",
            )
    return {"exams": exam_rows}


def _rating_component(
    kind: str, ratings: Sequence[IndicatorRatings], config: SynthesisConfig, evidence: _Evidence
) -> dict[str, Any]:
    """Each indicator's mean rating of one kind (observation, interview)."""
    rows = []
    for item in (r for r in ratings if r.kind == kind and r.scores):
        mean = fmean(item.scores)
        evidence.rate(kind, item.level, mean)
        rows.append(
            {
                "indicator": item.indicator_id,
                "level": item.level,
                "scores": list(item.scores),
                "mean": _round(mean),
            }
        )
        minimum = config.hurdles.min_indicator_score
        if minimum is not None and mean < minimum - EPSILON:
            evidence.cap(
                "min_indicator_score",
                item.level,
                f"{kind} of indicator {item.indicator_id} (level {item.level}) "
                f"averages {mean:.2f}, below {minimum:g}",
            )
    return {"indicators": rows}


def _kpi_component(
    kpis: Sequence[KpiInput], config: SynthesisConfig, evidence: _Evidence
) -> dict[str, Any]:
    """Each KPI scored on the cycle's bands, when enough tickets count."""
    minimum = config.hurdles.min_tickets_per_kpi
    kpi_rows = []
    for item in kpis:
        infinite = item.performance is not None and math.isinf(item.performance)
        row: dict[str, Any] = {
            "indicator": item.indicator_id,
            "kpi": item.kpi,
            "level": item.level,
            "tickets": item.tickets,
            # JSON has no infinity: nothing counted against the agent is the top band.
            "performance": None
            if item.performance is None or infinite
            else _round(item.performance),
            "best_possible": infinite,
            "adjusted": _round(item.adjusted),
            "score": None,
            "used": False,
        }
        if item.performance is None:
            row["why_not_used"] = "no evidence"
        elif item.tickets < minimum:
            row["why_not_used"] = f"{item.tickets} tickets, fewer than the minimum {minimum}"
        else:
            band = kpi_score(item.performance, config.kpi.bands)
            rule_met = _rule_met(item)
            row["rule_met"] = rule_met
            if rule_met is False:
                band = min(band, config.kpi.unmet_rule_cap)
            row["score"] = band
            row["used"] = True
            evidence.rate("kpi", item.level, float(band))
        kpi_rows.append(row)
    return {"kpis": kpi_rows}


def _level_rows(
    rated: dict[str, dict[int, list[float]]], config: SynthesisConfig
) -> list[dict[str, Any]]:
    """Level by level: the weighted mean of the components that rated it."""
    levels: list[dict[str, Any]] = []
    for evidenced in sorted({lvl for by_level in rated.values() for lvl in by_level}):
        present = {
            name: fmean(rated[name][evidenced])
            for name in COMPONENTS
            if evidenced in rated[name] and config.weights.get(name, 0.0) > 0
        }
        total = sum(config.weights[name] for name in present)
        if not present or total <= 0:
            continue
        # Rescaled over the components present: missing evidence is not zero.
        rating = sum(config.weights[name] * value for name, value in present.items()) / total
        levels.append(
            {
                "level": evidenced,
                "ratings": {name: _round(value) for name, value in present.items()},
                "effective_weights": {
                    name: _round(config.weights[name] / total) for name in present
                },
                # The components' ratings in COMPONENTS order, for tables.
                "cells": [_round(present[n]) if n in present else None for n in COMPONENTS],
                "rating": rating,
                "shown": rating >= config.shown_at - EPSILON,
                "place": level_place(evidenced, rating, config.shown_at),
            }
        )
    return levels


def _rule_met(item: KpiInput) -> bool | None:
    if item.at_least is None and item.at_most is None:
        return None
    if item.adjusted is None:
        return None
    if item.at_least is not None and item.adjusted < item.at_least - EPSILON:
        return False
    return not (item.at_most is not None and item.adjusted > item.at_most + EPSILON)


# ---- the overall grade ---------------------------------------------------------


@dataclass(frozen=True)
class SkillLevel:
    code: str
    level: int | None
    scale_min: int
    scale_max: int


@dataclass(frozen=True)
class GradeResult:
    grade: str
    score: float | None
    inputs: dict[str, Any]


def level_points(level: int, scale_min: int, scale_max: int) -> float:
    """A level put back on the 1–5 scale, so skills on different scales average fairly."""
    return SCORE_MIN + (SCORE_MAX - SCORE_MIN) * (level - scale_min) / (scale_max - scale_min)


def overall_grade(*, config: SynthesisConfig, skills: Sequence[SkillLevel]) -> GradeResult:
    """The grade from the mean of the skills' levels on the 1–5 scale: the
    highest grade whose cut-off the mean reaches ("" below the lowest, or
    when no skill has a level)."""
    rows = []
    points: list[float] = []
    for skill in skills:
        value = (
            None
            if skill.level is None
            else level_points(skill.level, skill.scale_min, skill.scale_max)
        )
        rows.append(
            {
                "skill": skill.code,
                "level": skill.level,
                "scale": [skill.scale_min, skill.scale_max],
                "points": _round(value),
            }
        )
        if value is not None:
            points.append(value)
    score = fmean(points) if points else None
    grade = ""
    if score is not None:
        for candidate in config.grades:
            if score >= candidate.min_score - EPSILON:
                grade = candidate.name
    inputs = {
        "skills": rows,
        "score": _round(score),
        "scheme": [asdict(g) for g in config.grades],
        "grade": grade,
    }
    return GradeResult(grade=grade, score=_round(score), inputs=inputs)
