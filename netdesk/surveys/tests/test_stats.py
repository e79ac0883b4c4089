"""Satisfaction figures worked out by hand: response rate, mean, CSAT %, NPS,
per grouping, and the empty set."""

import secrets
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from netdesk.customers.models import Segment
from netdesk.surveys.models import Survey, SurveyState
from netdesk.surveys.stats import csat_counts, csat_figures, figures_of
from netdesk.tickets.models import Category
from tests import factories as f

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def survey(agent, *, state=SurveyState.ANSWERED, rating=None, nps=None, **extra):
    """A survey row as the survey services leave it (the ticket open, so
    nothing else schedules one for it)."""
    ticket = f.ticket(agent, extra.pop("customer", None) or f.customer())
    return Survey.objects.create(
        ticket=ticket,
        public_id=secrets.token_hex(16),
        customer=ticket.customer,
        group=extra.pop("group", ticket.group),
        agent=extra.pop("survey_agent", agent),
        category=extra.pop("category", None),
        segment=extra.pop("segment", ticket.customer.segment),
        channel="email",
        state=state,
        rating=rating,
        nps=nps,
        resolved_at=T0,
        created_at=T0,
        **extra,
    )


def only(rows):
    assert len(rows) == 1
    return rows[0]


def test_the_figures_of_a_hand_made_set():
    agent = f.user()
    for rating in (5, 4, 3, 1):
        survey(agent, rating=rating)
    survey(agent, state=SurveyState.SENT)
    survey(agent, state=SurveyState.EXPIRED)
    survey(agent, state=SurveyState.SCHEDULED)  # never asked: not counted
    survey(agent, state=SurveyState.SUPPRESSED)
    row = only(csat_figures(surveys=Survey.objects.all(), by=None))
    assert row == {
        "key": None,
        "label": "All",
        "sent": 6,
        "responses": 4,
        "response_rate": round(4 / 6, 4),
        "mean_rating": 3.25,
        "satisfied": 2,
        "csat": 0.5,
        "nps_answers": 0,
        "nps": None,
    }


def test_nps_is_promoters_minus_detractors_in_points_of_its_answers():
    agent = f.user()
    for nps in (10, 9, 9, 8, 7, 6, 0):
        survey(agent, rating=4, nps=nps, asks_nps=True)
    survey(agent, rating=5)  # NPS not asked: not in its answers
    row = only(csat_figures(surveys=Survey.objects.all(), by=None))
    # 3 promoters, 2 detractors of 7 answers.
    assert (row["nps_answers"], row["nps"]) == (7, round(100 * 1 / 7, 1))
    assert row["csat"] == 1.0


def test_an_empty_set_gives_zeros_overall_and_no_rows_per_value():
    row = only(csat_figures(surveys=Survey.objects.none(), by=None))
    assert (row["sent"], row["responses"], row["csat"], row["mean_rating"]) == (0, 0, None, None)
    assert csat_figures(surveys=Survey.objects.all(), by="group") == []


def test_grouped_by_agent_category_and_segment_with_a_row_for_none():
    alice = f.user(username="alice-csat")
    bob = f.user(username="bob-csat")
    slow = Category.objects.create(name="Slow line", ticket_type="fault")
    survey(alice, rating=5, category=slow, customer=f.customer(Segment.BUSINESS))
    survey(alice, rating=2, category=slow)
    survey(bob, rating=4)
    survey(bob, rating=3, survey_agent=None)
    by_agent = csat_figures(surveys=Survey.objects.all(), by="agent")
    assert [(r["label"], r["responses"], r["csat"]) for r in by_agent] == [
        ("alice-csat", 2, 0.5),
        ("bob-csat", 1, 1.0),
        ("—", 1, 0.0),
    ]
    by_category = csat_figures(surveys=Survey.objects.all(), by="category")
    assert [(r["key"], r["label"], r["mean_rating"]) for r in by_category] == [
        (slow.pk, "Slow line", 3.5),
        (None, "—", 3.5),
    ]
    by_segment = csat_figures(surveys=Survey.objects.all(), by="segment")
    assert {r["key"]: r["responses"] for r in by_segment} == {
        Segment.BUSINESS: 1,
        Segment.RESIDENTIAL: 3,
    }
    assert Segment.BUSINESS.label in [r["label"] for r in by_segment]


@pytest.mark.parametrize("by", [None, "group", "agent", "category", "segment"])
def test_one_query_per_call_whatever_the_rows(by):
    agent = f.user()
    survey(agent, rating=5)
    with CaptureQueriesContext(connection) as few:
        csat_figures(surveys=Survey.objects.all(), by=by)
    for n in range(6):
        survey(
            f.user(),
            rating=1 + n % 5,
            category=Category.objects.create(name=f"C{n}", ticket_type="fault"),
        )
    with CaptureQueriesContext(connection) as many:
        rows = csat_figures(surveys=Survey.objects.all(), by=by)
    assert len(few) == len(many) == 1
    assert sum(r["responses"] for r in rows) == 7


def test_the_counts_grouped_another_way_give_the_same_figures():
    agent = f.user()
    for rating in (5, 4, 1):
        survey(agent, rating=rating)
    survey(agent, state=SurveyState.SENT)
    (row,) = Survey.objects.values("agent").annotate(**csat_counts()).order_by()
    assert figures_of(row) == {
        k: v
        for k, v in csat_figures(surveys=Survey.objects.all(), by=None)[0].items()
        if k not in ("key", "label")
    }
