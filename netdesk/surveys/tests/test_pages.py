"""The public survey page, the API's view of a ticket's survey, the
managers' pages, and the whole way: resolve → mail → answer."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from netdesk.accounts.models import Role
from netdesk.channels.models import OutboundKind, OutboundMessage
from netdesk.channels.tasks import mail_tick
from netdesk.customers.models import Customer
from netdesk.surveys.models import GroupSampling, Survey, SurveyFollowUp, SurveySettings
from netdesk.surveys.selectors import survey_token
from netdesk.surveys.services import survey_answer, survey_mark_sent, survey_url
from netdesk.surveys.tests.desk import Desk, resolved
from tests import factories as f

pytestmark = pytest.mark.django_db


def sent(desk: Desk, customer: Customer | None = None) -> Survey:
    survey = Survey.objects.get(ticket=resolved(desk, customer))
    survey_mark_sent(survey=survey, now=timezone.now())
    survey.refresh_from_db()
    return survey


def test_the_page_shows_the_ratings_and_takes_an_answer(desk: Desk) -> None:
    survey = sent(desk)
    client = Client(enforce_csrf_checks=True)
    page = client.get(survey_url(survey))
    html = page.content.decode()
    assert page.status_code == 200
    for value, words in ((1, "Very poor"), (3, "Fair"), (5, "Excellent")):
        assert f'name="rating" value="{value}"' in html
        assert words in html
    assert 'name="nps"' not in html
    assert "<script" not in html
    assert ">Send</button>" in html

    # Without the form token the answer is refused
    assert client.post(survey_url(survey), {"rating": "4"}).status_code == 403

    token = client.cookies["csrftoken"].value
    answered = client.post(
        survey_url(survey),
        {"rating": "4", "comment": "Fixed fast.", "csrfmiddlewaretoken": token},
    )
    assert answered.status_code == 302
    survey.refresh_from_db()
    assert (survey.state, survey.rating, survey.comment) == ("answered", 4, "Fixed fast.")
    thanks = client.get(answered["Location"]).content.decode()
    assert "Thank you for your answer." in thanks
    assert survey.editable_until is not None
    until = timezone.localtime(survey.editable_until)
    assert "You can change your answer until" in thanks
    assert f">{until:%H:%M}</time>" in thanks
    assert 'value="4" required checked' in thanks


def test_a_bad_rating_is_shown_on_the_page(desk: Desk) -> None:
    survey = sent(desk)
    page = Client().post(survey_url(survey), {"rating": "9", "comment": "kept"})
    assert page.status_code == 422
    html = page.content.decode()
    assert "Choose a rating from 1 (very poor) to 5 (excellent)." in html
    assert ">kept</textarea>" in html


def test_a_tampered_token_is_a_friendly_404(desk: Desk) -> None:
    survey = sent(desk)
    url = survey_url(survey)
    page = Client().get(url.replace(".", ".x", 1))
    assert page.status_code == 404
    assert "We cannot find this survey" in page.content.decode()
    assert Client().post(url[:-3] + "/", {"rating": "5"}).status_code == 404
    survey.refresh_from_db()
    assert survey.rating is None


def test_answers_are_throttled_per_address(desk: Desk, settings) -> None:
    settings.NETDESK_SURVEY_ANSWER_RATE = "2/hour"
    survey = sent(desk)
    client = Client()
    for rating in ("3", "4"):
        assert client.post(survey_url(survey), {"rating": rating}).status_code == 302
    refused = client.post(survey_url(survey), {"rating": "5"})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    survey.refresh_from_db()
    assert survey.rating == 4


def test_an_expired_survey_says_so(desk: Desk) -> None:
    survey = sent(desk)
    Survey.objects.filter(pk=survey.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    html = Client().get(survey_url(survey)).content.decode()
    assert "This survey has expired" in html
    assert 'name="rating"' not in html


def test_nps_is_asked_when_the_desk_asks_it(desk: Desk) -> None:
    SurveySettings.objects.create(ask_nps=True)
    survey = sent(desk)
    html = Client().get(survey_url(survey)).content.decode()
    assert all(f'name="nps" value="{n}"' in html for n in range(11))
    Client().post(survey_url(survey), {"rating": "5", "nps": "9"})
    survey.refresh_from_db()
    assert (survey.rating, survey.nps) == (5, 9)


def api(user) -> Client:
    return Client(headers={"Authorization": f"Bearer {f.token_for(user)}"})


def test_the_api_gives_the_state_and_link(desk: Desk) -> None:
    ticket = resolved(desk)
    answer = api(desk.agent).get(f"/api/v1/tickets/{ticket.reference}/survey")
    assert answer.status_code == 200
    body = answer.json()
    survey = Survey.objects.get(ticket=ticket)
    assert body["state"] == "scheduled"
    assert body["url"] == f"/survey/{survey_token(survey)}/"
    assert body["scheduled_for"] is not None
    assert body["rating"] is None

    survey_mark_sent(survey=survey, now=timezone.now())
    survey_answer(token=survey_token(survey), rating=2, comment="Slow.")
    body = api(desk.agent).get(f"/api/v1/tickets/{ticket.reference}/survey").json()
    assert (body["state"], body["rating"], body["comment"]) == ("answered", 2, "Slow.")
    assert body["answered_at"] is not None
    assert body["follow_up"] == "open"


def test_the_api_says_why_a_survey_was_suppressed_and_gives_no_link(desk: Desk) -> None:
    ticket = resolved(desk, f.customer(email=""))
    body = api(desk.agent).get(f"/api/v1/tickets/{ticket.reference}/survey").json()
    assert body["state"] == "suppressed"
    assert body["reason"].startswith("no address")
    assert body["url"] is None


def test_a_ticket_without_a_survey_is_a_clear_404(desk: Desk) -> None:
    ticket = f.ticket(desk.agent, desk.customer)
    answer = api(desk.agent).get(f"/api/v1/tickets/{ticket.reference}/survey")
    assert answer.status_code == 404
    assert "has no survey" in answer.json()["detail"]


def test_an_account_manager_sees_only_their_accounts_surveys(desk: Desk) -> None:
    manager = f.user(Role.ACCOUNT_MANAGER)
    theirs = resolved(desk, f.customer(email="a@example.net", account_manager=manager))
    other = resolved(desk, f.customer(email="b@example.net"))
    client = api(manager)
    assert client.get(f"/api/v1/tickets/{theirs.reference}/survey").status_code == 200
    assert client.get(f"/api/v1/tickets/{other.reference}/survey").status_code == 404


def test_the_api_costs_the_same_queries_answered_or_not(desk: Desk) -> None:
    client = api(desk.agent)
    first = resolved(desk)
    second = sent(desk, f.customer(email="second@example.net"))
    survey_answer(token=survey_token(second), rating=1)
    client.get(f"/api/v1/tickets/{first.reference}/survey")  # the token's first use
    counts = []
    for reference in (first.reference, second.ticket.reference):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/api/v1/tickets/{reference}/survey").status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_the_settings_page_is_for_managers(desk: Desk) -> None:
    lead, manager = Client(), Client()
    lead.force_login(desk.lead)
    manager.force_login(desk.manager)
    assert lead.get("/surveys/settings/").status_code == 403
    page = manager.get("/surveys/settings/")
    assert page.status_code == 200
    assert "Sample per group" in page.content.decode()
    saved = manager.post(
        "/surveys/settings/",
        {
            "enabled": "on",
            "delay_minutes": "30",
            "customer_cap_days": "7",
            "expiry_days": "10",
            "incident_mode": "none",
            "low_rating_max": "1",
        },
    )
    assert saved.status_code == 302
    row = SurveySettings.objects.get()
    assert (row.delay_minutes, row.customer_cap_days, row.incident_mode) == (30, 7, "none")
    manager.post("/surveys/settings/", {"group": str(desk.group.pk), "percent": "25"})
    assert GroupSampling.objects.get(group=desk.group).percent == 25


def test_the_follow_up_pages_list_and_close_a_low_rating(desk: Desk) -> None:
    survey = sent(desk)
    survey_answer(token=survey_token(survey), rating=1, comment="Nobody called back.")
    follow_up = SurveyFollowUp.objects.get(survey=survey)
    lead = Client()
    lead.force_login(desk.lead)
    listing = lead.get("/surveys/follow-ups/").content.decode()
    assert survey.ticket.reference in listing
    assert "Nobody called back." in listing
    page = lead.get(f"/surveys/follow-ups/{follow_up.pk}/")
    assert page.status_code == 200
    assert lead.post(f"/surveys/follow-ups/{follow_up.pk}/", {"note": ""}).status_code == 422
    done = lead.post(f"/surveys/follow-ups/{follow_up.pk}/", {"note": "Called; apologised."})
    assert done.status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.state == "done"
    agent = Client()
    agent.force_login(desk.agent)
    assert agent.get("/surveys/follow-ups/").status_code == 403


def test_the_follow_up_list_costs_fixed_queries(desk: Desk) -> None:
    lead = Client()
    lead.force_login(desk.lead)

    def answer_low() -> None:
        survey = Survey.objects.get(ticket=resolved(desk, f.customer(email="x@example.net")))
        survey_mark_sent(survey=survey, now=timezone.now())
        survey_answer(token=survey_token(survey), rating=1)

    answer_low()
    lead.get("/surveys/follow-ups/")
    with CaptureQueriesContext(connection) as one:
        lead.get("/surveys/follow-ups/")
    for _ in range(4):
        answer_low()
    with CaptureQueriesContext(connection) as five:
        page = lead.get("/surveys/follow-ups/")
    assert page.content.decode().count("1 of 5") == 5
    assert len(five.captured_queries) == len(one.captured_queries)


def test_the_ticket_page_shows_the_survey(desk: Desk) -> None:
    survey = sent(desk)
    survey_answer(token=survey_token(survey), rating=5, comment="Great.")
    agent = Client()
    agent.force_login(desk.agent)
    html = agent.get(f"/tickets/{survey.ticket.reference}/").content.decode()
    assert 'id="survey-panel"' in html
    assert "Rated <strong>5 of 5</strong>" in html


def test_end_to_end_resolve_mail_answer(desk: Desk, settings, mail_settings) -> None:
    # Given a desk that sends surveys at once, through a real SMTP server
    settings.NETDESK_SURVEY_BASE_URL = "https://desk.example.net"
    SurveySettings.objects.create(delay_minutes=0)

    # When a ticket is resolved and the mail tick runs
    ticket = resolved(desk)
    mail_tick.call()

    # Then one survey mail reached the customer with the page's link
    [queued] = OutboundMessage.objects.filter(kind=OutboundKind.SURVEY)
    assert queued.state == "sent"
    [delivered] = mail_settings.messages
    assert delivered.rcpt_tos == ("jane@example.net",)
    mail = message_from_bytes(delivered.raw, policy=policy.default)
    assert mail["Auto-Submitted"] == "auto-generated"
    body = mail.get_body(("plain",))
    assert body is not None
    link = re.search(r"https://desk\.example\.net(/survey/[^/\s]+/)", body.get_content())
    assert link is not None
    # ... the customer opens it and answers
    client = Client()
    assert client.get(link.group(1)).status_code == 200
    assert client.post(link.group(1), {"rating": "5", "comment": "Thanks!"}).status_code == 302
    # ... and the survey is answered, as the API tells
    body_json = api(desk.agent).get(f"/api/v1/tickets/{ticket.reference}/survey").json()
    assert (body_json["state"], body_json["rating"], body_json["comment"]) == (
        "answered",
        5,
        "Thanks!",
    )
