"""GET /api/v1/kb/suggest: articles, similar resolved tickets and macros
for a question or a whole mail, as the reader may see them."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from netdesk.accounts.models import Role, TierKind
from netdesk.knowledge.models import ArticleState, Audience, DocumentKind
from netdesk.knowledge.search import embeddings_refresh_all
from netdesk.knowledge.services.articles import article_create
from netdesk.knowledge.services.documents import document_put
from tests import factories as f

pytestmark = pytest.mark.django_db

URL = "/api/v1/kb/suggest"


def _publish(title, body, **extra):
    return article_create(actor=None, title=title, body=body, state=ArticleState.PUBLISHED, **extra)


def _ask(user, **params):
    return Client().get(URL, params, HTTP_AUTHORIZATION=f"Bearer {f.token_for(user)}")


def _resolved_ticket(actor, *, title, resolution, **extra):
    ticket = f.ticket(actor, title=title, **extra)
    document_put(
        kind=DocumentKind.TICKET,
        object_id=ticket.pk,
        title=title,
        body="The customer reports: " + title,
        answer=resolution,
    )
    return ticket


def test_suggests_articles_tickets_and_macros():
    agent = f.user(Role.HOTLINE_OPERATOR)
    article = _publish("Router LED blinks red", "Restart the router; if it stays red, swap it.")
    ticket = _resolved_ticket(agent, title="Router LED red", resolution="Swapped the router.")
    document_put(
        kind=DocumentKind.MACRO, object_id=7, title="Router swap", body="We swap the router"
    )
    answer = _ask(agent, q="The router LED is red since this morning")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["items"] == [
        {
            "id": article.pk,
            "title": "Router LED blinks red",
            "snippet": "Restart the router; if it stays red, swap it.",
            "score": 1.0,
            "audience": Audience.INTERNAL,
            "url": f"/kb/articles/{article.pk}/",
        }
    ]
    [found] = body["tickets"]
    assert found["reference"] == ticket.reference
    assert found["resolution"] == "Swapped the router."
    assert found["url"] == f"/tickets/{ticket.reference}/"
    assert [m["id"] for m in body["macros"]] == [7]
    assert body["macros"][0]["name"] == "Router swap"


def test_session_sign_in_works_without_csrf():
    agent = f.user(Role.HOTLINE_OPERATOR)
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    assert client.get(URL, {"q": "router"}).status_code == 200


def test_anonymous_is_refused():
    answer = Client().get(URL, {"q": "router"})
    assert answer.status_code == 401
    assert answer["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("q", ["", "   ", "x" * 2001])
def test_an_empty_or_too_long_question_is_refused_naming_q(q):
    answer = _ask(f.user(Role.HOTLINE_OPERATOR), q=q)
    assert answer.status_code == 422
    assert answer["Content-Type"] == "application/problem+json"
    [error] = answer.json()["errors"]
    assert error["field"] == "q"
    assert error["accepted"] == "1 to 2000 characters"


def test_a_whole_mail_of_2000_characters_is_read():
    agent = f.user(Role.HOTLINE_OPERATOR)
    article = _publish("Splitter broken", "Replace the splitter.")
    mail = ("Dear support, my line drops all the time. " * 60)[:1980] + " splitter"
    assert len(mail) <= 2000
    body = _ask(agent, q=mail).json()
    assert [i["id"] for i in body["items"]] == [article.pk]


@pytest.mark.parametrize("limit", ["0", "51", "many"])
def test_a_bad_limit_is_refused_naming_limit(limit):
    answer = _ask(f.user(Role.HOTLINE_OPERATOR), q="router", limit=limit)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "limit"


def test_limit_caps_each_list():
    agent = f.user(Role.HOTLINE_OPERATOR)
    for n in range(8):
        _publish(f"Router fault {n}", "Restart the router.")
    assert len(_ask(agent, q="router").json()["items"]) == 5
    assert len(_ask(agent, q="router", limit=2).json()["items"]) == 2


def test_a_field_engineer_gets_only_tickets_of_their_groups():
    hotline = f.user(Role.HOTLINE_OPERATOR)
    field, billing = f.group(TierKind.THIRD_LINE), f.group(TierKind.BILLING)
    engineer = f.user(Role.FIELD_ENGINEER, groups=[field])
    own = _resolved_ticket(hotline, title="Fibre cut", resolution="Spliced.", group=field)
    _resolved_ticket(hotline, title="Fibre cut", resolution="Spliced.", group=billing)
    tickets = _ask(engineer, q="fibre cut").json()["tickets"]
    assert [t["id"] for t in tickets] == [own.pk]


def test_agents_see_internal_articles_the_portal_does_not():
    agent = f.user(Role.HOTLINE_OPERATOR)
    internal = _publish("Fibre cut procedure", "Call the civil works team.")
    public = _publish("Fibre cut: what to do", "Wait for the fix.", audience=Audience.PUBLIC)
    items = _ask(agent, q="fibre cut").json()["items"]
    assert {i["id"] for i in items} == {internal.pk, public.pk}
    assert {i["audience"] for i in items} == {Audience.INTERNAL, Audience.PUBLIC}


def test_the_same_queries_however_many_are_found(django_assert_num_queries):
    agent = f.user(Role.HOTLINE_OPERATOR)
    client = Client()
    auth = f"Bearer {f.token_for(agent)}"
    _publish("Router fault", "Restart the router.")
    _resolved_ticket(agent, title="Router fault", resolution="Restarted.")
    document_put(kind=DocumentKind.MACRO, object_id=1, title="Router", body="router reply")
    embeddings_refresh_all()
    client.get(URL, {"q": "router fault"}, HTTP_AUTHORIZATION=auth)
    with CaptureQueriesContext(connection) as few:
        body = client.get(URL, {"q": "router fault"}, HTTP_AUTHORIZATION=auth).json()
    # The token, the rate counter, the data versions, then per list the
    # words' document counts, the stems and the planner's setting around
    # the keyword query (PostgreSQL), the keyword query and the read back.
    queries = len(few)
    assert queries <= 30
    assert [len(body[k]) for k in ("items", "tickets", "macros")] == [1, 1, 1]
    for n in range(12):
        _publish(f"Router fault {n}", "Restart the router.")
        _resolved_ticket(agent, title=f"Router fault {n}", resolution="Restarted.")
        document_put(kind=DocumentKind.MACRO, object_id=n + 2, title="Router", body="router")
    embeddings_refresh_all()
    # Once the process has read the changed vectors, the count is as before.
    client.get(URL, {"q": "router fault"}, HTTP_AUTHORIZATION=auth)
    with django_assert_num_queries(queries):
        body = client.get(URL, {"q": "router fault"}, HTTP_AUTHORIZATION=auth).json()
    assert [len(body[k]) for k in ("items", "tickets", "macros")] == [5, 5, 5]


def test_suggest_is_in_the_api_schema():
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/kb/suggest" in paths
