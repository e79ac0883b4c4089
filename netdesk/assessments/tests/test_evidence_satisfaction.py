"""Satisfaction as KPI evidence: the CSAT of the answered surveys of tickets
the agent resolved in the period, case-mix standardised like the other
shares, with the mean rating and the responses; too few answers shown, not
used."""

import secrets
from datetime import UTC, datetime, timedelta

import pytest

from netdesk.assessments.evidence import MIN_RESPONSES, kpi_evidence, kpi_named
from netdesk.routing.models import RoutingDecision
from netdesk.surveys.models import Survey, SurveyState
from tests import factories as f

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
START, END = T0 - timedelta(days=1), T0 + timedelta(days=10)


def survey(agent, rating, *, state=SurveyState.ANSWERED, resolved_at=T0, channel="phone"):
    ticket = f.ticket(agent, channel=channel)
    return Survey.objects.create(
        ticket=ticket,
        public_id=secrets.token_hex(16),
        customer=ticket.customer,
        group=ticket.group,
        agent=agent,
        segment=ticket.customer.segment,
        channel="email",
        state=state,
        rating=rating if state == SurveyState.ANSWERED else None,
        resolved_at=resolved_at,
        created_at=resolved_at,
    )


def satisfaction_of(*agents, **options):
    ids = [a.pk for a in agents]
    evidence = kpi_evidence(agent_ids=ids, start=START, end=END, **options)
    return [evidence[i]["customer_satisfaction"] for i in ids]


def test_csat_mean_and_responses_of_the_agents_surveys():
    a, b = f.user(), f.user()
    for rating in (5, 5, 4, 2, 1, 4):
        survey(a, rating)
    for rating in (5, 5, 5, 5, 3):
        survey(b, rating)
    survey(a, None, state=SurveyState.SUPPRESSED)  # not an answer
    survey(a, None, state=SurveyState.EXPIRED)
    survey(a, 1, resolved_at=T0 + timedelta(days=30))  # outside the period
    got_a, got_b = satisfaction_of(a, b)
    assert got_a.tickets == 6
    assert got_a.observed == pytest.approx(4 / 6)
    assert got_a.note.startswith("mean rating 3.5 of 5 over 6 responses")
    assert got_b.observed == pytest.approx(4 / 5)
    # One cell (phone, no category, the default priority): expected is the
    # desk's rate, 8 of 11.
    assert got_a.expected == pytest.approx(8 / 11)
    assert got_a.ratio == pytest.approx((4 / 6) / (8 / 11))
    assert got_a.adjusted is not None
    assert got_a.higher_is_better


def test_too_few_responses_are_shown_but_not_used():
    a = f.user()
    for rating in (5,) * (MIN_RESPONSES - 1):
        survey(a, rating)
    (got,) = satisfaction_of(a)
    assert got.tickets == MIN_RESPONSES - 1
    assert got.observed == 1.0
    assert (got.shrunk_ratio, got.adjusted) == (None, None)
    assert got.note.startswith("not enough responses")


def test_tickets_outside_the_agents_level_can_be_left_out():
    a = f.user()
    surveys = [survey(a, rating) for rating in (1, 1, 5, 5, 5, 5, 5)]
    for low in surveys[:2]:
        RoutingDecision.objects.create(
            ticket=low.ticket,
            chosen=a,
            within_level=False,
            decided_at=T0,
            policy="least_sufficient",
        )
    (everything,) = satisfaction_of(a)
    (within,) = satisfaction_of(a, exclude_outside_level=True)
    assert (everything.tickets, within.tickets) == (7, 5)
    assert within.observed == 1.0


def test_an_indicator_may_name_the_csat_figure():
    assert kpi_named("csat") == "customer_satisfaction"
    assert kpi_named("customer_satisfaction") == "customer_satisfaction"
