"""A cycle's synthesis settings: the weights, hurdles, KPI bands, exam
settings and grade scheme, read from the cycle's JSON with an error that
names the key, the value and what is accepted (how they are used:
synthesis.py)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
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
