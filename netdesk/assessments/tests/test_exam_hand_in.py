"""Handing in a one-shot exam with questions left blank asks first (on the
server, so it works without JavaScript), keeping the answers given; "My
skills" tells the agent an exam is waiting for them."""

from __future__ import annotations

import pytest
from django.test import Client

from netdesk.assessments.models import ExamAttempt
from netdesk.assessments.services.assessments import assessment_open
from netdesk.assessments.services.exams import exam_draw
from netdesk.assessments.tests.test_assessment import Desk

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk() -> Desk:
    return Desk()


@pytest.fixture
def attempt(desk: Desk) -> ExamAttempt:
    assessment = assessment_open(actor=desk.lead, cycle=desk.cycle(), agent=desk.agent)
    return exam_draw(actor=desk.lead, assessment=assessment, skill=desk.call, level=3, seed=2)


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_blank_answers_ask_before_handing_in_and_keep_what_was_chosen(desk, attempt):
    questions = list(attempt.questions.order_by("id"))
    assert len(questions) >= 2
    agent = browser(desk.agent)
    url = f"/competency/exams/{attempt.pk}/"
    first = questions[0]

    # When the agent hands in with only the first question answered
    page = agent.post(url, {f"q-{first.pk}": "1"})

    # Then nothing is handed in: the exam comes back with the answer kept and a question
    blank = len(questions) - 1
    attempt.refresh_from_db()
    assert page.status_code == 200
    assert attempt.submitted_at is None
    text = page.content.decode()
    assert f"{blank} question{'s' if blank > 1 else ''} unanswered" in text
    assert f'name="q-{first.pk}" value="1" checked' in text
    assert f"Hand in with {blank} unanswered" in text
    assert 'name="confirm_blank"' in text

    # When they confirm, then it is handed in with the blanks counted wrong
    done = agent.post(url, {f"q-{first.pk}": "1", "confirm_blank": str(blank)})
    assert done.status_code == 302
    attempt.refresh_from_db()
    assert attempt.submitted_at is not None
    assert attempt.answers == {str(first.pk): 1}


def test_an_exam_answered_in_full_is_handed_in_at_once(desk, attempt):
    answers = {f"q-{q.pk}": "0" for q in attempt.questions.all()}
    assert browser(desk.agent).post(f"/competency/exams/{attempt.pk}/", answers).status_code == 302
    attempt.refresh_from_db()
    assert attempt.submitted_at is not None


def test_my_skills_shows_the_exam_waiting_until_it_is_handed_in(desk, attempt):
    agent = browser(desk.agent)
    page = agent.get("/competency/me/").content.decode()
    assert "An exam is waiting for you" in page
    assert f'href="/competency/exams/{attempt.pk}/"' in page
    assert desk.call.code in page

    answers = {f"q-{q.pk}": "0" for q in attempt.questions.all()}
    agent.post(f"/competency/exams/{attempt.pk}/", answers)
    assert "An exam is waiting for you" not in agent.get("/competency/me/").content.decode()
    # Nobody else is told of it on their own page.
    assert (
        "An exam is waiting for you"
        not in browser(desk.lead).get("/competency/me/").content.decode()
    )
