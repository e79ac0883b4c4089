"""The demo's surveys: one per resolved ticket of the history, in the
states the services would have left, answers only where sent."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from netdesk.demo.surveys import build_surveys
from netdesk.surveys.models import Survey, SurveyFollowUp, SurveyState
from netdesk.surveys.selectors import survey_token
from netdesk.surveys.services import survey_answer
from netdesk.surveys.tests.desk import Desk, resolved
from netdesk.tickets.models import Ticket
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_the_demo_writes_a_survey_per_resolved_ticket(desk: Desk) -> None:
    # Given a history of 80 tickets, 60 resolved over the last months
    rng = random.Random(7)
    now = timezone.now()
    tickets = [f.ticket(desk.agent, f.customer(email=f"c{n}@example.net")) for n in range(80)]
    for n, ticket in enumerate(tickets[:60]):
        created = now - timedelta(days=rng.uniform(1, 150))
        Ticket.objects.filter(pk=ticket.pk).update(
            status="resolved",
            created_at=created,
            resolved_at=created + timedelta(hours=rng.uniform(0.1, 72)),
            resolved_by=desk.agent,
            first_contact_resolved=n % 2 == 0,
        )
    # ... and one resolved by the live services during the load (its own survey)
    live = resolved(desk)
    tickets.append(live)
    created_ids = {"tickets.Ticket": [tickets[0].pk, tickets[-1].pk]}

    # When the demo stage runs (twice: the second finds them made)
    counts = build_surveys(random.Random(1), created_ids)
    assert build_surveys(random.Random(1), created_ids) == {}

    # Then each resolved ticket has one survey, the open ones none
    surveys = list(Survey.objects.exclude(ticket=live).order_by("ticket_id"))
    assert [s.ticket_id for s in surveys] == [t.pk for t in tickets[:60]]
    assert Survey.objects.filter(ticket=live).count() == 1
    assert sum(v for k, v in counts.items() if k != "follow_ups") == 60
    ids = [s.pk for s in surveys]
    assert created_ids["surveys.Survey"] == [min(ids), max(ids)]
    answered = [s for s in surveys if s.state == SurveyState.ANSWERED]
    assert answered
    assert all(1 <= (s.rating or 0) <= 5 for s in answered)
    assert all(s.sent_at and s.answered_at and s.answered_at > s.sent_at for s in answered)
    assert all(s.rating is None for s in surveys if s.state != SurveyState.ANSWERED)
    assert {s.state for s in surveys} <= {"answered", "expired", "sent", "scheduled"}
    low = {s.pk for s in answered if (s.rating or 5) <= 2}
    assert set(SurveyFollowUp.objects.values_list("survey_id", flat=True)) == low
    # ... and a sent one's link works like any other
    still_open = [s for s in surveys if s.state == SurveyState.SENT]
    for survey in still_open[:1]:
        survey_answer(token=survey_token(survey), rating=4)
