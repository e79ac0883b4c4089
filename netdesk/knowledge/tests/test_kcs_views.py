"""The ticket page's knowledge panel (search, link, unlink, draft) and the
incident page's "Draft an article", through the desk's own pages."""

import pytest
from django.urls import reverse

from netdesk.accounts.models import Role, TierKind
from netdesk.knowledge.models import Article, ArticleLink, ArticleState, LinkKind
from netdesk.knowledge.services.articles import article_create
from netdesk.noc.services.incidents import incident_create
from netdesk.tickets.services import ticket_resolve
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(client):
    user = f.user()
    client.force_login(user)
    return user


@pytest.fixture
def router_article():
    lead = f.user(Role.TEAM_LEAD)
    return article_create(
        actor=lead,
        title="Router LED red: no internet",
        body="Unplug the router for 30 seconds.",
        state=ArticleState.PUBLISHED,
    )


def test_ticket_page_loads_the_panel_which_suggests_from_the_title(client, agent, router_article):
    ticket = f.ticket(agent, title="Router LED red since the storm")
    page = client.get(reverse("ticket_detail", args=[ticket.reference]))
    panel_url = reverse("kb_ticket_panel", args=[ticket.reference])
    assert f'hx-get="{panel_url}"' in page.content.decode()
    panel = client.get(panel_url).content.decode()
    assert 'value="Router LED red since the storm"' in panel
    assert router_article.reference in panel
    assert "Solved it" in panel
    assert "No article linked to this ticket yet." in panel


def test_typing_searches_again(client, agent, router_article):
    ticket = f.ticket(agent, title="Invoice too high")
    url = reverse("kb_ticket_article_search", args=[ticket.reference])
    found = client.get(url, {"q": "router red"}).content.decode()
    assert router_article.reference in found
    nothing = client.get(url, {"q": "zzzz qqqq"}).content.decode()
    assert "No published article matches" in nothing
    # A whole mail pasted in is cut, never refused.
    assert client.get(url, {"q": "router " * 600}).status_code == 200


def test_link_and_unlink_from_the_panel(client, agent, router_article):
    ticket = f.ticket(agent, title="Router LED red")
    ticket_resolve(actor=agent, ticket=ticket, resolution_code="fixed", root_cause="customer_side")
    answer = client.post(
        reverse("kb_ticket_link", args=[ticket.reference]),
        {"article": router_article.pk, "kind": "solved"},
    )
    assert answer.status_code == 302
    assert answer["Location"].endswith(f"/tickets/{ticket.reference}/#kb-panel")
    link = ArticleLink.objects.get()
    assert (link.kind, link.first_contact, link.linked_by) == (LinkKind.SOLVED, True, agent)
    panel = client.get(reverse("kb_ticket_panel", args=[ticket.reference])).content.decode()
    assert "Link the article that solved it" in panel
    assert "at first contact" in panel
    assert "Linked to this ticket." in panel
    client.post(
        reverse("kb_ticket_unlink", args=[ticket.reference]), {"article": router_article.pk}
    )
    assert not ArticleLink.objects.exists()


def test_bad_link_requests_say_why(client, agent):
    ticket = f.ticket(agent)
    url = reverse("kb_ticket_link", args=[ticket.reference])
    draft = article_create(actor=agent, title="Draft", body="x")
    answer = client.post(url, {"article": draft.pk}, follow=True)
    assert "only a published article can be linked" in answer.content.decode()
    answer = client.post(url, {"article": "x1"}, follow=True)
    assert "article &#x27;x1&#x27;" in answer.content.decode()
    assert client.get(url).status_code == 405
    assert not ArticleLink.objects.exists()


def test_a_ticket_out_of_sight_is_not_found(client, agent, router_article):
    ticket = f.ticket(agent)
    field = f.user(Role.FIELD_ENGINEER, groups=[f.group(TierKind.THIRD_LINE)])
    client.force_login(field)
    assert client.get(reverse("kb_ticket_panel", args=[ticket.reference])).status_code == 404
    answer = client.post(
        reverse("kb_ticket_link", args=[ticket.reference]), {"article": router_article.pk}
    )
    assert answer.status_code == 404
    assert client.post(reverse("kb_ticket_draft", args=[ticket.reference])).status_code == 404


def test_draft_lands_in_the_editor(client, agent):
    ticket = f.ticket(agent, title="Wifi drops at night", description="Every night at 2.")
    answer = client.post(reverse("kb_ticket_draft", args=[ticket.reference]))
    article = Article.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == reverse("kb_article_edit", args=[article.pk])
    assert article.state == ArticleState.DRAFT
    panel = client.get(reverse("kb_ticket_panel", args=[ticket.reference])).content.decode()
    assert f"{article.reference}</a> drafted from this ticket" in panel
    assert "Open the draft" in panel


def test_incident_page_offers_a_draft(client):
    noc = f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)])
    client.force_login(noc)
    incident = incident_create(
        actor=noc,
        title="Power cut at POP 3",
        detected_by="manual",
        customer_description="No service in the north.",
    )
    page = client.get(reverse("noc_incident", args=[incident.reference])).content.decode()
    assert reverse("kb_incident_draft", args=[incident.reference]) in page
    assert "No article drafted from this incident yet." in page
    answer = client.post(
        reverse("kb_incident_draft", args=[incident.reference]), {"audience": "public"}
    )
    article = Article.objects.get()
    assert answer["Location"] == reverse("kb_article_edit", args=[article.pk])
    assert (article.audience, article.source_incident_id) == ("public", incident.pk)
    page = client.get(reverse("noc_incident", args=[incident.reference])).content.decode()
    assert article.reference in page
    assert client.post(reverse("kb_incident_draft", args=["NI-99999"])).status_code == 404
    bad = client.post(
        reverse("kb_incident_draft", args=[incident.reference]), {"audience": "all"}, follow=True
    )
    assert "audience &#x27;all&#x27;" in bad.content.decode()
