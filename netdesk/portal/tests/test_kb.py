"""The portal's help articles: only published public articles, by list, by
id, by search, by file and in the new-ticket suggestions; never an internal,
draft, in-review or retired article, a resolved ticket or a macro."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from netdesk.knowledge.models import Article, ArticleState, Audience, DocumentKind
from netdesk.knowledge.search import embeddings_refresh_all
from netdesk.knowledge.services.articles import article_create, article_state_set
from netdesk.knowledge.services.attachments import article_attachment_add
from netdesk.knowledge.services.documents import document_put
from netdesk.portal.tests.test_tickets import PDF, portal_contact, sign_in

pytestmark = pytest.mark.django_db

# A 1×1 PNG: what the desk's type check accepts as an image.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
WORDS = "router light red"


def article(
    title: str,
    *,
    audience: str = Audience.PUBLIC,
    state: str = ArticleState.PUBLISHED,
    language: str = "en",
    body: str = "",
) -> Article:
    return article_create(
        actor=None,
        title=title,
        body=body or f"{title}. Unplug the router for ten seconds and plug it in again.",
        audience=audience,
        language=language,
        state=state,
    )


@pytest.fixture
def hidden() -> list[Article]:
    """Articles about the red router light no customer may read."""
    internal = article("Router light red: reprovision the line", audience=Audience.INTERNAL)
    draft = article("Router light red draft", state=ArticleState.DRAFT)
    review = article("Router light red in review", state=ArticleState.REVIEW)
    retired = article("Router light red retired")
    article_state_set(actor=None, article_id=retired.pk, state=ArticleState.RETIRED)
    return [internal, draft, review, retired]


@pytest.fixture
def public() -> Article:
    return article("Router light red: no internet")


def _titles(page: str, articles: list[Article]) -> list[str]:
    return [a.title for a in articles if a.title in page]


def test_the_list_shows_published_public_articles_only(client, public, hidden):
    page = client.get(reverse("portal_kb")).content.decode()

    assert public.title in page
    assert _titles(page, hidden) == []


def test_a_search_finds_the_public_article_never_the_others(client, public, hidden):
    answer = client.get(reverse("portal_kb"), {"q": WORDS})
    page = answer.content.decode()

    assert answer.status_code == 200
    assert public.title in page
    assert _titles(page, hidden) == []


def test_a_search_never_shows_tickets_or_macros(client, public):
    # Even a ticket or macro document marked public is never a help article.
    for kind in (DocumentKind.TICKET, DocumentKind.MACRO):
        document_put(
            kind=kind,
            object_id=9000,
            title=f"Router light red {kind} secret",
            body="router light red",
            audience=Audience.PUBLIC,
        )

    page = client.get(reverse("portal_kb"), {"q": WORDS}).content.decode()
    suggested = client.get(reverse("portal_kb_suggest"), {"q": WORDS}).json()

    assert "secret" not in page
    assert [item["id"] for item in suggested["items"]] == [public.pk]


def test_an_article_page_opens_for_a_public_article_only(client, public, hidden):
    page = client.get(reverse("portal_kb_article", args=[public.pk]))

    assert page.status_code == 200
    assert "Unplug the router" in page.content.decode()
    for other in hidden:
        assert client.get(reverse("portal_kb_article", args=[other.pk])).status_code == 404
    assert client.get(reverse("portal_kb_article", args=[999_999])).status_code == 404


def test_an_article_made_internal_is_gone_at_once(client, public):
    Article.objects.filter(pk=public.pk).update(audience=Audience.INTERNAL)
    # Its search document still says public: the article itself decides.
    suggested = client.get(reverse("portal_kb_suggest"), {"q": WORDS}).json()

    assert suggested["items"] == []
    assert client.get(reverse("portal_kb_article", args=[public.pk])).status_code == 404


def test_markdown_is_rendered_safely(client):
    shown = article(
        "Resetting the router",
        body="# Steps\n\n1. **Hold** reset\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))",
    )

    page = client.get(reverse("portal_kb_article", args=[shown.pk])).content.decode()

    assert "<strong>Hold</strong>" in page
    assert "<script>alert(1)" not in page
    assert 'href="javascript' not in page


def _with_image(title: str, **extra) -> tuple[Article, int]:
    shown = article(title, body="See the lights: ![the lights](attachment:lights.png)", **extra)
    upload = SimpleUploadedFile("lights.png", PNG, content_type="image/png")
    attachment = article_attachment_add(actor=None, article_id=shown.pk, upload=upload)
    return shown, attachment.pk


def test_a_public_articles_image_is_served_through_the_portal(client):
    shown, attachment_id = _with_image("The lights of the router")
    url = reverse("portal_kb_file", args=[shown.pk, attachment_id])

    page = client.get(reverse("portal_kb_article", args=[shown.pk])).content.decode()
    image = client.get(url)

    assert f'src="{url}"' in page
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"
    assert image["Content-Disposition"].startswith("inline;")
    assert image.content == PNG


def test_a_public_articles_other_files_are_listed_and_downloaded(client):
    shown = article("Router manual")
    upload = SimpleUploadedFile("manual.pdf", PDF, content_type="application/pdf")
    attachment = article_attachment_add(actor=None, article_id=shown.pk, upload=upload)
    url = reverse("portal_kb_file", args=[shown.pk, attachment.pk])

    page = client.get(reverse("portal_kb_article", args=[shown.pk])).content.decode()
    download = client.get(url)

    assert f'href="{url}"' in page
    assert "manual.pdf" in page
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert download.content == PDF


@pytest.mark.parametrize(
    "extra",
    [
        {"audience": Audience.INTERNAL},
        {"state": ArticleState.DRAFT},
        {"state": ArticleState.REVIEW},
    ],
)
def test_files_of_other_articles_are_not_found(client, extra):
    shown, attachment_id = _with_image("Lights", **extra)
    public_one, public_file = _with_image("Lights too")

    assert client.get(reverse("portal_kb_file", args=[shown.pk, attachment_id])).status_code == 404
    # A public article's id with another article's file: not found either.
    crossed = reverse("portal_kb_file", args=[public_one.pk, attachment_id])
    assert client.get(crossed).status_code == 404
    assert (
        client.get(reverse("portal_kb_file", args=[public_one.pk, public_file])).status_code == 200
    )


def test_a_retired_articles_file_is_not_found(client):
    shown, attachment_id = _with_image("Old lights")
    article_state_set(actor=None, article_id=shown.pk, state=ArticleState.RETIRED)

    assert client.get(reverse("portal_kb_file", args=[shown.pk, attachment_id])).status_code == 404


def test_the_readers_language_comes_first(client):
    english = article("Router light red: what it means", language="en")
    german = article("Router-Lampe leuchtet rot (router light red)", language="de")

    listed = client.get(reverse("portal_kb"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    found = client.get(reverse("portal_kb_suggest"), {"q": WORDS}, HTTP_ACCEPT_LANGUAGE="de").json()
    in_english = client.get(
        reverse("portal_kb_suggest"), {"q": WORDS}, HTTP_ACCEPT_LANGUAGE="en"
    ).json()

    assert listed.index(german.title) < listed.index(english.title)
    assert found["items"][0]["id"] == german.pk
    assert in_english["items"][0]["id"] == english.pk


def test_a_signed_in_customer_sees_their_own_language_first(client):
    english = article("Router light red: what it means", language="en")
    german = article("Router-Lampe leuchtet rot (router light red)", language="de")
    contact = portal_contact()
    contact.customer.language = "de"
    contact.customer.save(update_fields=["language"])
    sign_in(client, contact)

    found = client.get(reverse("portal_kb_suggest"), {"q": WORDS}, HTTP_ACCEPT_LANGUAGE="en").json()

    assert [item["id"] for item in found["items"]] == [german.pk, english.pk]


def test_suggestions_answer_with_links_to_the_portals_pages(client, public):
    answer = client.get(reverse("portal_kb_suggest"), {"q": "no internet, router light red"})

    assert answer.status_code == 200
    (item,) = answer.json()["items"]
    assert item["id"] == public.pk
    assert item["title"] == public.title
    assert item["url"] == reverse("portal_kb_article", args=[public.pk])
    assert "Unplug" in item["snippet"]


@pytest.mark.parametrize("words", ["", "   "])
def test_no_words_suggest_nothing(client, public, words):
    answer = client.get(reverse("portal_kb_suggest"), {"q": words})

    assert answer.json() == {"items": []}


def test_too_long_a_question_is_refused_naming_q(client):
    too_long = "router " * 400

    suggested = client.get(reverse("portal_kb_suggest"), {"q": too_long})
    searched = client.get(reverse("portal_kb"), {"q": too_long})

    assert suggested.status_code == 422
    assert suggested["Content-Type"] == "application/problem+json"
    assert suggested.json()["errors"][0]["field"] == "q"
    assert searched.status_code == 422
    assert "at most 2,000 characters" in searched.content.decode()


@pytest.mark.parametrize(
    "words", ['"router', "light AND NEAR(", "*", "🙂 red", "a' OR 1=1 --", "-", "red)"]
)
def test_odd_words_are_searched_without_error(client, public, words):
    assert client.get(reverse("portal_kb"), {"q": words}).status_code == 200
    assert client.get(reverse("portal_kb_suggest"), {"q": words}).status_code == 200


def test_a_nul_in_the_words_is_refused_not_an_error(client, public):
    # The desk refuses NUL in any request (400) before a view reads it.
    assert client.get(reverse("portal_kb"), {"q": "\x00router"}).status_code == 400
    assert client.get(reverse("portal_kb_suggest"), {"q": "\x00router"}).status_code == 400


def _queries_of(client: Client, path: str, **data: str) -> tuple[int, dict[str, Any]]:
    client.get(path, data)  # the search's caches filled once
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(path, data)
    return len(queries), answer.json() if answer["Content-Type"].endswith("json") else {}


def test_searches_read_a_fixed_number_of_queries(client):
    article("Router light red number 0")
    few, first = _queries_of(client, reverse("portal_kb_suggest"), q=WORDS)
    for number in range(1, 12):
        article(f"Router light red number {number}")
    many, second = _queries_of(client, reverse("portal_kb_suggest"), q=WORDS)
    listed_few, _ = _queries_of(client, reverse("portal_kb"), q=WORDS)
    article("Router light red number 12")
    listed_many, _ = _queries_of(client, reverse("portal_kb"), q=WORDS)

    assert (len(first["items"]), len(second["items"])) == (1, 5)
    # PostgreSQL's search also reads the index's statistics and the words'
    # stems, and sets the planner's choice for its query and back.
    assert few == many <= (6 if connection.vendor == "sqlite" else 11)
    assert listed_few == listed_many


def test_searches_are_throttled_per_address(settings, public):
    settings.NETDESK_PORTAL_KB_RATE = "3/minute"
    first, second = Client(REMOTE_ADDR="192.0.2.1"), Client(REMOTE_ADDR="192.0.2.2")

    answers = [first.get(reverse("portal_kb_suggest"), {"q": WORDS}) for _ in range(3)]
    refused = first.get(reverse("portal_kb_suggest"), {"q": WORDS})
    page = first.get(reverse("portal_kb"), {"q": WORDS})

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert page.status_code == 429
    assert "too many searches" in page.content.decode()
    # Reading is not counted; another address is counted on its own.
    assert first.get(reverse("portal_kb_article", args=[public.pk])).status_code == 200
    assert second.get(reverse("portal_kb_suggest"), {"q": WORDS}).status_code == 200


def test_a_signed_in_contact_is_counted_apart_from_their_address(settings, public):
    settings.NETDESK_PORTAL_KB_RATE = "1/minute"
    neighbour = Client(REMOTE_ADDR="198.51.100.7")
    customer = sign_in(Client(REMOTE_ADDR="198.51.100.7"), portal_contact())

    assert neighbour.get(reverse("portal_kb_suggest"), {"q": WORDS}).status_code == 200
    # Behind the same address (carrier-grade NAT), the customer still may search.
    assert customer.get(reverse("portal_kb_suggest"), {"q": WORDS}).status_code == 200
    assert customer.get(reverse("portal_kb_suggest"), {"q": WORDS}).status_code == 429


def test_a_german_question_finds_the_english_public_article_by_meaning(client):
    restarts = article(
        "Router keeps restarting",
        body="If the router restarts by itself every few minutes, replace the power adapter.",
    )
    article(
        "Change the billing address on an invoice",
        body="Customers change the postal address for invoices in the self-service portal.",
    )
    article(
        "Router restarts: firmware rollback",
        body="Roll the router's firmware back in the ACS when it restarts every few minutes.",
        audience=Audience.INTERNAL,
    )
    question = "Mein Modem startet ständig neu, was kann ich tun?"
    # No shared word: before the worker has embedded the articles, nothing.
    assert client.get(reverse("portal_kb_suggest"), {"q": question}).json() == {"items": []}
    embeddings_refresh_all()

    found = client.get(reverse("portal_kb_suggest"), {"q": question}, HTTP_ACCEPT_LANGUAGE="de")

    assert [item["id"] for item in found.json()["items"]][:1] == [restarts.pk]
    assert "firmware" not in found.content.decode()


def test_an_article_page_reads_a_fixed_number_of_queries(client):
    shown, _ = _with_image("Router lights")
    few = _page_queries(client, shown.pk)
    for number in range(4):
        upload = SimpleUploadedFile(f"manual{number}.pdf", PDF, content_type="application/pdf")
        article_attachment_add(actor=None, article_id=shown.pk, upload=upload)

    assert _page_queries(client, shown.pk) == few


def _page_queries(client: Client, article_id: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("portal_kb_article", args=[article_id])).status_code == 200
    return len(queries)
