"""A customer answers the survey of their resolved ticket on its public page
(no sign-in), and a manager sees the answer counted on the satisfaction
report — in a real Chromium against a live server."""

from __future__ import annotations

import os

import pytest
from django.utils import timezone

from netdesk.accounts.models import Role
from netdesk.surveys.models import SurveyState
from netdesk.surveys.selectors import survey_of_ticket
from netdesk.surveys.services import survey_mark_sent, survey_schedule, survey_url
from netdesk.tickets import services
from tests import factories as f
from tests.browser.test_agent_flow import CHROMIUM, browser_page, default_desk, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM} to drive"),
]
__all__ = ["browser_page", "default_desk"]

COMMENT = "Fixed within the hour, thank you"


@pytest.mark.django_db(transaction=True)
def test_a_survey_answered_on_its_page_is_seen_on_the_report(live_server, browser_page):
    page = browser_page
    operator = f.user()
    manager = f.user(Role.SERVICE_DESK_MANAGER, username="floor-manager")
    owner = f.customer(name="Survey Customer", email="survey.customer@example.net")
    ticket = f.ticket(operator, owner, title="Router keeps rebooting")
    ticket = services.ticket_resolve(
        actor=operator, ticket=ticket, resolution_code="fixed", root_cause="hardware"
    )
    # Resolving schedules the survey; the sender marks it sent.
    survey = survey_of_ticket(ticket) or survey_schedule(ticket=ticket, now=timezone.now())
    assert survey is not None
    assert survey.state == SurveyState.SCHEDULED, survey.reason
    assert survey_mark_sent(survey=survey, now=timezone.now())

    page.goto(f"{live_server.url}{survey_url(survey)}")
    page.get_by_role("heading", name="How did we do?").wait_for()
    page.locator("input[name=rating][value='5']").check()
    page.locator("textarea[name=comment]").fill(COMMENT)
    page.get_by_role("button", name="Send").click()
    page.get_by_text("Thank you for your answer").first.wait_for()
    survey.refresh_from_db()
    assert (survey.state, survey.rating, survey.comment) == (SurveyState.ANSWERED, 5, COMMENT)

    log_in(page, live_server.url, manager.username)
    page.get_by_role("link", name="Satisfaction").click()
    page.wait_for_url(f"{live_server.url}/reports/csat/")
    responses = page.locator("[data-figure=responses]")
    responses.wait_for()
    assert responses.inner_text().strip() == "1"
    assert page.locator("[data-figure=csat]").inner_text().strip() == "100 %"
    comments = page.locator("#csat-comments")
    assert COMMENT in comments.inner_text()
    assert "Survey Customer" in comments.inner_text()
    # The comment links to its ticket.
    comments.get_by_role("link", name=ticket.reference).click()
    page.wait_for_url(f"{live_server.url}/tickets/{ticket.reference}/")
    page.get_by_text("Router keeps rebooting").first.wait_for()
