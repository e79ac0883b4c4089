"""How articles were used: the tickets they solved (and solved at first
contact) and the verdicts of agents and customers, for the article pages
and the ticket page's knowledge panel."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Q

from netdesk.knowledge.models import Article, ArticleFeedback, ArticleLink, ArticleState, LinkKind
from netdesk.noc.models import NetworkIncident
from netdesk.tickets.choices import ResolutionCode
from netdesk.tickets.models import Ticket

# Resolutions that teach nothing about solving a problem: such a ticket is
# not offered as a similar solved case, nor counted in a recurring topic.
NOT_KNOWLEDGE = frozenset({ResolutionCode.DUPLICATE, ResolutionCode.CANCELLED_BY_CUSTOMER})


@dataclass(frozen=True)
class ArticleStats:
    """One article's reuse: tickets it solved, how many of those at first
    contact, and who found it helpful or not."""

    solved: int = 0
    first_contact: int = 0
    helpful: int = 0
    not_helpful_agents: int = 0
    not_helpful_customers: int = 0
    # When it was last linked to a ticket (None: never).
    last_used: datetime | None = None


def article_stats(article_ids: Iterable[int]) -> dict[int, ArticleStats]:
    """The figures of each article, every id answered (zeros when unused),
    in two queries whatever the number of articles (none for no ids).

    A first-contact resolution counts while its ticket still holds the
    desk's first-contact flag: a ticket reopened since no longer does."""
    ids = sorted({int(i) for i in article_ids})
    if not ids:
        return {}
    solved = Q(kind=LinkKind.SOLVED)
    links = {
        row["article_id"]: row
        for row in ArticleLink.objects.filter(article_id__in=ids)
        .values("article_id")
        .annotate(
            solved_count=Count("id", filter=solved),
            first_contact_count=Count(
                "id",
                filter=solved & Q(first_contact=True, ticket__first_contact_resolved=True),
            ),
            last_used=Max("linked_at"),
        )
        .order_by()
    }
    verdicts = {
        row["article_id"]: row
        for row in ArticleFeedback.objects.filter(article_id__in=ids)
        .values("article_id")
        .annotate(
            said_helpful=Count("id", filter=Q(helpful=True)),
            agents=Count("id", filter=Q(helpful=False, user__isnull=False)),
            customers=Count("id", filter=Q(helpful=False, contact__isnull=False)),
        )
        .order_by()
    }
    stats = {}
    for article_id in ids:
        used = links.get(article_id, {})
        said = verdicts.get(article_id, {})
        stats[article_id] = ArticleStats(
            solved=used.get("solved_count", 0),
            first_contact=used.get("first_contact_count", 0),
            helpful=said.get("said_helpful", 0),
            not_helpful_agents=said.get("agents", 0),
            not_helpful_customers=said.get("customers", 0),
            last_used=used.get("last_used"),
        )
    return stats


@dataclass(frozen=True)
class TicketArticle:
    """An article linked to a ticket, as the ticket's panel lists it."""

    article: Article
    kind: str
    kind_label: str
    first_contact: bool
    linked_by: str
    linked_at: datetime


def ticket_articles(ticket: Ticket) -> list[TicketArticle]:
    """The articles linked to a ticket, the latest link first (one query)."""
    links = (
        ArticleLink.objects.filter(ticket=ticket)
        .select_related("article", "linked_by")
        .order_by("-linked_at", "-id")
    )
    return [
        TicketArticle(
            article=link.article,
            kind=link.kind,
            kind_label=link.get_kind_display(),
            first_contact=link.first_contact,
            linked_by=str(link.linked_by) if link.linked_by else "the desk",
            linked_at=link.linked_at,
        )
        for link in links
    ]


def ticket_drafts(ticket: Ticket) -> list[Article]:
    """Articles drafted from this ticket, whatever became of them (one query)."""
    return list(Article.objects.filter(source_ticket=ticket).order_by("id"))


def incident_drafts(incident: NetworkIncident) -> list[Article]:
    """Articles drafted from the incident and not retired (one query)."""
    return list(
        Article.objects.filter(source_incident=incident)
        .exclude(state=ArticleState.RETIRED)
        .order_by("id")
    )
