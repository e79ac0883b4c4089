"""The synthesis arithmetic on small cases worked out by hand in each test."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netdesk.competency.synthesis import (
    DEFAULT_WEIGHTS,
    ExamInput,
    Grade,
    IndicatorRatings,
    KpiInput,
    SkillLevel,
    SynthesisConfig,
    even_thresholds,
    kpi_performance,
    kpi_score,
    overall_grade,
    parse_config,
    synthesise_skill,
)
from netdesk.core.errors import ValidationFailed

CONFIG = SynthesisConfig()


def full_evidence(exam_share=0.8, kpi_tickets=(40, 10)):
    exams = [ExamInput(level=3, share=exam_share, pass_mark=0.7)]
    ratings = [
        IndicatorRatings(indicator_id=1, level=2, kind="observation", scores=(4, 5)),
        IndicatorRatings(indicator_id=2, level=3, kind="observation", scores=(3, 4)),
        IndicatorRatings(indicator_id=3, level=3, kind="interview", scores=(3,)),
    ]
    kpis = [
        KpiInput(indicator_id=4, level=3, kpi="first_contact_resolution",
                 tickets=kpi_tickets[0], performance=1.1),
        KpiInput(indicator_id=5, level=3, kpi="reopen_rate",
                 tickets=kpi_tickets[1], performance=1.5),
    ]  # fmt: skip
    return {"exams": exams, "ratings": ratings, "kpis": kpis}


def test_weighted_synthesis_worked_by_hand():
    # exam 1 + 4 × 0.8 = 4.2; observation mean(4.5, 3.5) = 4.0; interview 3.0;
    # KPI: FCR 1.1 reaches bands 0.8, 0.95, 1.05 → 4; the reopen rate has 10
    # tickets (< 20) and is left out.
    # score = 0.25·4.2 + 0.35·4.0 + 0.15·3.0 + 0.25·4 = 3.9 → level 4 (3.5 ≤ 3.9 < 4.5)
    result = synthesise_skill(config=CONFIG, scale_min=1, scale_max=5, **full_evidence())
    components = result.inputs["components"]
    assert components["exam"]["score"] == 4.2
    assert components["observation"]["score"] == 4.0
    assert components["interview"]["score"] == 3.0
    assert components["kpi"]["score"] == 4.0
    kpi_rows = components["kpi"]["kpis"]
    assert [row["used"] for row in kpi_rows] == [True, False]
    assert "fewer than the minimum 20" in kpi_rows[1]["why_not_used"]
    assert result.score == pytest.approx(3.9)
    assert result.level == 4
    assert result.hurdles_failed == []
    assert result.inputs["thresholds"] == [1.5, 2.5, 3.5, 4.5]


def test_missing_component_rescales_the_other_weights():
    evidence = full_evidence()
    evidence["ratings"] = [r for r in evidence["ratings"] if r.kind != "interview"]
    result = synthesise_skill(config=CONFIG, scale_min=1, scale_max=5, **evidence)
    # (0.25·4.2 + 0.35·4.0 + 0.25·4) / (0.25 + 0.35 + 0.25) = 3.45 / 0.85
    assert result.score == pytest.approx(round(3.45 / 0.85, 4))
    assert result.inputs["missing"] == ["interview"]
    components = result.inputs["components"]
    assert components["interview"]["effective_weight"] == 0.0
    assert components["exam"]["effective_weight"] == pytest.approx(round(0.25 / 0.85, 4))
    assert result.level == 4


def test_no_evidence_gives_no_level():
    result = synthesise_skill(config=CONFIG, scale_min=1, scale_max=5)
    assert result.level is None and result.score is None
    assert result.inputs["missing"] == ["exam", "observation", "interview", "kpi"]


def test_failed_exam_caps_the_level_below_the_exam_level():
    # exam 1 + 4 × 0.6 = 3.4: score = 0.25·3.4 + 1.4 + 0.45 + 1.0 = 3.7 → 4 by
    # score, but the level 3 exam was failed: capped at 2.
    result = synthesise_skill(
        config=CONFIG, scale_min=1, scale_max=5, **full_evidence(exam_share=0.6)
    )
    assert result.score == pytest.approx(3.7)
    assert result.inputs["level_from_score"] == 4
    assert result.level == 2
    assert [h["hurdle"] for h in result.hurdles_failed] == ["exam_pass_required"]
    assert result.hurdles_failed[0]["caps_level_at"] == 2


def test_exam_hurdle_can_be_switched_off_and_unsubmitted_exam_counts_as_failed():
    lenient = parse_config({"hurdles": {"exam_pass_required": False}})
    result = synthesise_skill(
        config=lenient, scale_min=1, scale_max=5, **full_evidence(exam_share=0.6)
    )
    assert result.level == 4
    unsubmitted = synthesise_skill(
        config=CONFIG,
        scale_min=1,
        scale_max=5,
        exams=[ExamInput(level=2, share=None, pass_mark=0.7)],
        ratings=[IndicatorRatings(1, 2, "observation", (5, 5))],
    )
    # The exam is not scored, so only the observation counts (5.0 → level 5),
    # but the level 2 exam was not passed: capped at 1.
    assert unsubmitted.inputs["components"]["exam"]["score"] is None
    assert unsubmitted.score == 5.0
    assert unsubmitted.level == 1


def test_indicator_below_the_minimum_caps_at_the_level_below_it():
    evidence = full_evidence()
    evidence["ratings"].append(IndicatorRatings(9, 4, "observation", (1, 2)))
    # observation = mean(4.5, 3.5, 1.5) = 3.1666…; the level 4 indicator
    # averages 1.5 < 2: capped at 3.
    result = synthesise_skill(config=CONFIG, scale_min=1, scale_max=5, **evidence)
    assert result.inputs["components"]["observation"]["score"] == pytest.approx(3.1667)
    expected = 0.25 * 4.2 + 0.35 * (9.5 / 3) + 0.15 * 3.0 + 0.25 * 4
    assert result.score == pytest.approx(round(expected, 4))
    assert result.level == 3
    assert result.hurdles_failed[0]["hurdle"] == "min_indicator_score"


def test_kpi_bands_orientation_and_unmet_rule():
    assert kpi_score(0.79, CONFIG.kpi.bands) == 1
    assert kpi_score(0.8, CONFIG.kpi.bands) == 2
    assert kpi_score(1.0, CONFIG.kpi.bands) == 3
    assert kpi_score(1.2, CONFIG.kpi.bands) == 5
    # Lower is better: a reopen rate at 0.8 of the expected is 1.25 performance.
    assert kpi_performance(0.8, higher_is_better=False) == pytest.approx(1.25)
    assert kpi_performance(0.0, higher_is_better=False) == math.inf
    assert kpi_performance(None, higher_is_better=True) is None
    # A band of 5 but the indicator asks at least 0.7 and the adjusted value is 0.65: capped at 2.
    result = synthesise_skill(
        config=CONFIG,
        scale_min=1,
        scale_max=5,
        kpis=[
            KpiInput(1, 3, "first_contact_resolution", 50, 1.3, adjusted=0.65, at_least=0.7),
            KpiInput(2, 3, "reopen_rate", 50, math.inf, adjusted=0.0, at_most=0.1),
        ],
    )
    rows = result.inputs["components"]["kpi"]["kpis"]
    assert [r["score"] for r in rows] == [2, 5]
    assert [r["rule_met"] for r in rows] == [False, True]
    assert rows[1]["best_possible"] is True and rows[1]["performance"] is None
    assert result.score == 3.5


def test_level_thresholds_on_other_scales():
    assert even_thresholds(2) == (2.0, 4.0)
    # Scale 0–2 with explicit cut-offs 2.2 and 3.6: a score of 3.9 → level 2.
    config = parse_config({"level_thresholds": [2.2, 3.6]})
    result = synthesise_skill(
        config=config,
        scale_min=0,
        scale_max=2,
        ratings=[IndicatorRatings(1, 1, "observation", (4, 4))],
    )
    assert result.level == 2
    with pytest.raises(ValidationFailed) as error:
        synthesise_skill(config=config, scale_min=1, scale_max=5)
    assert error.value.field == "synthesis.level_thresholds"


def test_overall_grade_from_levels_on_the_1_to_5_scale():
    # Level 4 of 1–5 is 4 points; level 2 of 1–3 is 1 + 4·(1/2) = 3 points;
    # mean 3.5: intermediate (≥ 3) but not superior (≥ 4).
    result = overall_grade(
        config=CONFIG,
        skills=[SkillLevel("CS-CALL", 4, 1, 5), SkillLevel("NET-FTTH", 2, 1, 3)],
    )
    assert result.score == 3.5
    assert result.grade == "intermediate"
    assert [s["points"] for s in result.inputs["skills"]] == [4.0, 3.0]
    assert overall_grade(config=CONFIG, skills=[SkillLevel("A", 5, 1, 5)]).grade == "superior"
    assert overall_grade(config=CONFIG, skills=[SkillLevel("A", 1, 1, 5)]).grade == "primary"
    nothing = overall_grade(config=CONFIG, skills=[SkillLevel("A", None, 1, 5)])
    assert nothing.grade == "" and nothing.score is None
    custom = parse_config({"grades": [{"name": "junior", "min_score": 2}]})
    assert overall_grade(config=custom, skills=[SkillLevel("A", 1, 1, 5)]).grade == ""


def test_parse_config_defaults_and_round_trip():
    assert parse_config({}) == CONFIG
    assert parse_config(None) == CONFIG
    assert CONFIG.grades == (
        Grade("primary", 1.0),
        Grade("intermediate", 3.0),
        Grade("superior", 4.0),
    )
    config = parse_config(
        {
            "weights": {"kpi": 0.5},
            "hurdles": {"min_tickets_per_kpi": 5, "min_indicator_score": None},
            "kpi": {"shrinkage_k": 10, "reference": "team", "bands": [0.7, 0.9, 1.1, 1.3]},
            "exam": {"questions": 5},
        }
    )
    assert config.weights == {**DEFAULT_WEIGHTS, "kpi": 0.5}
    assert config.hurdles.min_tickets_per_kpi == 5
    assert config.hurdles.min_indicator_score is None
    assert config.kpi.shrinkage_k == 10.0 and config.kpi.reference == "team"
    assert config.exam.questions == 5 and config.exam.pass_mark == 0.7
    assert parse_config(config.as_json()) == config


@pytest.mark.parametrize(
    ("raw", "field", "value"),
    [
        ("weights", "synthesis", "weights"),
        ({"colour": 1}, "synthesis.colour", 1),
        ({"weights": {"exam": -1}}, "synthesis.weights.exam", -1),
        ({"weights": {"exam": True}}, "synthesis.weights.exam", True),
        ({"weights": {"essay": 1}}, "synthesis.weights.essay", 1),
        (
            {"weights": {"exam": 0, "observation": 0, "interview": 0, "kpi": 0}},
            "synthesis.weights",
            {"exam": 0, "observation": 0, "interview": 0, "kpi": 0},
        ),
        ({"hurdles": {"min_tickets_per_kpi": 2.5}}, "synthesis.hurdles.min_tickets_per_kpi", 2.5),
        ({"hurdles": {"exam_pass_required": "yes"}}, "synthesis.hurdles.exam_pass_required", "yes"),
        ({"level_thresholds": [2, 1.5]}, "synthesis.level_thresholds", [2, 1.5]),
        ({"level_thresholds": [0.5]}, "synthesis.level_thresholds", 0.5),
        ({"grades": []}, "synthesis.grades", []),
        ({"grades": [{"name": "a"}]}, "synthesis.grades[0].min_score", None),
        (
            {"grades": [{"name": "a", "min_score": 3}, {"name": "b", "min_score": 2}]},
            "synthesis.grades",
            [3.0, 2.0],
        ),
        ({"kpi": {"reference": "world"}}, "synthesis.kpi.reference", "world"),
        ({"kpi": {"bands": [1, 2]}}, "synthesis.kpi.bands", [1, 2]),
        ({"exam": {"pass_mark": 1.5}}, "synthesis.exam.pass_mark", 1.5),
    ],
)
def test_parse_config_errors_name_key_value_and_accepted(raw, field, value):
    with pytest.raises(ValidationFailed) as error:
        parse_config(raw)
    assert error.value.field == field
    assert error.value.value == value
    assert error.value.accepted


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["weights", "exam", "kpi", "grades", "bands", "name", "min_score", "x"]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(raw=JSON)
def test_any_json_is_parsed_or_refused_with_a_named_key(raw):
    try:
        config = parse_config(raw)
    except ValidationFailed as error:
        assert error.field.startswith("synthesis")
        assert error.accepted
    else:
        assert parse_config(config.as_json()) == config
