"""Agents' and customers' word on an article: helpful or not, and what was
missing."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.core.errors import NotFound, ValidationFailed
from netdesk.customers.models import Contact
from netdesk.knowledge.models import Article, ArticleFeedback, ArticleState, Audience


@transaction.atomic
def feedback_give(
    *,
    article_id: int,
    helpful: bool,
    comment: str = "",
    user: User | None = None,
    contact: Contact | None = None,
) -> ArticleFeedback:
    """Record an agent's (`user`) or a customer's (`contact`) verdict on an
    article; a second verdict from the same person replaces the first. A
    customer may only judge a published public article."""
    if (user is None) == (contact is None):
        raise ValidationFailed(
            "Feedback comes from one agent or one customer contact.",
            field="author",
            value=None,
            accepted="user or contact",
        )
    if user is not None:
        require(user, Action.KB_VIEW)
    comment = comment.strip()
    if len(comment) > 500:
        raise ValidationFailed(
            "The comment is longer than 500 characters.",
            field="comment",
            value=comment[:500],
            accepted="at most 500 characters",
        )
    articles = Article.objects.all()
    if contact is not None:
        articles = articles.filter(state=ArticleState.PUBLISHED, audience=Audience.PUBLIC)
    article = articles.filter(pk=article_id).first()
    if article is None:
        raise NotFound(f"No article {article_id}.", field="article_id", value=article_id)
    author: dict[str, Any] = {"user": user} if user is not None else {"contact": contact}
    feedback, _created = ArticleFeedback.objects.select_for_update().update_or_create(
        article=article,
        **author,
        defaults={
            "helpful": helpful,
            "comment": comment,
            "given_at": timezone.now(),
            "article_version": article.version,
        },
    )
    return feedback
