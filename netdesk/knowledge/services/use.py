"""Reuse of articles: linking the article that solved a ticket (or was used
on it), which is what the article's page counts."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.core.errors import NotFound, ValidationFailed
from netdesk.knowledge.models import Article, ArticleLink, ArticleState, LinkKind
from netdesk.tickets.choices import Status
from netdesk.tickets.models import Ticket
from netdesk.tickets.selectors import tickets_visible_to

# A link made after the ticket was resolved still counts its first-contact
# resolution: the agent often links once the call is over.
RESOLVED_STATUSES = (Status.RESOLVED, Status.CLOSED)


def _ticket_locked(actor: User | None, ticket_id: int) -> Ticket:
    tickets = Ticket.objects.all() if actor is None else tickets_visible_to(actor)
    ticket = tickets.select_for_update(of=("self",)).filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound(
            f"Ticket {ticket_id} does not exist or is not visible to you.",
            field="ticket_id",
            value=ticket_id,
        )
    return ticket


def link_first_contact(ticket: Ticket, kind: str) -> bool:
    """An article solved this ticket in its first contact: the desk's one
    rule for first-contact resolution decided it when the ticket was resolved
    (tickets.services.lifecycle.first_contact_resolution)."""
    return (
        kind == LinkKind.SOLVED
        and ticket.status in RESOLVED_STATUSES
        and ticket.first_contact_resolved
    )


@transaction.atomic
def article_link(
    *, actor: User | None, article_id: int, ticket_id: int, kind: str = LinkKind.SOLVED
) -> ArticleLink:
    """Link a published article to a ticket the actor may see and change.
    One link per article and ticket: linking again changes its kind."""
    require(actor, Action.TICKET_UPDATE)
    if kind not in LinkKind.values:
        raise ValidationFailed(
            "Unknown link kind.", field="kind", value=kind, accepted=LinkKind.values
        )
    # The ticket's lock orders this with its resolution, which sets the
    # first-contact flag of its links.
    ticket = _ticket_locked(actor, ticket_id)
    article = Article.objects.filter(pk=article_id).first()
    if article is None:
        raise NotFound(f"No article {article_id}.", field="article_id", value=article_id)
    if article.state != ArticleState.PUBLISHED:
        raise ValidationFailed(
            f"{article.reference} is {article.get_state_display().lower()}; only a published "
            "article can be linked to a ticket.",
            field="article_id",
            value=article_id,
            accepted="a published article",
        )
    link, _created = ArticleLink.objects.update_or_create(
        article=article,
        ticket=ticket,
        defaults={
            "kind": kind,
            "first_contact": link_first_contact(ticket, kind),
            "linked_by": actor,
            "linked_at": timezone.now(),
        },
    )
    return link


@transaction.atomic
def article_unlink(*, actor: User | None, article_id: int, ticket_id: int) -> None:
    """Take a link off a ticket (linked by mistake); it no longer counts."""
    require(actor, Action.TICKET_UPDATE)
    ticket = _ticket_locked(actor, ticket_id)
    deleted, _ = ArticleLink.objects.filter(article_id=article_id, ticket=ticket).delete()
    if not deleted:
        raise NotFound(
            f"Article {article_id} is not linked to {ticket.reference}.",
            field="article_id",
            value=article_id,
        )
