"""The ticket panel's article search: what the desk's search finds for the
agent (published articles, by keywords and meaning), shaped for the panel
with each article's reference and whether it is linked already."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from netdesk.accounts.models import User
from netdesk.knowledge.models import DocumentKind
from netdesk.knowledge.search import Reader, search


@dataclass(frozen=True)
class ArticleChoice:
    """An article the agent may link, as the panel lists it."""

    id: int
    reference: str
    title: str
    snippet: str
    score: float
    audience: str
    linked: bool


def article_choices(
    *, user: User, text: str, limit: int, linked: Collection[int]
) -> list[ArticleChoice]:
    """The published articles the agent may see that best match the text."""
    hits = search(text=text, reader=Reader(user=user), kinds=(DocumentKind.ARTICLE,), limit=limit)
    return [
        ArticleChoice(
            id=hit.object_id,
            reference=f"KB-{hit.object_id:05d}",
            title=hit.title,
            snippet=hit.snippet,
            score=hit.score,
            audience=hit.audience,
            linked=hit.object_id in linked,
        )
        for hit in hits
    ]
