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

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from statistics import fmean
from typing import Any

from netdesk.core.errors import ValidationFailed

COMPONENTS = ("exam", "observation", "interview", "kpi")
RATING_KINDS = ("observation", "interview")
SCORE_MIN = 1.0
SCORE_MAX = 5.0
HURDLE_LABELS = {
    "exam_pass_required": "Exam not passed",
    "min_indicator_score": "Indicator rated below the minimum",
}
# On the anchored rating scale 3 is "as the level describes".
SHOWN_RATING = 3.0
# How far one step of the rating scale moves the agent on the skill's scale.
RATING_STEP = 0.25
# Float sums such as 0.1 + 0.2 must not fall just short of a cut-off.
EPSILON = 1e-9


@dataclass(frozen=True)
class Hurdles:
    exam_pass_required: bool = True
    min_indicator_score: float | None = 2.0
    min_tickets_per_kpi: int = 20


@dataclass(frozen=True)
class Grade:
    name: str
    min_score: float


@dataclass(frozen=True)
class KpiSettings:
    # Credibility weight w = n / (n + k): with k tickets the agent's own
    # figure and the team's count equally.
    shrinkage_k: float = 30.0
    # Expected rates come from the whole desk or from the assessed team only.
    reference: str = "desk"
    exclude_outside_level: bool = False
    # Performance (1.0 = as expected for the ticket mix) at which the score
    # reaches 2, 3, 4 and 5.
    bands: tuple[float, ...] = (0.8, 0.95, 1.05, 1.2)
    # An indicator's own threshold (kpi_rule "at_least" / "at_most") not met
    # caps that indicator's KPI score here.
    unmet_rule_cap: int = 2


@dataclass(frozen=True)
class ExamSettings:
    questions: int = 10
    pass_mark: float = 0.7


DEFAULT_WEIGHTS: dict[str, float] = {
    "exam": 0.25,
    "observation": 0.35,
    "interview": 0.15,
    "kpi": 0.25,
}
DEFAULT_GRADES: tuple[Grade, ...] = (
    Grade("primary", 1.0),
    Grade("intermediate", 3.0),
    Grade("superior", 4.0),
)
KPI_REFERENCES = ("desk", "team")


@dataclass(frozen=True)
class SynthesisConfig:
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    hurdles: Hurdles = Hurdles()
    # The rating (1–5) at which a level counts as shown.
    shown_at: float = 3.0
    grades: tuple[Grade, ...] = DEFAULT_GRADES
    kpi: KpiSettings = KpiSettings()
    exam: ExamSettings = ExamSettings()

    def as_json(self) -> dict[str, Any]:
        """The full configuration, defaults filled in, as stored on the cycle."""
        return {
            "weights": dict(self.weights),
            "hurdles": asdict(self.hurdles),
            "shown_at": self.shown_at,
            "grades": [asdict(g) for g in self.grades],
            "kpi": {**asdict(self.kpi), "bands": list(self.kpi.bands)},
            "exam": asdict(self.exam),
        }


# ---- parsing the cycle's JSON ----------------------------------------------

# A setting's parser takes the raw value and its key (for the error).
Parser = Callable[[Any, str], Any]


def _fail(key: str, value: Any, accepted: Any, message: str) -> ValidationFailed:
    return ValidationFailed(message, field=f"synthesis.{key}", value=value, accepted=accepted)


def _object(raw: Any, key: str, known: Sequence[str]) -> dict[str, Any]:
    where = f"synthesis.{key}" if key else "synthesis"
    if not isinstance(raw, dict):
        raise ValidationFailed(
            f"{where} must be a JSON object.", field=where, value=raw, accepted="a JSON object"
        )
    for name in raw:
        if name not in known:
            path = f"{key}.{name}" if key else str(name)
            raise _fail(path, raw[name], sorted(known), f"Unknown setting {name!r} in {where}.")
    return raw


def number(low: float, high: float) -> Parser:
    def parse(raw: Any, key: str) -> float:
        accepted = f"a number from {low:g} to {high:g}"
        # bool is an int in Python, but true is not a weight.
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise _fail(key, raw, accepted, f"{key} must be a number.")
        # NaN compares false with everything, so it fails the range too.
        if not low <= raw <= high:
            raise _fail(key, raw, accepted, f"{key} is out of range.")
        return float(raw)

    return parse


def whole(low: int, high: int) -> Parser:
    def parse(raw: Any, key: str) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
            raise _fail(key, raw, f"a whole number from {low} to {high}", f"{key} is not accepted.")
        return raw

    return parse


def flag(raw: Any, key: str) -> bool:
    if not isinstance(raw, bool):
        raise _fail(key, raw, [True, False], f"{key} must be true or false.")
    return raw


def one_of(*options: str) -> Parser:
    def parse(raw: Any, key: str) -> str:
        if raw not in options:
            raise _fail(key, raw, list(options), f"{key} is not one of the accepted values.")
        return str(raw)

    return parse


def cut_offs(low: float, high: float, count: int | None = None) -> Parser:
    def parse(raw: Any, key: str) -> tuple[float, ...]:
        accepted = f"{count or 'a list of'} strictly ascending numbers from {low:g} to {high:g}"
        if not isinstance(raw, list) or not raw or (count is not None and len(raw) != count):
            raise _fail(key, raw, accepted, f"{key} is not accepted.")
        values = tuple(number(low, high)(v, key) for v in raw)
        if any(b <= a for a, b in itertools.pairwise(values)):
            raise _fail(key, raw, accepted, f"{key} must be strictly ascending.")
        return values

    return parse


def or_null(parser: Parser) -> Parser:
    def parse(raw: Any, key: str) -> Any:
        return None if raw is None else parser(raw, key)

    return parse


# The settings of each section, by name; what a section leaves out keeps its default.
SECTIONS: dict[str, dict[str, Parser]] = {
    "hurdles": {
        "exam_pass_required": flag,
        "min_indicator_score": or_null(number(SCORE_MIN, SCORE_MAX)),
        "min_tickets_per_kpi": whole(0, 1_000_000),
    },
    "kpi": {
        "shrinkage_k": number(0.0, 1_000_000.0),
        "reference": one_of(*KPI_REFERENCES),
        "exclude_outside_level": flag,
        "bands": cut_offs(0.0, 100.0, count=4),
        "unmet_rule_cap": whole(1, 5),
    },
    "exam": {"questions": whole(1, 200), "pass_mark": number(0.0, 1.0)},
}
TOP_LEVEL = ["weights", "shown_at", "grades", *SECTIONS]


def parse_config(raw: Any) -> SynthesisConfig:
    """Read a cycle's `synthesis` JSON; what it leaves out takes the default.
    Errors name the key (synthesis.<path>), the value and what is accepted."""
    if raw is None:
        return SynthesisConfig()
    data = _object(raw, "", TOP_LEVEL)
    changes: dict[str, Any] = {}
    if "weights" in data:
        given = _object(data["weights"], "weights", COMPONENTS)
        weights = dict(DEFAULT_WEIGHTS)
        for name, value in given.items():
            weights[name] = number(0.0, 1000.0)(value, f"weights.{name}")
        if sum(weights.values()) <= 0:
            raise _fail(
                "weights",
                data["weights"],
                "at least one component weighing more than 0",
                "Every component weighs 0: nothing would count.",
            )
        changes["weights"] = weights
    if "shown_at" in data:
        changes["shown_at"] = number(2.0, 5.0)(data["shown_at"], "shown_at")
    if "grades" in data:
        changes["grades"] = _grades(data["grades"])
    defaults = SynthesisConfig()
    for section, parsers in SECTIONS.items():
        if section in data:
            given = _object(data[section], section, list(parsers))
            parsed = {name: parsers[name](v, f"{section}.{name}") for name, v in given.items()}
            changes[section] = replace(getattr(defaults, section), **parsed)
    return replace(defaults, **changes)


def _grades(raw: Any) -> tuple[Grade, ...]:
    accepted = 'a list such as [{"name": "primary", "min_score": 1}, ...], cut-offs ascending'
    if not isinstance(raw, list) or not raw:
        raise _fail("grades", raw, accepted, "grades must be a non-empty list.")
    grades: list[Grade] = []
    for index, item in enumerate(raw):
        key = f"grades[{index}]"
        entry = _object(item, key, ["name", "min_score"])
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 40:
            raise _fail(f"{key}.name", name, "1 to 40 characters", "A grade needs a name.")
        min_score = number(SCORE_MIN, SCORE_MAX)(entry.get("min_score"), f"{key}.min_score")
        grades.append(Grade(name.strip(), min_score))
    names = [g.name for g in grades]
    if len(set(names)) != len(names):
        raise _fail("grades", names, "distinct names", "Two grades have the same name.")
    if any(b.min_score <= a.min_score for a, b in itertools.pairwise(grades)):
        raise _fail(
            "grades", [g.min_score for g in grades], accepted, "Grade cut-offs must ascend."
        )
    return tuple(grades)


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
    hurdles = config.hurdles
    failed: list[dict[str, Any]] = []
    components: dict[str, dict[str, Any]] = {}
    # Each component's ratings (anchored 1–5) of each level it has evidence at.
    rated: dict[str, dict[int, list[float]]] = {name: {} for name in COMPONENTS}

    def cap(hurdle: str, level: int, detail: str) -> None:
        failed.append(
            {
                "hurdle": hurdle,
                "label": HURDLE_LABELS[hurdle],
                "detail": detail,
                "caps_level_at": max(scale_min, level - 1),
            }
        )

    # Exam: every submitted exam rates its level; an unsubmitted one only
    # counts for the hurdle.
    exam_rows = []
    for exam in exams:
        passed = exam.share is not None and exam.share >= exam.pass_mark - EPSILON
        rating = None if exam.share is None else exam_rating(exam.share, exam.pass_mark)
        if rating is not None:
            rated["exam"].setdefault(exam.level, []).append(rating)
        exam_rows.append(
            {
                "level": exam.level,
                "share": _round(exam.share),
                "pass_mark": exam.pass_mark,
                "passed": passed,
                "rating": _round(rating),
            }
        )
        if hurdles.exam_pass_required and not passed:
            what = "not submitted" if exam.share is None else f"{exam.share:.0%} right"
            cap(
                "exam_pass_required",
                exam.level,
                f"level {exam.level} exam {what}, pass mark {exam.pass_mark:.0%}",
            )
    components["exam"] = {"exams": exam_rows}

    for kind in RATING_KINDS:
        rows = []
        for item in (r for r in ratings if r.kind == kind and r.scores):
            mean = fmean(item.scores)
            rated[kind].setdefault(item.level, []).append(mean)
            rows.append(
                {
                    "indicator": item.indicator_id,
                    "level": item.level,
                    "scores": list(item.scores),
                    "mean": _round(mean),
                }
            )
            minimum = hurdles.min_indicator_score
            if minimum is not None and mean < minimum - EPSILON:
                cap(
                    "min_indicator_score",
                    item.level,
                    f"{kind} of indicator {item.indicator_id} (level {item.level}) "
                    f"averages {mean:.2f}, below {minimum:g}",
                )
        components[kind] = {"indicators": rows}

    kpi_rows = []
    for evidence in kpis:
        row: dict[str, Any] = {
            "indicator": evidence.indicator_id,
            "kpi": evidence.kpi,
            "level": evidence.level,
            "tickets": evidence.tickets,
            # JSON has no infinity: nothing counted against the agent is the top band.
            "performance": None
            if evidence.performance is None or math.isinf(evidence.performance)
            else _round(evidence.performance),
            "best_possible": evidence.performance is not None and math.isinf(evidence.performance),
            "adjusted": _round(evidence.adjusted),
            "score": None,
            "used": False,
        }
        if evidence.performance is None:
            row["why_not_used"] = "no evidence"
        elif evidence.tickets < hurdles.min_tickets_per_kpi:
            row["why_not_used"] = (
                f"{evidence.tickets} tickets, fewer than the minimum {hurdles.min_tickets_per_kpi}"
            )
        else:
            band = kpi_score(evidence.performance, config.kpi.bands)
            rule_met = _rule_met(evidence)
            row["rule_met"] = rule_met
            if rule_met is False:
                band = min(band, config.kpi.unmet_rule_cap)
            row["score"] = band
            row["used"] = True
            rated["kpi"].setdefault(evidence.level, []).append(float(band))
        kpi_rows.append(row)
    components["kpi"] = {"kpis": kpi_rows}

    # Level by level: the weighted mean of the components that rated it.
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
        level = min([level_from_score, *(f["caps_level_at"] for f in failed)])
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
    return SkillSynthesis(level=level, score=_round(score), inputs=inputs, hurdles_failed=failed)


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
