"""The article pages: the list with its filters and query count, an
article's page and its actions per role, the form with its errors and its
guard against saving over a newer version, the preview and the history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from netdesk.accounts.models import Role
from netdesk.knowledge.models import Article, ArticleFeedback, ArticleState, Audience
from netdesk.knowledge.services.articles import article_create, article_state_set, article_update
from netdesk.noc.services.incidents import incident_create
from netdesk.tickets.models import Category
from tests import factories as f

pytestmark = pytest.mark.django_db


def signed_in(client: Client, role: str = Role.HOTLINE_OPERATOR, **extra):
    person = f.user(role, **extra)
    client.force_login(person)
    return person


def article(actor=None, **fields) -> Article:
    defaults = {"title": "Router LED blinks red", "body": "**Restart** the router."}
    return article_create(actor=actor, **{**defaults, **fields})


def form_data(**changes) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "No sync on VDSL",
        "body": "## Symptoms\n\nThe DSL light blinks.",
        "audience": Audience.INTERNAL,
        "language": "en",
        "products": "VDSL 100, VDSL 250",
        "technologies": ["vdsl"],
        "tags": "DSL, sync",
        "review_on": "",
        "note": "first cut",
    }
    data.update(changes)
    return data


# --- list ------------------------------------------------------------------------------------


def test_list_filters_by_state_audience_language_tag_product_technology_owner(client):
    agent = signed_in(client)
    lead = f.user(Role.TEAM_LEAD)
    wanted = article(
        title="Fibre ONT offline",
        language="de",
        audience=Audience.PUBLIC,
        products=["Glasfaser Über 1000"],
        technologies=["ftth"],
        tags=["ont"],
        owner=lead,
    )
    article_state_set(actor=None, article_id=wanted.pk, state=ArticleState.PUBLISHED)
    article(title="Cable modem resync", technologies=["cable"], products=["Cable 500"])
    url = reverse("kb_article_list")
    for query in (
        {"state": "published"},
        {"audience": "public"},
        {"language": "de"},
        {"tag": "ONT"},
        {"product": "Glasfaser Über 1000"},
        {"technology": "ftth"},
        {"owner": str(lead.pk)},
    ):
        page = client.get(url, query).content.decode()
        assert "Fibre ONT offline" in page, query
        assert "Cable modem resync" not in page, query
    assert agent.pk


def test_list_review_due_shows_articles_to_check_again(client):
    signed_in(client)
    today = timezone.localdate()
    article(title="Due yesterday", review_on=today - timedelta(days=1))
    article(title="Due next month", review_on=today + timedelta(days=30))
    page = client.get(reverse("kb_article_list"), {"review_due": "on"}).content.decode()
    assert "Due yesterday" in page
    assert "Due next month" not in page


def test_list_text_search_finds_drafts_by_their_words(client):
    signed_in(client)
    article(title="DHCP lease exhausted", body="The pool of addresses is empty.")
    article(title="Invoice copy", body="Send the PDF again.")
    page = client.get(reverse("kb_article_list"), {"q": "dhcp pool"}).content.decode()
    assert "DHCP lease exhausted" in page
    assert "Invoice copy" not in page


def test_list_runs_a_fixed_number_of_queries(client, django_assert_num_queries):
    signed_in(client)
    for n in range(3):
        article(title=f"Article {n}", tags=["a", "b"])
    url = reverse("kb_article_list")
    client.get(url)  # warm the session and the user's row caches
    # session, user, owners for the filter, count, rows, their tags
    with django_assert_num_queries(6):
        assert client.get(url).status_code == 200
    for n in range(3, 30):
        article(title=f"Article {n}", tags=["c"])
    with django_assert_num_queries(6):
        page = client.get(url).content.decode()
    assert "Page 1 of 2" in page


def test_list_bad_filter_values_do_not_fail(client):
    signed_in(client)
    article()
    response = client.get(
        reverse("kb_article_list"),
        {"state": "gone", "owner": "abc", "page": "-4", "technology": "pigeon", "q": "x" * 3000},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-field="state"' in page
    assert 'data-field="q"' in page


# --- detail and rights -------------------------------------------------------------------------


def test_detail_renders_markdown_safely_with_fields_and_reuse(client):
    signed_in(client)
    item = article(
        body="**Bold** <script>alert(1)</script> [x](javascript:alert(1))",
        tags=["led"],
        technologies=["ftth"],
    )
    page = client.get(reverse("kb_article_detail", args=[item.pk])).content.decode()
    assert "<strong>Bold</strong>" in page
    assert "<script>alert(1)</script>" not in page
    assert 'href="javascript' not in page
    assert 'data-stat="solved">0<' in page
    assert item.reference in page
    assert "Fibre (FTTH)" in page


def test_an_operator_sends_to_review_but_may_not_publish(client):
    operator = signed_in(client)
    item = article(actor=operator)
    page = client.get(reverse("kb_article_detail", args=[item.pk])).content.decode()
    assert "Send to review" in page
    assert ">Publish<" not in page
    url = reverse("kb_article_state", args=[item.pk])
    assert client.post(url, {"state": "review"}).status_code == 302
    item.refresh_from_db()
    assert item.state == ArticleState.REVIEW
    assert client.post(url, {"state": "published"}).status_code == 403
    item.refresh_from_db()
    assert item.state == ArticleState.REVIEW


def test_a_lead_publishes_and_retires(client):
    signed_in(client, Role.TEAM_LEAD)
    item = article()
    url = reverse("kb_article_state", args=[item.pk])
    client.post(url, {"state": "published"})
    item.refresh_from_db()
    assert item.state == ArticleState.PUBLISHED
    assert item.published_at is not None
    page = client.get(reverse("kb_article_detail", args=[item.pk])).content.decode()
    assert "Retire" in page
    assert "Back to draft" in page


def test_an_unknown_state_is_named_in_the_message(client):
    signed_in(client, Role.TEAM_LEAD)
    item = article()
    response = client.post(
        reverse("kb_article_state", args=[item.pk]), {"state": "gone"}, follow=True
    )
    assert "Unknown state &#x27;gone&#x27;" in response.content.decode()


def test_an_account_manager_reads_but_cannot_edit(client):
    signed_in(client, Role.ACCOUNT_MANAGER)
    item = article()
    page = client.get(reverse("kb_article_detail", args=[item.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Send to review" not in text
    assert ">Edit<" not in text
    assert "Upload" not in text
    assert client.get(reverse("kb_article_edit", args=[item.pk])).status_code == 403
    assert client.get(reverse("kb_article_new")).status_code == 403
    assert client.post(reverse("kb_article_new"), form_data()).status_code == 403
    assert (
        client.post(reverse("kb_article_state", args=[item.pk]), {"state": "review"}).status_code
        == 403
    )
    assert client.post(reverse("kb_article_preview"), {"body": "x"}).status_code == 403
    assert Article.objects.count() == 1


def test_an_operator_may_not_edit_a_published_article(client):
    signed_in(client)
    item = article()
    article_state_set(actor=None, article_id=item.pk, state=ArticleState.PUBLISHED)
    assert client.get(reverse("kb_article_edit", args=[item.pk])).status_code == 403
    page = client.get(reverse("kb_article_detail", args=[item.pk])).content.decode()
    assert ">Edit<" not in page


def test_signed_out_is_sent_to_sign_in_and_unknown_article_is_404(client):
    item = article()
    response = client.get(reverse("kb_article_detail", args=[item.pk]))
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    signed_in(client)
    assert client.get(reverse("kb_article_detail", args=[999_999])).status_code == 404
    assert client.get(reverse("kb_article_history", args=[999_999])).status_code == 404


def test_the_detail_page_runs_a_fixed_number_of_queries(client, django_assert_num_queries):
    signed_in(client)
    item = article(tags=["a", "b"])
    url = reverse("kb_article_detail", args=[item.pk])
    client.get(url)
    with django_assert_num_queries(9):
        client.get(url)
    article_update(actor=None, article_id=item.pk, tags=["a", "b", "c", "d"], body="Longer.")
    with django_assert_num_queries(9):
        client.get(url)


def test_not_helpful_from_an_agent_is_recorded_once(client):
    agent = signed_in(client)
    item = article()
    url = reverse("kb_article_feedback", args=[item.pk])
    client.post(url, {"comment": "Misses the firmware 2.1 menu"})
    client.post(url, {"comment": "Still misses it"})
    feedback = ArticleFeedback.objects.get(article=item, user=agent)
    assert feedback.comment == "Still misses it"
    assert feedback.helpful is False
    page = client.get(reverse("kb_article_detail", args=[item.pk])).content.decode()
    assert 'data-stat="not_helpful_agents">1<' in page
    response = client.post(url, {"comment": "x" * 600})
    assert response.status_code == 422
    assert "at most 500 characters" in response.content.decode()


# --- the form ----------------------------------------------------------------------------------


def test_new_article_is_saved_as_a_draft_with_its_fields(client):
    operator = signed_in(client)
    category = Category.objects.create(name="No sync", ticket_type="incident")
    response = client.post(reverse("kb_article_new"), form_data(categories=[category.pk]))
    assert response.status_code == 302
    saved = Article.objects.get(title="No sync on VDSL")
    assert saved.state == ArticleState.DRAFT
    assert saved.owner == operator
    assert saved.products == ["VDSL 100", "VDSL 250"]
    assert saved.technologies == ["vdsl"]
    assert sorted(t.name for t in saved.tags.all()) == ["dsl", "sync"]
    assert list(saved.categories.all()) == [category]
    assert saved.versions.get().note == "first cut"


@pytest.mark.parametrize(
    ("changes", "field", "shown"),
    [
        ({"language": "english"}, "language", "english"),
        ({"tags": "ok, bad<tag>"}, "tags", "bad&lt;tag&gt;"),
        ({"technologies": ["pigeon"]}, "technologies", "pigeon"),
        ({"audience": "everyone"}, "audience", "everyone"),
        ({"title": "   "}, "title", "required"),
        ({"review_on": "3024-01-01"}, "review_on", "3024-01-01"),
        ({"review_on": "tomorrow"}, "review_on", "valid date"),
        ({"owner": "999999"}, "owner", "999999"),
        ({"categories": ["x"]}, "categories", "x"),
        ({"products": "A" * 130}, "products", "120 characters"),
    ],
)
def test_a_refused_value_is_named_next_to_its_field(client, changes, field, shown):
    signed_in(client)
    response = client.post(reverse("kb_article_new"), form_data(**changes))
    assert response.status_code == 422
    page = response.content.decode()
    errors = [line for line in page.splitlines() if f'data-field="{field}"' in line]
    assert errors, page
    assert any(shown in line for line in errors), errors
    assert not Article.objects.exists()


def test_editing_saves_a_new_version_with_its_note(client):
    editor = signed_in(client)
    item = article(actor=editor)
    response = client.post(
        reverse("kb_article_edit", args=[item.pk]),
        form_data(
            title="Router LED blinks red", body="Unplug it for 10 s.", version=1, note="simpler"
        ),
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.version == 2
    assert item.body == "Unplug it for 10 s."
    assert item.versions.get(number=2).note == "simpler"


def test_saving_over_a_newer_version_is_refused(client):
    editor = signed_in(client, first_name="Ada", last_name="Berg")
    other = f.user(first_name="Ben", last_name="Kurz")
    item = article(actor=editor)
    opened = client.get(reverse("kb_article_edit", args=[item.pk])).content.decode()
    assert 'name="version" value="1"' in opened
    article_update(actor=other, article_id=item.pk, body="Ben's steps.", note="Ben")
    response = client.post(
        reverse("kb_article_edit", args=[item.pk]),
        form_data(body="Ada's steps.", version=1),
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "changed by Ben Kurz while you edited it" in page
    assert "Ada&#x27;s steps." in page  # the editor's text is kept to copy
    item.refresh_from_db()
    assert item.body == "Ben's steps."
    assert item.version == 2


def test_the_edit_form_without_its_version_is_refused_too(client):
    signed_in(client)
    item = article()
    response = client.post(reverse("kb_article_edit", args=[item.pk]), form_data())
    assert response.status_code == 409
    item.refresh_from_db()
    assert item.version == 1


# --- preview and history ---------------------------------------------------------------------


def test_preview_renders_sanitised_html(client):
    signed_in(client)
    response = client.post(
        reverse("kb_article_preview"),
        {"body": "# Steps\n\n<img src=x onerror=alert(1)> *one*"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Steps</h1>" in html
    assert "<em>one</em>" in html
    assert "onerror" not in html or "&lt;img" in html


def test_preview_refuses_an_overlong_body_without_failing(client):
    signed_in(client)
    response = client.post(
        reverse("kb_article_preview"), {"body": "x" * 200_001, "article": "9" * 30}
    )
    assert response.status_code == 422
    assert "body" in response.content.decode()


def test_preview_needs_the_csrf_token(client):
    signed_in(client)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(f.user())
    assert strict.post(reverse("kb_article_preview"), {"body": "x"}).status_code == 403


def test_history_lists_versions_and_shows_an_escaped_diff(client):
    editor = signed_in(client, first_name="Ada", last_name="Berg")
    item = article(actor=editor, body="Line one\nLine two")
    article_update(
        actor=editor, article_id=item.pk, body="Line one\n<b>Line 2</b>", note="renamed line"
    )
    url = reverse("kb_article_history", args=[item.pk])
    page = client.get(url).content.decode()
    assert "renamed line" in page
    assert "Ada Berg" in page
    assert "&lt;b&gt;Line 2&lt;/b&gt;" in page
    assert 'class="kb-diff-removed"' in page
    assert "Line two" in page
    first = client.get(url, {"version": "1"}).content.decode()
    assert "the first version" in first
    assert client.get(url, {"version": "7"}).status_code == 404
    assert client.get(url, {"version": "abc"}).status_code == 200


def test_huge_numbers_are_refused_or_not_found_never_an_error(client):
    signed_in(client, Role.TEAM_LEAD)
    item = article()
    big = "9" * 30
    for url in (
        f"/kb/articles/{big}/",
        f"/kb/articles/{big}/history/",
        f"/kb/articles/{item.pk}/attachments/{big}/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get(reverse("kb_article_list"), {"owner": big, "page": big}).status_code == 200
    preview = client.post(reverse("kb_article_preview"), {"body": "x", "article": big})
    assert preview.status_code == 422
    edit = client.post(reverse("kb_article_edit", args=[item.pk]), form_data(version=big))
    assert edit.status_code == 422
    assert client.post(f"/kb/articles/{big}/state/", {"state": "review"}).status_code == 404
    assert client.post(f"/kb/articles/{big}/feedback/", {"comment": ""}).status_code == 404


def test_a_text_search_in_the_list_runs_a_fixed_number_of_queries(
    client, django_assert_num_queries
):
    signed_in(client)
    article(title="Router reset steps", tags=["router"])
    url = reverse("kb_article_list")
    client.get(url, {"q": "router"})
    # The search's own queries differ by database (SQLite reads the index's
    # vocabulary, PostgreSQL its statistics and stems): the count is taken
    # with one article and must not grow with thirteen.
    with CaptureQueriesContext(connection) as one:
        client.get(url, {"q": "router"})
    for n in range(12):
        article(title=f"Router model {n}", tags=["router", f"m{n}"])
    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get(url, {"q": "router"}).content.decode()
    assert "13 articles found" in page


def test_an_article_drafted_from_a_ticket_or_an_incident_links_back(client):
    agent = signed_in(client)
    ticket = f.ticket(agent, f.customer())
    noc = f.user(Role.NOC_ENGINEER)
    outage = incident_create(
        actor=noc, title="Fibre cut", detected_by="manual", root_element=f.element("AGG-9")
    )
    item = article(source_ticket=ticket, source_incident=outage)
    page = client.get(reverse("kb_article_detail", args=[item.pk])).content.decode()
    assert reverse("ticket_detail", args=[ticket.reference]) in page
    assert reverse("noc_incident", args=[outage.reference]) in page
