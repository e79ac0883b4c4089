"""What the portal reads of the knowledge base: published public articles
only, never an internal or unpublished one, a ticket or a macro.

Search hits are checked against the articles themselves (published and
public now) before they are shown, so an article made internal or retired
a moment ago is never shown even while its search document still says
otherwise."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, unquote

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.urls import reverse

from netdesk.customers.models import Contact
from netdesk.knowledge.models import (
    Article,
    ArticleAttachment,
    ArticleFeedback,
    ArticleState,
    Audience,
    DocumentKind,
)
from netdesk.knowledge.search import Reader, search
from netdesk.knowledge.text import markdown_html
from netdesk.portal.models import HelpSuggestion

# What a customer may read: published and meant for customers.
PUBLIC = Q(state=ArticleState.PUBLISHED, audience=Audience.PUBLIC)
# The longest question searched (a whole mail, as the desk's suggest API takes).
QUESTION_LIMIT = 2000


@dataclass(frozen=True)
class HelpHit:
    """A public article found for a customer's words."""

    article_id: int
    title: str
    snippet: str
    language: str


def public_articles() -> QuerySet[Article]:
    return Article.objects.filter(PUBLIC)


def public_article_get(article_id: int) -> Article | None:
    return public_articles().filter(pk=article_id).first()


def public_attachment_get(article_id: int, attachment_id: int) -> ArticleAttachment | None:
    """A file of a published public article (None for any other article's)."""
    return (
        ArticleAttachment.objects.filter(
            pk=attachment_id,
            article_id=article_id,
            article__state=ArticleState.PUBLISHED,
            article__audience=Audience.PUBLIC,
        )
        .select_related("article")
        .first()
    )


def contact_verdict(article: Article, contact: Contact) -> ArticleFeedback | None:
    """What the contact said of the article last ("Was this helpful?")."""
    return ArticleFeedback.objects.filter(article=article, contact=contact).first()


def base_language(code: str) -> str:
    """ "de-at" and "de" are both German."""
    return code.strip().lower().split("-")[0]


def help_list(language: str) -> QuerySet[Article]:
    """Every public article, those in the reader's language first, then by title."""
    return public_articles().order_by(
        Case(
            When(language__iexact=language, then=Value(0)),
            When(language__istartswith=f"{base_language(language)}-", then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ),
        "title",
        "pk",
    )


def language_first(hits: list[HelpHit], language: str) -> list[HelpHit]:
    """The hits in the reader's language first, each group in rank order:
    a German customer reads a German article before an English one, and
    an English one when there is no German."""
    wanted = base_language(language)
    return sorted(hits, key=lambda hit: base_language(hit.language) != wanted)


def help_search(*, text: str, language: str, limit: int = 10) -> list[HelpHit]:
    """Public articles for the customer's words (up to QUESTION_LIMIT
    characters): the knowledge base's search (keywords and meaning) as a
    public reader, each hit checked against the article as it is now, in
    the reader's language first."""
    text = text.replace("\x00", " ").strip()[:QUESTION_LIMIT]
    if not text:
        return []
    found = search(text=text, reader=Reader(public_only=True), kinds=("article",), limit=limit)
    ids = [hit.object_id for hit in found if hit.kind == DocumentKind.ARTICLE]
    public = dict(public_articles().filter(pk__in=ids).values_list("pk", "language"))
    hits = [
        HelpHit(hit.object_id, hit.title, hit.snippet, public[hit.object_id])
        for hit in found
        if hit.object_id in public
    ]
    return language_first(hits, language)


# `![alt](attachment:router.png)` or `[manual](<attachment:User guide.pdf>)`,
# as the article editor writes them.
_ATTACHMENT_TARGET = re.compile(r"\]\(\s*(<)?attachment:([^)>\s]+|[^>)]+(?=>))(>)?")


def public_attachments(article: Article) -> list[ArticleAttachment]:
    return list(ArticleAttachment.objects.filter(article=article).order_by("filename", "pk"))


def public_body_html(article: Article, attachments: list[ArticleAttachment]) -> str:
    """A public article's Markdown as safe HTML, its `attachment:NAME`
    images and links pointing to the portal's copy of that file (the
    newest of that name). An unknown name is left as it is, so the
    sanitiser drops the link."""
    by_name: dict[str, int] = {}
    for attachment in sorted(attachments, key=lambda a: a.uploaded_at):
        by_name[attachment.filename] = attachment.pk

    def resolve(match: re.Match[str]) -> str:
        found = by_name.get(unquote(match.group(2).strip()))
        if found is None:
            return match.group(0)
        return f"]({quote(reverse('portal_kb_file', args=[article.pk, found]))}"

    body = article.body
    if "attachment:" in body:
        body = _ATTACHMENT_TARGET.sub(resolve, body)
    return markdown_html(body)


@dataclass(frozen=True)
class HelpFigures:
    """New tickets written in the portal with help articles suggested."""

    # Writings in which at least one article was suggested.
    suggested: int
    # ... in which the contact opened a suggested article.
    opened: int
    # ... that still ended in a ticket.
    ticket: int
    # ... in which the contact opened an article and opened no ticket.
    spared: int


def help_suggestion_figures(*, since: datetime) -> HelpFigures:
    """How the suggestions beside the new-ticket form were used since
    `since` (one statement). A writing ended in a ticket when its rows
    carry one (the ticket is set on all of a writing's rows at once)."""
    writings = "writing"
    counts = HelpSuggestion.objects.filter(shown_at__gte=since).aggregate(
        n_suggested=Count(writings, distinct=True),
        n_opened=Count(writings, distinct=True, filter=Q(opened_at__isnull=False)),
        n_ticket=Count(writings, distinct=True, filter=Q(ticket__isnull=False)),
        n_spared=Count(
            writings, distinct=True, filter=Q(opened_at__isnull=False, ticket__isnull=True)
        ),
    )
    return HelpFigures(
        suggested=counts["n_suggested"] or 0,
        opened=counts["n_opened"] or 0,
        ticket=counts["n_ticket"] or 0,
        spared=counts["n_spared"] or 0,
    )
