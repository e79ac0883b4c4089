"""Recurring topics without an article: resolved tickets grouped by their
embeddings (written here directly) or by category, left out when an
article solved or resembles them; a fixed number of queries."""

from datetime import timedelta

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone

from netdesk.accounts.models import Role
from netdesk.knowledge.models import ArticleState, DocumentKind, SearchDocument
from netdesk.knowledge.selectors.topics import recurring_topics
from netdesk.knowledge.services.articles import article_create
from netdesk.knowledge.services.use import article_link
from netdesk.tickets.models import Category, Ticket
from netdesk.tickets.services import ticket_resolve
from tests import factories as f

pytestmark = pytest.mark.django_db

MODEL = "e5-test"
SIZE = 384


def _direction(seed: int) -> np.ndarray:
    """A random unit vector: two of them are nearly orthogonal."""
    vector = np.random.default_rng(seed).standard_normal(SIZE).astype(np.float32)
    return vector / np.linalg.norm(vector)


def _near(direction: np.ndarray, seed: int) -> np.ndarray:
    """A rewording of the same thing: cosine about 0.99 to `direction`."""
    vector = direction + 0.1 * _direction(1000 + seed)
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def _embed(kind: str, object_id: int, vector: np.ndarray) -> None:
    SearchDocument.objects.filter(kind=kind, object_id=object_id).update(
        embedding=vector.astype("<f4").tobytes(),
        embedding_model=MODEL,
        embedded_at=timezone.now(),
    )


def _resolved(agent, title: str, category: Category | None = None, **extra) -> Ticket:
    ticket = f.ticket(agent, title=title, description=extra.pop("description", ""), **extra)
    if category is not None:
        Ticket.objects.filter(pk=ticket.pk).update(category=category)
        ticket.refresh_from_db()
    return ticket_resolve(
        actor=agent,
        ticket=ticket,
        resolution_code="fixed",
        root_cause="customer_side",
        notes="Solved on the phone.",
    )


@pytest.fixture
def desk():
    agent = f.user()
    lead = f.user(Role.TEAM_LEAD)
    wifi, billing, covered = _direction(1), _direction(2), _direction(3)
    # Three tickets about the wifi dropping, two about a double charge.
    for n, title in enumerate(
        ["WLAN drops every evening", "Wifi keeps dropping", "WLAN disconnects at night"]
    ):
        _embed(DocumentKind.TICKET, _resolved(agent, title).pk, _near(wifi, n))
    for n, title in enumerate(["Charged twice in May", "Double charge on invoice"]):
        _embed(DocumentKind.TICKET, _resolved(agent, title).pk, _near(billing, 10 + n))
    # One alone: no topic.
    _embed(DocumentKind.TICKET, _resolved(agent, "Moving house").pk, _direction(4))
    # Two a published article resembles: covered, left out.
    article = article_create(
        actor=lead, title="Router LED red", body="Restart it.", state=ArticleState.PUBLISHED
    )
    _embed(DocumentKind.ARTICLE, article.pk, covered)
    for n in range(2):
        _embed(DocumentKind.TICKET, _resolved(agent, "Red LED").pk, _near(covered, 20 + n))
    # Two solved by a linked article: left out, embedded or not.
    for n in range(2):
        solved = _resolved(agent, "Wifi drops again")
        _embed(DocumentKind.TICKET, solved.pk, _near(wifi, 30 + n))
        article_link(actor=agent, article_id=article.pk, ticket_id=solved.pk)
    # Not embedded yet: grouped by category.
    slow = Category.objects.create(name="Slow speed test", ticket_type="fault")
    for title in ("Slow speed evenings", "Speed slow since upgrade", "Upload slow"):
        _resolved(agent, title, category=slow, description="Speed test shows 20 Mbit/s")
    return {"agent": agent, "lead": lead, "slow": slow}


def test_topics_grouped_by_meaning_and_category(desk, django_assert_num_queries):
    now = timezone.now()
    with django_assert_num_queries(3):
        report = recurring_topics(user=desk["lead"], since=now - timedelta(days=90), until=now)
    assert (report.considered, report.covered, report.without_meaning) == (11, 2, 3)
    assert report.capped is False
    shapes = [(t.size, t.grouped_by) for t in report.topics]
    assert shapes == [(3, "category"), (3, "meaning"), (2, "meaning")]
    by_category, wifi, billing = report.topics
    assert by_category.category == "Slow speed test"
    assert "slow" in by_category.words
    assert "speed" in by_category.words
    assert wifi.typical.title in {
        "WLAN drops every evening",
        "Wifi keeps dropping",
        "WLAN disconnects at night",
    }
    assert len(wifi.examples) == 2
    assert wifi.typical.reference not in [e.reference for e in wifi.examples]
    assert {billing.typical.title, billing.examples[0].title} == {
        "Charged twice in May",
        "Double charge on invoice",
    }


def test_queries_stay_fixed_with_more_tickets(desk, django_assert_num_queries):
    agent = desk["agent"]
    for n in range(10):
        _embed(DocumentKind.TICKET, _resolved(agent, f"Billing {n}").pk, _near(_direction(2), n))
    now = timezone.now()
    with django_assert_num_queries(3):
        report = recurring_topics(user=desk["lead"], since=now - timedelta(days=90), until=now)
    assert report.topics[0].size == 12


def test_the_period_bounds_the_tickets(desk):
    now = timezone.now()
    report = recurring_topics(
        user=desk["lead"], since=now - timedelta(days=30), until=now - timedelta(days=1)
    )
    assert report.considered == 0
    assert report.topics == []


def test_topics_page_rights_and_draft_button(client, desk):
    client.force_login(desk["lead"])
    page = client.get(reverse("kb_topics"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Recurring topics without an article" in html
    assert "Slow speed test" in html
    assert html.count(">Draft an article</button>") == 3
    refused = client.get(reverse("kb_topics"), {"days": "ninety"})
    assert refused.status_code == 422
    assert "days &#x27;ninety&#x27;" in refused.content.decode()
    assert reverse("kb_topics") in client.get(reverse("kb_article_list")).content.decode()
    client.force_login(desk["agent"])
    assert client.get(reverse("kb_topics")).status_code == 403
    assert reverse("kb_topics") not in client.get(reverse("kb_article_list")).content.decode()
