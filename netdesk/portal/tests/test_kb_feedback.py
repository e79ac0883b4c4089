""" "Was this helpful?" on a portal help article: a signed-in contact answers
yes or no with a comment (a second answer replaces the first); a reader who
is not signed in is asked to sign in; only published public articles."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from netdesk.knowledge.models import ArticleFeedback, ArticleState, Audience
from netdesk.portal.tests.test_kb import article
from netdesk.portal.tests.test_tickets import portal_contact, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact():
    return portal_contact()


@pytest.fixture
def portal(client, contact):
    return sign_in(client, contact)


def _feedback(article_id: int) -> str:
    return reverse("portal_kb_feedback", args=[article_id])


def test_a_contact_tells_us_an_article_helped_then_changes_their_mind(portal, contact):
    shown = article("Router light red: no internet")

    first = portal.post(_feedback(shown.pk), {"helpful": "yes", "comment": "  Worked!  "})
    page = portal.get(reverse("portal_kb_article", args=[shown.pk])).content.decode()
    portal.post(_feedback(shown.pk), {"helpful": "no", "comment": "It came back an hour later"})

    assert first.status_code == 302
    assert first["Location"] == reverse("portal_kb_article", args=[shown.pk])
    assert "You told us this article helped." in page
    (verdict,) = ArticleFeedback.objects.filter(article=shown)
    assert verdict.contact_id == contact.pk
    assert verdict.user_id is None
    assert verdict.helpful is False
    assert verdict.comment == "It came back an hour later"
    assert verdict.article_version == shown.version


def test_a_reader_not_signed_in_is_asked_to_sign_in(client):
    shown = article("Router light red: no internet")
    page = client.get(reverse("portal_kb_article", args=[shown.pk])).content.decode()

    posted = client.post(_feedback(shown.pk), {"helpful": "yes"})

    assert "Sign in to tell us" in page
    assert f"{reverse('portal_sign_in')}?next=%2Fportal%2Fkb%2F{shown.pk}%2F" in page
    assert posted.status_code == 302
    assert posted["Location"].startswith(reverse("portal_sign_in"))
    assert not ArticleFeedback.objects.exists()


@pytest.mark.parametrize(
    "extra",
    [
        {"audience": Audience.INTERNAL},
        {"state": ArticleState.DRAFT},
        {"state": ArticleState.REVIEW},
    ],
)
def test_no_feedback_on_an_article_customers_may_not_read(portal, extra):
    hidden = article("Router light red", **extra)

    answer = portal.post(_feedback(hidden.pk), {"helpful": "no"})

    assert answer.status_code == 404
    assert not ArticleFeedback.objects.exists()


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ({"helpful": "maybe"}, "Please answer yes or no."),
        ({}, "Please answer yes or no."),
        ({"helpful": "no", "comment": "x" * 501}, "longer than 500 characters"),
    ],
)
def test_a_wrong_answer_is_said_and_nothing_recorded(portal, data, said):
    shown = article("Router light red")

    answer = portal.post(_feedback(shown.pk), data, follow=True)

    assert answer.status_code == 200
    assert said in answer.content.decode()
    assert not ArticleFeedback.objects.exists()


def test_feedback_needs_the_forms_csrf_token(contact):
    shown = article("Router light red")
    browser = sign_in(Client(enforce_csrf_checks=True), contact)

    answer = browser.post(_feedback(shown.pk), {"helpful": "yes"})

    assert answer.status_code == 403
    assert not ArticleFeedback.objects.exists()


def test_reading_needs_no_feedback_form_get(portal):
    shown = article("Router light red")

    assert portal.get(_feedback(shown.pk)).status_code == 405
