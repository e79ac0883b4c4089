"""The synthesis arithmetic on small cases worked out by hand in each test."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netdesk.assessments.synthesis import (
    ExamInput,
    IndicatorRatings,
    KpiInput,
    SkillLevel,
    exam_rating,
    kpi_performance,
    kpi_score,
    level_place,
    overall_grade,
    synthesise_skill,
)
from netdesk.assessments.synthesis_config import (
    DEFAULT_WEIGHTS,
    Grade,
    SynthesisConfig,
    parse_config,
)
from netdesk.core.errors import ValidationFailed

CONFIG = SynthesisConfig()


def full_evidence(exam_share=0.8, kpi_tickets=(40, 10)):
    exams = [ExamInput(level=4, share=exam_share, pass_mark=0.7)]
    ratings = [
        IndicatorRatings(indicator_id=1, level=2, kind="observation", scores=(4, 5)),
        IndicatorRatings(indicator_id=2, level=3, kind="observation", scores=(3, 4)),
        IndicatorRatings(indicator_id=3, level=3, kind="interview", scores=(3,)),
        IndicatorRatings(indicator_id=6, level=4, kind="observation", scores=(2, 2)),
    ]
    kpis = [
        KpiInput(indicator_id=4, level=3, kpi="first_contact_resolution",
                 tickets=kpi_tickets[0], performance=1.1),
        KpiInput(indicator_id=5, level=3, kpi="reopen_rate",
                 tickets=kpi_tickets[1], performance=1.5),
    ]  # fmt: skip
    return {"exams": exams, "ratings": ratings, "kpis": kpis}


EXAM_4 = 3 + 2 * (0.8 - 0.7) / 0.3  # a level 4 exam, 80 % right, pass mark 70 %


def test_anchored_ratings_of_exams_and_places_on_the_scale():
    assert exam_rating(0.7, 0.7) == 3.0
    assert exam_rating(1.0, 0.7) == 5.0
    assert exam_rating(0.0, 0.7) == 1.0
    assert exam_rating(0.35, 0.7) == 2.0
    assert exam_rating(1.0, 1.0) == 5.0
    # Shown (≥ 3): the level plus a quarter per step, at most half a level.
    assert level_place(3, 3.0) == 3.0
    assert level_place(3, 4.0) == 3.25
    assert level_place(3, 5.0) == 3.5
    # Not shown: from a level below up to just short of the level.
    assert level_place(3, 1.0) == 2.0
    assert level_place(3, 2.0) == 2.5
    assert level_place(3, 2.999) < 3


def test_weighted_synthesis_worked_by_hand():
    # Level by level, the weighted mean of the components that rated it:
    # level 2: observation 4.5 alone → shown, at 2 + 1.5/4 = 2.375;
    # level 3: observation 3.5 (0.35), interview 3.0 (0.15), KPI: FCR 1.1
    #   reaches bands 0.8, 0.95, 1.05 → 4 (0.25) (the reopen rate has 10
    #   tickets, < 20, and is left out): (1.225 + 0.45 + 1.0) / 0.75 = 3.5667,
    #   shown, at 3.1417;
    # level 4: exam 3.6667 (0.25), observation 2.0 (0.35):
    #   (0.9167 + 0.7) / 0.6 = 2.6944, not shown, at 3 + 1.6944/2 = 3.8472.
    # The highest level shown is 3: level 3, standing at 3.1417. The exam
    # passes level 4, the level 4 behaviour is not there yet.
    result = synthesise_skill(config=CONFIG, scale_min=1, scale_max=5, **full_evidence())
    levels = {row["level"]: row for row in result.inputs["levels"]}
    assert levels[2]["rating"] == 4.5
    assert levels[2]["shown"]
    assert levels[2]["place"] == 2.375
    level_3 = (0.35 * 3.5 + 0.15 * 3.0 + 0.25 * 4) / 0.75
    assert levels[3]["rating"] == pytest.approx(round(level_3, 4))
    assert levels[3]["effective_weights"] == {
        "observation": pytest.approx(0.4667), "interview": 0.2, "kpi": pytest.approx(0.3333)
    }  # fmt: skip
    level_4 = (0.25 * EXAM_4 + 0.35 * 2.0) / 0.6
    assert levels[4]["rating"] == pytest.approx(round(level_4, 4))
    assert not levels[4]["shown"]
    assert levels[4]["place"] == pytest.approx(round(3 + (level_4 - 1) / 2, 4))
    assert result.score == pytest.approx(round(3 + (level_3 - 3) / 4, 4))
    assert result.level == 3
    assert result.hurdles_failed == []
    components = result.inputs["components"]
    assert components["exam"]["levels"] == {"4": pytest.approx(round(EXAM_4, 4))}
    assert components["observation"]["levels"] == {"2": 4.5, "3": 3.5, "4": 2.0}
    kpi_rows = components["kpi"]["kpis"]
    assert [row["used"] for row in kpi_rows] == [True, False]
    assert "fewer than the minimum 20" in kpi_rows[1]["why_not_used"]


def test_missing_component_rescales_the_other_weights():
    evidence = full_evidence()
    evidence["ratings"] = [r for r in evidence["ratings"] if r.kind != "interview"]
    result = synthesise_skill(config=CONFIG, scale_min=1, scale_max=5, **evidence)
    # Level 3 without the interview: (0.35·3.5 + 0.25·4) / 0.6 = 3.7083.
    level_3 = next(row for row in result.inputs["levels"] if row["level"] == 3)
    assert level_3["rating"] == pytest.approx(round((0.35 * 3.5 + 0.25 * 4) / 0.6, 4))
    assert level_3["effective_weights"] == {
        "observation": pytest.approx(0.5833), "kpi": pytest.approx(0.4167)
    }  # fmt: skip
    assert result.inputs["missing"] == ["interview"]
    assert result.level == 3


def test_no_evidence_gives_no_level():
    result = synthesise_skill(config=CONFIG, scale_min=1, scale_max=5)
    assert result.level is None
    assert result.score is None
    assert result.inputs["missing"] == ["exam", "observation", "interview", "kpi"]


def strong_four_failed_three_exam(share=0.6):
    # Observation and interview show level 4 well (4 → 4.25); the level 3
    # exam, 60 % right with a pass mark of 70 %, rates level 3 at 2.7143.
    return {
        "exams": [ExamInput(level=3, share=share, pass_mark=0.7)],
        "ratings": [
            IndicatorRatings(1, 4, "observation", (4, 4)),
            IndicatorRatings(2, 4, "interview", (4,)),
        ],
    }


def test_failed_exam_caps_the_level_below_the_exam_level():
    result = synthesise_skill(
        config=CONFIG, scale_min=1, scale_max=5, **strong_four_failed_three_exam()
    )
    levels = {row["level"]: row for row in result.inputs["levels"]}
    assert levels[3]["rating"] == pytest.approx(round(1 + 2 * 0.6 / 0.7, 4))
    assert not levels[3]["shown"]
    assert levels[4]["shown"]
    assert result.score == 4.25
    assert result.inputs["level_from_score"] == 4
    assert result.level == 2
    assert [(h["hurdle"], h["caps_level_at"]) for h in result.hurdles_failed] == [
        ("exam_pass_required", 2)
    ]


def test_exam_hurdle_can_be_switched_off_and_unsubmitted_exam_counts_as_failed():
    lenient = parse_config({"hurdles": {"exam_pass_required": False}})
    result = synthesise_skill(
        config=lenient, scale_min=1, scale_max=5, **strong_four_failed_three_exam()
    )
    assert result.level == 4
    unsubmitted = synthesise_skill(
        config=CONFIG,
        scale_min=1,
        scale_max=5,
        exams=[ExamInput(level=2, share=None, pass_mark=0.7)],
        ratings=[IndicatorRatings(1, 2, "observation", (5, 5))],
    )
    # The exam is not rated, so only the observation counts (level 2 rated
    # 5 → 2.5 → level 2), but the level 2 exam was not passed: capped at 1.
    assert unsubmitted.inputs["components"]["exam"]["levels"] == {}
    assert unsubmitted.score == 2.5
    assert unsubmitted.inputs["level_from_score"] == 2
    assert unsubmitted.level == 1


def test_indicator_below_the_minimum_caps_at_the_level_below_it():
    evidence = full_evidence()
    evidence["ratings"].append(IndicatorRatings(9, 4, "observation", (1, 2)))
    # The level 4 observation is now mean(2.0, 1.5) = 1.75 and the new
    # indicator averages 1.5 < 2: capped at 3.
    result = synthesise_skill(config=CONFIG, scale_min=1, scale_max=5, **evidence)
    assert result.inputs["components"]["observation"]["levels"]["4"] == 1.75
    assert result.level == 3
    assert result.hurdles_failed[0]["hurdle"] == "min_indicator_score"
    assert result.hurdles_failed[0]["caps_level_at"] == 3


def test_a_level_is_shown_by_evidence_at_that_level_not_extrapolated():
    # Top marks on level 2 and level 1 behaviour: a strong level 2, not a 5.
    strong_two = synthesise_skill(
        config=CONFIG,
        scale_min=1,
        scale_max=5,
        ratings=[
            IndicatorRatings(1, 2, "observation", (5, 5)),
            IndicatorRatings(2, 1, "interview", (5,)),
        ],
    )
    assert strong_two.score == 2.5
    assert strong_two.level == 2
    # Level 3 behaviour partly shown (2.5) and nothing else: 2.75, level 2.
    # But with level 2 rated and not shown, a weak level 3 says nothing for
    # level 2: level 1.
    partly = synthesise_skill(
        config=CONFIG,
        scale_min=1,
        scale_max=5,
        ratings=[IndicatorRatings(1, 3, "observation", (2, 3))],
    )
    assert partly.score == 2.75
    assert partly.level == 2
    weak = synthesise_skill(
        config=parse_config({"hurdles": {"min_indicator_score": None}}),
        scale_min=1,
        scale_max=5,
        ratings=[
            IndicatorRatings(1, 1, "observation", (3, 4)),
            IndicatorRatings(2, 2, "observation", (2, 3)),
            IndicatorRatings(3, 3, "observation", (1, 1)),
        ],
    )
    assert weak.level == 1
    assert weak.score == 1.125
    # Level 4 as the level describes, from every kind of evidence: level 4.
    as_described = synthesise_skill(
        config=CONFIG,
        scale_min=1,
        scale_max=5,
        exams=[ExamInput(level=4, share=0.7, pass_mark=0.7)],
        ratings=[
            IndicatorRatings(1, 4, "observation", (3, 3)),
            IndicatorRatings(2, 4, "interview", (3,)),
        ],
        kpis=[KpiInput(4, 4, "first_contact_resolution", 50, 1.0)],
    )
    assert as_described.score == 4.0
    assert as_described.level == 4
    # Evidence about the basics never pulls an agent down: level 1 behaviour
    # rated (even weakly, 2.5 → 1.75) beside a passed level 3 exam and a
    # level 3 interview (3.5): (0.25·4 + 0.15·3.5) / 0.4 = 3.8125, level 3.
    with_basics = synthesise_skill(
        config=CONFIG,
        scale_min=1,
        scale_max=5,
        exams=[ExamInput(level=3, share=0.85, pass_mark=0.7)],
        ratings=[
            IndicatorRatings(1, 1, "observation", (2, 3)),
            IndicatorRatings(2, 3, "interview", (3, 4)),
        ],
    )
    assert with_basics.score == pytest.approx(round(3 + (3.8125 - 3) / 4, 4))
    assert with_basics.level == 3
    # The bar can be raised: shown at 3.5, a level rated 3.4 is not shown.
    strict = parse_config({"shown_at": 3.5})
    assert (
        synthesise_skill(
            config=strict, scale_min=1, scale_max=5,
            ratings=[IndicatorRatings(1, 3, "observation", (3.4,))],  # type: ignore[arg-type]  # a mean between levels
        ).level
        == 2
    )  # fmt: skip
    # A 1–3 certificate scale works the same way.
    certificate = synthesise_skill(
        config=CONFIG,
        scale_min=1,
        scale_max=3,
        ratings=[IndicatorRatings(1, 3, "observation", (5,))],
    )
    assert certificate.score == 3.5
    assert certificate.level == 3


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
    assert rows[1]["best_possible"] is True
    assert rows[1]["performance"] is None
    # Both level 3: mean band 3.5 → 3 + 0.5/4 = 3.125.
    assert result.score == 3.125


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
    assert nothing.grade == ""
    assert nothing.score is None
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
    assert config.kpi.shrinkage_k == 10.0
    assert config.kpi.reference == "team"
    assert config.exam.questions == 5
    assert config.exam.pass_mark == 0.7
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
        ({"shown_at": 1}, "synthesis.shown_at", 1),
        ({"shown_at": "3"}, "synthesis.shown_at", "3"),
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
        # Either outcome is right for random input, so no pytest.raises.
        assert error.field is not None  # noqa: PT017
        assert error.field.startswith("synthesis")  # noqa: PT017
        assert error.accepted  # noqa: PT017
    else:
        assert parse_config(config.as_json()) == config
