"""Assessment cycles end to end through the services: who may do what, the
exam, ratings, synthesis with its inputs, overrides, validation into the
agent's levels and the assessors' agreement."""

import random
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from sklearn.metrics import cohen_kappa_score

from netdesk.accounts.models import Role, SupportGroup, Tier, TierKind, User
from netdesk.assessments.models import AssessmentState
from netdesk.assessments.selectors import (
    assessment_page,
    assessments_visible_to,
    cycle_agreement,
    cycle_progress,
)
from netdesk.assessments.services.assessments import (
    assessment_open,
    assessment_synthesise,
    assessment_validate,
    cycle_create,
    grade_override,
    rating_record,
    skill_result_override,
)
from netdesk.assessments.services.exams import exam_draw, exam_question_create, exam_submit
from netdesk.competency.models import AgentSkill, Framework, Indicator, Skill
from netdesk.core.errors import (
    PermissionDenied,
    ServiceError,
    TransitionNotAllowed,
    ValidationFailed,
)
from netdesk.tickets.models import Ticket
from tests import factories as f

pytestmark = pytest.mark.django_db


class Desk:
    """A hotline team (lead, agent, peer), a manager, another team's lead
    and a small published framework with a question bank."""

    def __init__(self):
        hotline = f.group(TierKind.FIRST_LINE)
        self.lead = f.user(Role.TEAM_LEAD, groups=[hotline])
        SupportGroup.objects.filter(pk=hotline.pk).update(supervisor=self.lead)
        self.agent = f.user(groups=[hotline])
        self.peer = f.user(groups=[hotline])
        self.manager = f.user(Role.SERVICE_DESK_MANAGER)
        tier = Tier.objects.create(name="Second hotline", kind=TierKind.FIRST_LINE, level=1)
        other = SupportGroup.objects.create(name="Night shift", tier=tier)
        self.other_lead = f.user(Role.TEAM_LEAD, groups=[other])
        other.supervisor = self.other_lead
        other.save()
        self.framework = Framework.objects.create(name="Desk skills", state="published")
        self.call = Skill.objects.create(
            framework=self.framework, code="CALL", name="Call handling", category="behavioural"
        )
        self.cert = Skill.objects.create(
            framework=self.framework,
            code="CERT",
            name="Fibre certificate",
            category="certification",
            scale_max=3,
        )
        self.observe_2 = self._indicator(2, ["observation"])
        self.observe_3 = self._indicator(3, ["observation"])
        self.interview_3 = self._indicator(3, ["interview"])
        self.kpi_3 = self._indicator(
            3, ["kpi"], {"kpi": "resolution.first_contact_rate", "at_least": 0.5}
        )
        self.questions = [
            exam_question_create(
                actor=self.manager,
                skill=self.call,
                level=3,
                text=f"Question {n}?",
                choices=["right", "wrong", "also wrong"],
                correct=0,
            )
            for n in range(6)
        ]

    def _indicator(self, level, kinds, rule=None):
        return Indicator.objects.create(
            skill=self.call,
            level=level,
            text=f"L{level} {kinds}",
            evidence=kinds,
            kpi_rule=rule or {},
        )

    def cycle(self, **synthesis):
        today = timezone.localdate()
        return cycle_create(
            actor=self.manager,
            name="Spring 2026",
            framework=self.framework,
            period_start=today - timedelta(days=30),
            period_end=today,
            synthesis_config={
                "hurdles": {"min_tickets_per_kpi": 2},
                "exam": {"questions": 6},
                **synthesis,
            },
        )


@pytest.fixture
def desk():
    return Desk()


def resolved_tickets(agent, fcr_flags):
    for fcr in fcr_flags:
        ticket = f.ticket(agent)
        Ticket.objects.filter(pk=ticket.pk).update(
            status="resolved",
            resolved_by=agent,
            resolved_at=timezone.now(),
            first_contact_resolved=fcr,
        )


def test_cycle_create_is_for_managers_and_checks_its_settings(desk):
    with pytest.raises(PermissionDenied):
        cycle_create(
            actor=desk.lead,
            name="x",
            framework=desk.framework,
            period_start=timezone.localdate(),
            period_end=timezone.localdate(),
        )
    cycle = desk.cycle()
    assert cycle.synthesis["weights"]["observation"] == 0.35
    assert cycle.synthesis["hurdles"]["min_tickets_per_kpi"] == 2
    with pytest.raises(ValidationFailed) as error:
        desk.cycle(weights={"essay": 1})
    assert error.value.field == "synthesis.weights.essay"
    with pytest.raises(ValidationFailed) as error:
        desk.cycle(shown_at=6)
    assert error.value.field == "synthesis.shown_at"
    desk.framework.state = "draft"
    desk.framework.save()
    with pytest.raises(ValidationFailed) as error:
        desk.cycle()
    assert error.value.field == "framework"


def test_who_may_open_an_assessment(desk):
    cycle = desk.cycle()
    with pytest.raises(PermissionDenied):
        assessment_open(actor=desk.other_lead, cycle=cycle, agent=desk.agent)
    with pytest.raises(PermissionDenied):
        assessment_open(actor=desk.lead, cycle=cycle, agent=desk.lead)
    with pytest.raises(PermissionDenied):
        assessment_open(actor=desk.peer, cycle=cycle, agent=desk.agent)
    assessment = assessment_open(actor=desk.lead, cycle=cycle, agent=desk.agent)
    # Default: every skill without sub-skills.
    assert set(assessment.skills.values_list("code", flat=True)) == {"CALL", "CERT"}
    with pytest.raises(ValidationFailed) as error:
        assessment_open(actor=desk.manager, cycle=cycle, agent=desk.agent)
    assert error.value.field == "agent"
    # Who sees it: the agent, their lead and managers, not a peer nor another team's lead.
    for viewer, sees in [
        (desk.agent, True),
        (desk.lead, True),
        (desk.manager, True),
        (desk.peer, False),
        (desk.other_lead, False),
    ]:
        assert assessments_visible_to(viewer).filter(pk=assessment.pk).exists() is sees


def test_exam_draw_is_deterministic_and_submitted_once(desk):
    cycle = desk.cycle(exam={"questions": 4, "pass_mark": 0.75})
    assessment = assessment_open(actor=desk.lead, cycle=cycle, agent=desk.agent)
    with pytest.raises(ValidationFailed) as error:
        exam_draw(actor=desk.lead, assessment=assessment, skill=desk.call, level=2)
    assert error.value.field == "questions"
    assert error.value.accepted == "at most 0"
    attempt = exam_draw(actor=desk.lead, assessment=assessment, skill=desk.call, level=3, seed=7)
    bank = sorted(q.pk for q in desk.questions)
    assert set(attempt.questions.values_list("pk", flat=True)) == set(
        random.Random(7).sample(bank, 4)
    )
    assert attempt.pass_mark == 0.75
    with pytest.raises(TransitionNotAllowed):
        exam_draw(actor=desk.lead, assessment=assessment, skill=desk.call, level=3)
    drawn = sorted(attempt.questions.values_list("pk", flat=True))
    with pytest.raises(PermissionDenied):
        exam_submit(actor=desk.lead, attempt=attempt, answers={})
    with pytest.raises(ValidationFailed) as error:
        exam_submit(actor=desk.agent, attempt=attempt, answers={str(drawn[0]): 3})
    assert error.value.field == f"answers.{drawn[0]}"
    assert error.value.accepted == "0 to 2"
    with pytest.raises(ValidationFailed) as error:
        exam_submit(actor=desk.agent, attempt=attempt, answers={"999999": 0})
    assert error.value.field == "answers"
    # Three right, one wrong: 0.75, exactly the pass mark.
    answers = {str(pk): 0 for pk in drawn[:3]} | {str(drawn[3]): 1}
    submitted = exam_submit(actor=desk.agent, attempt=attempt, answers=answers)
    assert submitted.score == 0.75
    with pytest.raises(TransitionNotAllowed):
        exam_submit(actor=desk.agent, attempt=attempt, answers=answers)


def test_ratings_are_by_assessors_on_others_and_checked(desk):
    cycle = desk.cycle()
    assessment = assessment_open(actor=desk.lead, cycle=cycle, agent=desk.agent)
    rating = rating_record(
        actor=desk.lead,
        assessment=assessment,
        indicator=desk.observe_2,
        kind="observation",
        score=3,
    )
    again = rating_record(
        actor=desk.lead,
        assessment=assessment,
        indicator=desk.observe_2,
        kind="observation",
        score=4,
        note="calmer on the second call",
    )
    assert again.pk == rating.pk
    assert again.score == 4
    cases: list[tuple[User, dict[str, Any], type[ServiceError], str]] = [
        (desk.agent, {"score": 5}, PermissionDenied, "action"),
        (desk.peer, {"score": 5}, PermissionDenied, "action"),
        (desk.other_lead, {"score": 5}, PermissionDenied, "assessment"),
        (desk.lead, {"score": 6}, ValidationFailed, "score"),
        (desk.lead, {"score": 3, "kind": "gossip"}, ValidationFailed, "kind"),
    ]
    for actor, kwargs, error_type, field in cases:
        with pytest.raises(error_type) as error:
            rating_record(
                actor=actor,
                assessment=assessment,
                indicator=desk.observe_2,
                **{"kind": "observation", **kwargs},
            )
        assert error.value.field == field


def test_synthesis_override_and_validation_end_to_end(desk, django_assert_max_num_queries):
    cycle = desk.cycle()
    assessment = assessment_open(actor=desk.lead, cycle=cycle, agent=desk.agent)
    assessment_open(actor=desk.lead, cycle=cycle, agent=desk.peer)
    # Exam at level 3: 5 of 6 right (pass 70 %) rates level 3 at 3 + 2·(5/6 − 0.7)/0.3.
    attempt = exam_draw(actor=desk.lead, assessment=assessment, skill=desk.call, level=3, seed=1)
    drawn = sorted(attempt.questions.values_list("pk", flat=True))
    exam_submit(
        actor=desk.agent,
        attempt=attempt,
        answers={str(pk): (1 if pk == drawn[0] else 0) for pk in drawn},
    )
    # Observation: L2 (4, 5) → 4.5, L3 (3, 4) → 3.5. Interview L3: 4.
    for assessor, l2, l3 in [(desk.lead, 4, 3), (desk.manager, 5, 4)]:
        rating_record(
            actor=assessor, assessment=assessment, indicator=desk.observe_2,
            kind="observation", score=l2,
        )  # fmt: skip
        rating_record(
            actor=assessor, assessment=assessment, indicator=desk.observe_3,
            kind="observation", score=l3,
        )  # fmt: skip
    rating_record(
        actor=desk.lead, assessment=assessment, indicator=desk.interview_3,
        kind="interview", score=4,
    )  # fmt: skip
    # KPI: agent 3 of 4 on first contact, peer 1 of 4, all in one cell: the
    # desk rate is 0.5, agent O/E 1.5, team O/E 1; w = 4/34:
    # shrunk = 4/34·1.5 + 30/34·1 = 36/34 → band 4 (≥ 1.05); adjusted 18/34 ≥ 0.5.
    resolved_tickets(desk.agent, [True, True, True, False])
    resolved_tickets(desk.peer, [True, False, False, False])

    with django_assert_max_num_queries(40):
        assessment_synthesise(actor=desk.lead, assessment=assessment)
    assessment.refresh_from_db()
    call = assessment.results.get(skill=desk.call)
    components = call.inputs["components"]
    exam = 3 + 2 * (5 / 6 - 0.7) / 0.3
    assert components["exam"]["levels"] == {"3": pytest.approx(round(exam, 4))}
    assert components["observation"]["levels"] == {"2": 4.5, "3": 3.5}
    assert components["interview"]["levels"] == {"3": 4.0}
    assert components["kpi"]["levels"] == {"3": 4.0}
    kpi_row = components["kpi"]["kpis"][0]
    assert kpi_row["performance"] == pytest.approx(round(36 / 34, 4))
    assert kpi_row["score"] == 4
    assert kpi_row["rule_met"] is True
    fcr = call.inputs["kpi_evidence"]["first_contact_resolution"]
    assert (fcr["observed"], fcr["expected"], fcr["ratio"]) == (0.75, 0.5, 1.5)
    # Level 3: 0.25·3.8889 + 0.35·3.5 + 0.15·4 + 0.25·4 = 3.7972, shown, at
    # 3 + 0.7972/4 = 3.1993 (level 2, 4.5 alone, is at 2.375) → level 3
    level_3 = 0.25 * exam + 0.35 * 3.5 + 0.4 * 4
    assert call.score == pytest.approx(round(3 + (level_3 - 3) / 4, 4))
    assert call.level == 3
    assert call.hurdles_failed == []
    cert = assessment.results.get(skill=desk.cert)
    assert cert.level is None  # no evidence at all
    assert assessment.state == AssessmentState.SYNTHESISED
    assert assessment.grade == "intermediate"  # level 3 of 1–5: 3 points

    with pytest.raises(ValidationFailed) as error:
        skill_result_override(actor=desk.lead, result=call, level=2, reason="  ")
    assert error.value.field == "reason"
    with pytest.raises(ValidationFailed) as error:
        skill_result_override(actor=desk.lead, result=call, level=9, reason="x")
    assert error.value.field == "level"
    skill_result_override(
        actor=desk.lead, result=call, level=2, reason="Interview showed gaps on escalations."
    )
    assessment.refresh_from_db()
    assert assessment.grade == "primary"
    assert assessment.grade_inputs["skills"][0]["points"] == 2.0
    with pytest.raises(ValidationFailed) as error:
        grade_override(actor=desk.lead, assessment=assessment, grade="guru", reason="x")
    assert error.value.accepted == ["primary", "intermediate", "superior"]
    with pytest.raises(PermissionDenied):
        assessment_validate(actor=desk.agent, assessment=assessment)

    assessment_validate(actor=desk.manager, assessment=assessment)
    assessment.refresh_from_db()
    assert assessment.state == AssessmentState.VALIDATED
    record = AgentSkill.objects.get(agent=desk.agent)
    assert (record.skill_id, record.level, record.source) == (desk.call.pk, 2, "assessment")
    assert record.assessment_id == assessment.pk
    assert record.reason == "Interview showed gaps on escalations."
    with pytest.raises(TransitionNotAllowed):
        rating_record(
            actor=desk.lead, assessment=assessment, indicator=desk.observe_2,
            kind="observation", score=1,
        )  # fmt: skip
    page = assessment_page(assessment)
    assert [s["skill"].code for s in page["skills"]] == ["CALL", "CERT"]
    assert page["kpi_evidence"]["first_contact_resolution"].ratio == 1.5
    rows = cycle_progress(cycle, desk.lead)
    assert [(r["agent"], r["exams_submitted"], r["ratings"]) for r in rows] == sorted(
        [(desk.agent.username, 1, 5), (desk.peer.username, 0, 0)]
    )


def test_grade_override_keeps_the_computed_grade(desk):
    cycle = desk.cycle()
    assessment = assessment_open(actor=desk.lead, cycle=cycle, agent=desk.agent, skills=[desk.call])
    rating_record(
        actor=desk.lead, assessment=assessment, indicator=desk.observe_2,
        kind="observation", score=2,
    )  # fmt: skip
    assessment_synthesise(actor=desk.lead, assessment=assessment)
    assessment.refresh_from_db()
    assert assessment.grade == "primary"
    grade_override(
        actor=desk.manager,
        assessment=assessment,
        grade="intermediate",
        reason="Acting team lead for three months; exam taken late.",
    )
    assessment_synthesise(actor=desk.lead, assessment=assessment)
    assessment.refresh_from_db()
    assert assessment.grade == "intermediate"
    assert assessment.grade_inputs["grade"] == "primary"
    assert assessment.grade_inputs["override"]["by"] == desk.manager.username


def test_agreement_of_two_assessors_matches_scikit_learn(desk):
    cycle = desk.cycle()
    lead_scores, manager_scores = [4, 2, 3, 5, 1, 3], [5, 2, 3, 4, 2, 3]
    indicators = [desk.observe_2, desk.observe_3]
    agents = [desk.agent, desk.peer, f.user(groups=[f.group(TierKind.FIRST_LINE)])]
    assessments = [assessment_open(actor=desk.lead, cycle=cycle, agent=a) for a in agents]
    pairs = [(a, i) for a in assessments for i in indicators]
    for (assessment, indicator), ours, theirs in zip(
        pairs, lead_scores, manager_scores, strict=True
    ):
        for assessor, score in [(desk.lead, ours), (desk.manager, theirs)]:
            rating_record(
                actor=assessor, assessment=assessment, indicator=indicator,
                kind="observation", score=score,
            )  # fmt: skip
    # A single-rated interview does not count.
    rating_record(
        actor=desk.lead, assessment=assessments[0], indicator=desk.interview_3,
        kind="interview", score=3,
    )  # fmt: skip
    report = cycle_agreement(cycle)
    observation = report["observation"]
    assert observation["items"] == 6
    assert sorted(observation["raters"]) == sorted([desk.lead.username, desk.manager.username])
    for weights in ("quadratic", "linear"):
        expected = cohen_kappa_score(
            lead_scores, manager_scores, weights=weights, labels=[1, 2, 3, 4, 5]
        )
        assert observation[f"kappa_{weights}"]["value"] == pytest.approx(expected, abs=1e-4)
    assert observation["icc_single"]["value"] is not None
    assert report["interview"]["items"] == 0
    assert "two assessors" in report["interview"]["reason"]
    assert report["all"]["items"] == 6
