"""Assessment screens and API: a lead runs an assessment, the agent takes
their exam, outsiders see nothing, and every input of the synthesis shows."""

import pytest
from django.test import Client
from django.utils import timezone

from netdesk.assessments.models import Assessment, AssessmentCycle, ExamAttempt
from netdesk.assessments.services.assessments import (
    assessment_open,
    assessment_synthesise,
    rating_record,
)
from netdesk.assessments.services.exams import exam_draw
from netdesk.assessments.tests.test_assessment import Desk, resolved_tickets
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    return Desk()


def browser(user):
    client = Client()
    client.force_login(user)
    return client


def api(user):
    return Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(user)}")


def post_json(client, url, body):
    return client.post(url, body, content_type="application/json")


# ---- screens ------------------------------------------------------------------------------


def test_manager_starts_a_cycle_from_the_list(desk):
    client = browser(desk.manager)
    assert client.get("/competency/cycles/").status_code == 200
    today = timezone.localdate().isoformat()
    form = {
        "name": "Autumn",
        "framework": desk.framework.pk,
        "period_start": today,
        "period_end": today,
        "synthesis": '{"weights": {"essay": 1}}',
    }
    refused = client.post("/competency/cycles/", form)
    assert refused.status_code == 422
    assert "synthesis.weights.essay" in refused.content.decode()
    response = client.post("/competency/cycles/", {**form, "synthesis": ""})
    cycle = AssessmentCycle.objects.get(name="Autumn")
    assert response.status_code == 302
    assert response["Location"] == f"/competency/cycles/{cycle.pk}/"
    # A team lead may not start one.
    assert browser(desk.lead).post("/competency/cycles/", form).status_code == 403


def test_lead_runs_an_assessment_and_the_agent_takes_the_exam(desk):
    cycle = desk.cycle()
    lead = browser(desk.lead)
    opened = lead.post(
        f"/competency/cycles/{cycle.pk}/assessments/",
        {"agent": desk.agent.pk, "skills": [desk.call.pk]},
    )
    assessment = Assessment.objects.get(cycle=cycle, agent=desk.agent)
    assert opened.status_code == 302
    url = f"/competency/assessments/{assessment.pk}/"
    assert (
        lead.post(
            url + "exam/", {"exam-skill": desk.call.pk, "exam-level": 3, "exam-seed": 3}
        ).status_code
        == 302
    )
    attempt = ExamAttempt.objects.get(assessment=assessment)
    for indicator, score in [(desk.observe_2, 4), (desk.observe_3, 3)]:
        response = lead.post(
            url + "rate/",
            {"rate-indicator": indicator.pk, "rate-kind": "observation", "rate-score": score},
        )
        assert response.status_code == 302
    assert assessment.ratings.count() == 2
    bad = lead.post(url + "rate/", {"rate-indicator": desk.observe_2.pk, "rate-kind": "x"})
    assert bad.status_code == 422

    # The agent takes their exam: all right.
    agent = browser(desk.agent)
    exam_url = f"/competency/exams/{attempt.pk}/"
    page = agent.get(exam_url).content.decode()
    assert "Hand in" in page
    assert "right" not in page.split("<form")[1].split("</form>")[0]
    answers = {f"q-{q.pk}": q.correct for q in attempt.questions.all()}
    assert agent.post(exam_url, answers).status_code == 302
    attempt.refresh_from_db()
    assert attempt.score == 1.0
    assert 'id="exam-score">1.00' in agent.get(exam_url).content.decode()
    # Nobody else hands it in; outsiders do not even see it.
    assert lead.post(exam_url, answers).status_code == 404
    assert browser(desk.peer).get(exam_url).status_code == 404

    resolved_tickets(desk.agent, [True, True])
    assert lead.post(url + "synthesise/").status_code == 302
    page = lead.get(url).content.decode()
    for shown in (
        "Synthesis",
        "Evidence level by level",
        "KPI evidence",
        "First-contact resolution",
        "Overall grade",
    ):
        assert shown in page
    refused = lead.post(url + "override/", {"override-skill": desk.call.pk, "override-level": 2})
    assert refused.status_code == 422
    assert "This field is required" in refused.content.decode()
    assert (
        lead.post(
            url + "override/",
            {"override-skill": desk.call.pk, "override-level": 2, "override-reason": "Shadowed."},
        ).status_code
        == 302
    )
    assert assessment.results.get().override_level == 2
    assert browser(desk.manager).post(url + "validate/").status_code == 302
    assessment.refresh_from_db()
    assert assessment.state == "validated"


def test_cycle_page_shows_progress_and_agreement(desk):
    cycle = desk.cycle()
    assessment = assessment_open(actor=desk.lead, cycle=cycle, agent=desk.agent)
    for assessor, score in [(desk.lead, 3), (desk.manager, 4)]:
        rating_record(
            actor=assessor, assessment=assessment, indicator=desk.observe_2,
            kind="observation", score=score,
        )  # fmt: skip
    page = browser(desk.lead).get(f"/competency/cycles/{cycle.pk}/").content.decode()
    assert desk.agent.username in page or str(desk.agent) in page
    assert "Rater agreement" in page
    assert "ICC(2,1)" in page
    # The agent sees the cycle and their own row, not the agreement.
    own = browser(desk.agent).get(f"/competency/cycles/{cycle.pk}/").content.decode()
    assert "Rater agreement" not in own
    assert browser(desk.peer).get(f"/competency/cycles/{cycle.pk}/").status_code == 404


def test_assessment_page_permissions(desk):
    cycle = desk.cycle()
    assessment = assessment_open(actor=desk.lead, cycle=cycle, agent=desk.agent)
    url = f"/competency/assessments/{assessment.pk}/"
    own = browser(desk.agent).get(url)
    assert own.status_code == 200
    assert "Rate an indicator" not in own.content.decode()
    assert "Rate an indicator" in browser(desk.lead).get(url).content.decode()
    assert browser(desk.peer).get(url).status_code == 404
    assert browser(desk.other_lead).get(url).status_code == 404
    # The agent cannot rate themselves through the form either.
    browser(desk.agent).post(
        url + "rate/",
        {"rate-indicator": desk.observe_2.pk, "rate-kind": "observation", "rate-score": 5},
    )
    assert assessment.ratings.count() == 0


# ---- API ------------------------------------------------------------------------------------


def test_api_end_to_end(desk, django_assert_max_num_queries):
    today = timezone.localdate().isoformat()
    manager, lead, agent = api(desk.manager), api(desk.lead), api(desk.agent)
    refused = post_json(
        manager,
        "/api/v1/competency/cycles",
        {
            "name": "API cycle",
            "framework_id": desk.framework.pk,
            "period_start": today,
            "period_end": today,
            "synthesis": {"hurdles": {"min_tickets_per_kpi": -1}},
        },
    )
    assert refused.status_code == 422
    error = refused.json()["errors"][0]
    assert error["field"] == "synthesis.hurdles.min_tickets_per_kpi"
    assert error["value"] == -1
    created = post_json(
        manager,
        "/api/v1/competency/cycles",
        {
            "name": "API cycle",
            "framework_id": desk.framework.pk,
            "period_start": today,
            "period_end": today,
            "synthesis": {"exam": {"questions": 3}},
        },
    )
    assert created.status_code == 201, created.content
    cycle_id = created.json()["id"]
    assert created.json()["synthesis"]["exam"]["questions"] == 3

    opened = post_json(
        lead,
        f"/api/v1/competency/cycles/{cycle_id}/assessments",
        {"agent_id": desk.agent.pk, "skill_ids": [desk.call.pk]},
    )
    assert opened.status_code == 201, opened.content
    assessment_id = opened.json()["id"]
    assert [s["code"] for s in opened.json()["skills"]] == ["CALL"]

    drawn = post_json(
        lead,
        f"/api/v1/competency/assessments/{assessment_id}/exams",
        {"skill_id": desk.call.pk, "level": 3, "seed": 11},
    )
    assert drawn.status_code == 201, drawn.content
    exam = drawn.json()
    assert len(exam["items"]) == 3
    assert "correct" not in exam["items"][0]
    answers = {str(item["id"]): 0 for item in exam["items"]}
    assert (
        post_json(
            lead, f"/api/v1/competency/exams/{exam['id']}/submit", {"answers": answers}
        ).status_code
        == 403
    )
    handed_in = post_json(
        agent, f"/api/v1/competency/exams/{exam['id']}/submit", {"answers": answers}
    )
    assert handed_in.status_code == 200
    assert handed_in.json()["score"] == 1.0
    assert all(item["right"] for item in handed_in.json()["items"])

    rated = post_json(
        lead,
        f"/api/v1/competency/assessments/{assessment_id}/ratings",
        {"indicator_id": desk.observe_3.pk, "kind": "observation", "score": 4},
    )
    assert rated.status_code == 201, rated.content
    self_rated = post_json(
        agent,
        f"/api/v1/competency/assessments/{assessment_id}/ratings",
        {"indicator_id": desk.observe_3.pk, "kind": "observation", "score": 5},
    )
    assert self_rated.status_code == 403

    synthesised = post_json(lead, f"/api/v1/competency/assessments/{assessment_id}/synthesise", {})
    assert synthesised.status_code == 200, synthesised.content
    result = synthesised.json()["skills"][0]["result"]
    # level 3 exam all right: 3.5 (0.25); level 3 observation 4: 3.25 (0.35):
    # (0.875 + 1.1375) / 0.6 = 3.3542 → level 3
    assert result["score"] == pytest.approx(round(2.0125 / 0.6, 4))
    assert result["level"] == 3
    assert result["inputs"]["missing"] == ["interview", "kpi"]
    no_reason = post_json(
        lead,
        f"/api/v1/competency/assessments/{assessment_id}/grade/override",
        {"grade": "primary", "reason": ""},
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "reason"
    missing = post_json(
        lead,
        f"/api/v1/competency/assessments/{assessment_id}/results/{desk.cert.pk}/override",
        {"level": 1, "reason": "x"},
    )
    assert missing.status_code == 404

    # Reading an assessment costs the same whatever its size.
    for indicator in (desk.observe_2, desk.interview_3):
        Assessment.objects.filter(pk=assessment_id).update(state="open")
        rating_record(
            actor=desk.manager, assessment=Assessment.objects.get(pk=assessment_id),
            indicator=indicator, kind="interview", score=3,
        )  # fmt: skip
    with django_assert_max_num_queries(20):
        body = agent.get(f"/api/v1/competency/assessments/{assessment_id}").json()
    assert body["agent"] == desk.agent.username
    assert {row["kpi"] for row in body["kpi_evidence"]} >= {"first_contact_resolution"}
    assert api(desk.peer).get(f"/api/v1/competency/assessments/{assessment_id}").status_code == 404

    agreement = lead.get(f"/api/v1/competency/cycles/{cycle_id}/agreement")
    assert agreement.status_code == 200
    assert set(agreement.json()) == {
        "observation",
        "interview",
        "all",
    }
    assert agent.get(f"/api/v1/competency/cycles/{cycle_id}/agreement").status_code == 403
    listed = agent.get("/api/v1/competency/cycles").json()
    assert [c["id"] for c in listed] == [cycle_id]
    detail = agent.get(f"/api/v1/competency/cycles/{cycle_id}").json()
    assert [row["agent"] for row in detail["assessments"]] == [desk.agent.username]


def test_api_question_bank_and_lookups(desk):
    manager = api(desk.manager)
    created = post_json(
        manager,
        f"/api/v1/competency/skills/{desk.call.pk}/questions",
        {
            "level": 2,
            "text": "Which light shows DSL sync?",
            "choices": ["Power", "DSL"],
            "correct": 1,
        },
    )
    assert created.status_code == 201, created.content
    bad = post_json(
        manager,
        f"/api/v1/competency/skills/{desk.call.pk}/questions",
        {"level": 2, "text": "?", "choices": ["a", "b"], "correct": 2},
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "correct"
    listed = manager.get(f"/api/v1/competency/skills/{desk.call.pk}/questions").json()
    assert len(listed) == 7
    assert (
        api(desk.agent).get(f"/api/v1/competency/skills/{desk.call.pk}/questions").status_code
        == 403
    )
    for url in (
        "/api/v1/competency/cycles/0",
        "/api/v1/competency/assessments/99999999999999999999",
        "/api/v1/competency/exams/-1",
    ):
        assert manager.get(url).status_code in (404, 422)


def test_exam_draw_through_the_services_then_read_by_the_agent(desk):
    cycle = desk.cycle()
    assessment = assessment_open(actor=desk.lead, cycle=cycle, agent=desk.agent)
    attempt = exam_draw(actor=desk.lead, assessment=assessment, skill=desk.call, level=3, seed=2)
    body = api(desk.agent).get(f"/api/v1/competency/exams/{attempt.pk}").json()
    assert body["submitted_at"] is None
    assert all(item["right"] is None for item in body["items"])
    assessment_synthesise(actor=desk.lead, assessment=assessment)
    # Synthesised: the exam can no longer be handed in.
    late = post_json(
        api(desk.agent), f"/api/v1/competency/exams/{attempt.pk}/submit", {"answers": {}}
    )
    assert late.status_code == 409
