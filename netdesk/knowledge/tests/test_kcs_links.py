"""The ticket loop's writes: linking the article that solved a ticket, the
first-contact flag from the desk's own rule, the resolved ticket indexed as
a solved case, and the reuse figures of an article."""

from datetime import timedelta

import pytest
from django.utils import timezone

from netdesk.accounts.models import Role, TierKind
from netdesk.core.errors import NotFound, ValidationFailed
from netdesk.knowledge.models import (
    ArticleLink,
    ArticleState,
    DocumentKind,
    LinkKind,
    SearchDocument,
)
from netdesk.knowledge.selectors.use import article_stats, ticket_articles
from netdesk.knowledge.services.articles import article_create
from netdesk.knowledge.services.feedback import feedback_give
from netdesk.knowledge.services.use import article_link, article_unlink
from netdesk.tickets.choices import Visibility
from netdesk.tickets.services import (
    comment_add,
    ticket_escalate_functional,
    ticket_reopen,
    ticket_resolve,
)
from netdesk.tickets.services.customer_replies import customer_comment_add
from tests import factories as f

pytestmark = pytest.mark.django_db


def _published(title: str = "Router LED red: restart the router") -> int:
    lead = f.user(Role.TEAM_LEAD)
    article = article_create(
        actor=lead,
        title=title,
        body="Unplug it for 30 s.",
        audience="public",
        state=ArticleState.PUBLISHED,
    )
    return article.pk


def _resolve(agent, ticket, notes: str = "Restarted the router."):
    return ticket_resolve(
        actor=agent, ticket=ticket, resolution_code="fixed", root_cause="customer_side", notes=notes
    )


def test_link_then_link_again_changes_the_kind():
    agent = f.user()
    ticket = f.ticket(agent)
    article_id = _published()
    link = article_link(actor=agent, article_id=article_id, ticket_id=ticket.pk, kind="used")
    again = article_link(actor=agent, article_id=article_id, ticket_id=ticket.pk)
    assert again.pk == link.pk
    assert again.kind == LinkKind.SOLVED
    assert ArticleLink.objects.count() == 1
    assert [a.article.pk for a in ticket_articles(ticket)] == [article_id]


def test_only_a_published_article_is_linked():
    agent = f.user()
    ticket = f.ticket(agent)
    from_agent = article_create(actor=agent, title="Draft", body="Not reviewed.")
    with pytest.raises(ValidationFailed) as refused:
        article_link(actor=agent, article_id=from_agent.pk, ticket_id=ticket.pk)
    assert refused.value.field == "article_id"
    with pytest.raises(NotFound):
        article_link(actor=agent, article_id=999_999, ticket_id=ticket.pk)
    with pytest.raises(ValidationFailed) as bad_kind:
        article_link(actor=agent, article_id=_published(), ticket_id=ticket.pk, kind="liked")
    assert (bad_kind.value.field, bad_kind.value.value) == ("kind", "liked")


def test_a_ticket_the_agent_may_not_see_is_not_linked():
    agent = f.user()
    ticket = f.ticket(agent)
    field = f.user(Role.FIELD_ENGINEER, groups=[f.group(TierKind.THIRD_LINE)])
    with pytest.raises(NotFound) as refused:
        article_link(actor=field, article_id=_published(), ticket_id=ticket.pk)
    assert refused.value.field == "ticket_id"
    assert not ArticleLink.objects.exists()


def test_first_contact_follows_the_desks_rule_before_and_after_resolution():
    agent = f.user()
    article_id = _published()
    # Linked while working, then resolved at first contact.
    first = f.ticket(agent)
    article_link(actor=agent, article_id=article_id, ticket_id=first.pk)
    _resolve(agent, first)
    assert ArticleLink.objects.get(ticket=first).first_contact is True
    # Escalated to another group: not first contact, whenever linked.
    second = f.ticket(agent)
    ticket_escalate_functional(
        actor=agent, ticket=second, group=f.group(TierKind.SECOND_LINE), reason="Line test"
    )
    _resolve(agent, second)
    link = article_link(actor=agent, article_id=article_id, ticket_id=second.pk)
    assert link.first_contact is False
    # Linked after a first-contact resolution (the call is over).
    third = _resolve(agent, f.ticket(agent))
    assert article_link(actor=agent, article_id=article_id, ticket_id=third.pk).first_contact
    stats = article_stats([article_id])[article_id]
    assert (stats.solved, stats.first_contact) == (3, 2)
    # Reopened: its first-contact resolution no longer counts.
    ticket_reopen(actor=agent, ticket=third, reason="Still down")
    assert article_stats([article_id])[article_id].first_contact == 1


def test_unlink():
    agent = f.user()
    ticket = f.ticket(agent)
    article_id = _published()
    article_link(actor=agent, article_id=article_id, ticket_id=ticket.pk)
    article_unlink(actor=agent, article_id=article_id, ticket_id=ticket.pk)
    assert not ArticleLink.objects.exists()
    with pytest.raises(NotFound):
        article_unlink(actor=agent, article_id=article_id, ticket_id=ticket.pk)


def test_resolved_ticket_is_indexed_with_the_customers_words_and_the_answer():
    agent = f.user()
    owner = f.customer(language="de")
    contact = owner.contacts.get()
    ticket = f.ticket(agent, owner, description="Kein Internet seit heute früh.")
    customer_comment_add(
        ticket=ticket, contact=contact, body="Die LED am Router blinkt rot.", channel="web"
    )
    comment_add(actor=agent, ticket=ticket, body="Internal: checked line", visibility="internal")
    comment_add(
        actor=agent,
        ticket=ticket,
        body="Bitte den Router 30 Sekunden vom Strom trennen.",
        visibility=Visibility.PUBLIC,
    )
    _resolve(agent, ticket, notes="Router neu gestartet.")
    document = SearchDocument.objects.get(kind=DocumentKind.TICKET, object_id=ticket.pk)
    assert document.title == ticket.title
    assert "Kein Internet seit heute früh." in document.body
    assert "Die LED am Router blinkt rot." in document.body
    # The customer's comment once, though its call report repeats it.
    assert document.body.count("blinkt rot") == 1
    assert "checked line" not in document.body + document.answer
    assert document.answer == (
        "Router neu gestartet.\n\nBitte den Router 30 Sekunden vom Strom trennen."
    )
    assert (document.language, document.audience, document.live) == ("de", "internal", True)


def test_a_duplicate_is_not_offered_as_a_solved_case():
    agent = f.user()
    ticket = f.ticket(agent)
    ticket_resolve(actor=agent, ticket=ticket, resolution_code="duplicate", root_cause="unknown")
    assert not SearchDocument.objects.filter(kind=DocumentKind.TICKET).exists()


def test_article_stats_count_links_and_verdicts_in_two_queries(django_assert_num_queries):
    agent = f.user()
    other = f.user()
    article_id = _published()
    unused = _published("Billing: a second charge")
    for _ in range(3):
        ticket = f.ticket(agent)
        article_link(actor=agent, article_id=article_id, ticket_id=ticket.pk)
    article_link(actor=agent, article_id=article_id, ticket_id=f.ticket(agent).pk, kind="used")
    feedback_give(article_id=article_id, helpful=False, user=agent, comment="Old firmware")
    feedback_give(article_id=article_id, helpful=True, user=other)
    contact = f.customer().contacts.get()
    feedback_give(article_id=article_id, helpful=False, contact=contact)
    with django_assert_num_queries(2):
        stats = article_stats([article_id, unused])
    used = stats[article_id]
    assert (used.solved, used.first_contact, used.helpful) == (3, 0, 1)
    assert (used.not_helpful_agents, used.not_helpful_customers) == (1, 1)
    assert used.last_used is not None
    assert used.last_used > timezone.now() - timedelta(minutes=1)
    assert stats[unused].solved == 0
    assert stats[unused].last_used is None
    with django_assert_num_queries(0):
        assert article_stats([]) == {}


def test_a_reopened_ticket_leaves_the_solved_cases_until_resolved_again():
    agent = f.user()
    ticket = _resolve(agent, f.ticket(agent))
    solved = SearchDocument.objects.filter(kind=DocumentKind.TICKET, object_id=ticket.pk)
    assert solved.exists()
    ticket_reopen(actor=agent, ticket=ticket, reason="Still down")
    assert not solved.exists()
    _resolve(agent, ticket, notes="Replaced the router.")
    assert solved.get().answer == "Replaced the router."
