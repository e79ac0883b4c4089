"""The knowledge base's API under /api/v1/kb: suggestions for a question
or a whole mail (articles, similar resolved tickets with their resolution,
macros), as the agent UI asks while an agent types."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema

from netdesk.accounts.permissions import Action, require, user_of
from netdesk.core.errors import ValidationFailed
from netdesk.core.schemas import OutputSchema, answers
from netdesk.knowledge.models import DocumentKind
from netdesk.knowledge.search import Reader, search
from netdesk.knowledge.search.engine import LIMIT_MAX, QUERY_LIMIT
from netdesk.tickets.models.ticket import reference_for

router = Router(tags=["knowledge"])

SUGGEST_LIMIT = 5


class SuggestQuery(Schema):
    # Checked in the handler, so that an empty or too long question is
    # refused with the same words whichever way it is wrong.
    q: str = ""
    limit: int = Field(SUGGEST_LIMIT, ge=1, le=LIMIT_MAX)


class ArticleSuggestion(OutputSchema):
    id: int
    title: str
    snippet: str
    score: float
    audience: str
    url: str


class TicketSuggestion(OutputSchema):
    id: int
    reference: str
    title: str
    snippet: str
    resolution: str
    score: float
    url: str


class MacroSuggestion(OutputSchema):
    id: int
    name: str
    snippet: str
    score: float


class Suggestions(OutputSchema):
    items: list[ArticleSuggestion]
    tickets: list[TicketSuggestion]
    macros: list[MacroSuggestion]


def _question(q: str) -> str:
    text = q.strip()
    if not text or len(q) > QUERY_LIMIT:
        raise ValidationFailed(
            "The question is empty." if not text else "The question is too long.",
            field="q",
            value=q[:200],
            accepted=f"1 to {QUERY_LIMIT} characters",
        )
    return text


@router.get(
    "/suggest",
    response=answers(Suggestions),
    summary="Articles, similar resolved tickets and macros for a question or a whole mail",
)
def suggest(request: HttpRequest, query: Query[SuggestQuery]) -> dict[str, Any]:
    user = user_of(request)
    require(user, Action.KB_VIEW)
    text = _question(query.q)
    reader = Reader(user=user)

    def found(kind: str) -> list[Any]:
        return search(text=text, reader=reader, kinds=(kind,), limit=query.limit)

    return {
        "items": [
            {
                "id": hit.object_id,
                "title": hit.title,
                "snippet": hit.snippet,
                "score": hit.score,
                "audience": hit.audience,
                "url": reverse("kb_article_detail", args=[hit.object_id]),
            }
            for hit in found(DocumentKind.ARTICLE)
        ],
        "tickets": [
            {
                "id": hit.object_id,
                "reference": reference_for(hit.object_id),
                "title": hit.title,
                "snippet": hit.snippet,
                "resolution": hit.answer,
                "score": hit.score,
                "url": reverse("ticket_detail", args=[reference_for(hit.object_id)]),
            }
            for hit in found(DocumentKind.TICKET)
        ],
        "macros": [
            {"id": hit.object_id, "name": hit.title, "snippet": hit.snippet, "score": hit.score}
            for hit in found(DocumentKind.MACRO)
        ],
    }
