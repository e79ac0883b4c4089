"""Reads for the article pages: the filtered list, one article with what its
page shows, its history with the differences between versions, and its
body as HTML with `attachment:` images resolved."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote, unquote

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from django.urls import reverse

from netdesk.accounts.models import User
from netdesk.accounts.permissions import ROLE_ACTIONS, Action, can
from netdesk.core.errors import NotFound
from netdesk.customers.models import AccessTechnology
from netdesk.knowledge.models import (
    Article,
    ArticleAttachment,
    ArticleState,
    ArticleVersion,
)
from netdesk.knowledge.text import markdown_html

PAGE_SIZE = 25


@dataclass(frozen=True)
class ArticleFilter:
    """What the list is narrowed to; empty values mean "any"."""

    state: str = ""
    audience: str = ""
    language: str = ""
    tag: str = ""
    product: str = ""
    technology: str = ""
    owner_id: int | None = None
    review_due: bool = False
    today: date | None = None
    # Article ids in the order a text search ranked them (None: no text search).
    ranked_ids: Sequence[int] | None = None


def _json_list_has(queryset: QuerySet[Article], column: str, value: str) -> QuerySet[Article]:
    """Articles whose JSON list `column` holds `value` exactly. PostgreSQL
    answers `@>`; SQLite has no containment on JSON, so each element is
    compared (a text match would miss names stored with escaped letters)."""
    if connection.vendor == "postgresql":
        return queryset.filter(**{f"{column}__contains": [value]})
    # `column` is one of two fixed names, never user input.
    has = RawSQL(  # noqa: S611 - the value is a parameter; the column a fixed name
        f'EXISTS (SELECT 1 FROM json_each("knowledge_article"."{column}") AS item '  # noqa: S608
        "WHERE item.value = %s)",
        (value,),
        output_field=BooleanField(),
    )
    return queryset.alias(**{f"has_{column}": has}).filter(**{f"has_{column}": True})


def articles_filtered(filters: ArticleFilter) -> QuerySet[Article]:
    """The articles matching the filters, newest change first (or in the
    text search's order); the list page pages through it."""
    queryset = Article.objects.all()
    if filters.state:
        queryset = queryset.filter(state=filters.state)
    if filters.audience:
        queryset = queryset.filter(audience=filters.audience)
    if filters.language:
        queryset = queryset.filter(language=filters.language)
    if filters.tag:
        queryset = queryset.filter(tags__name=filters.tag.strip().lower())
    if filters.product:
        queryset = _json_list_has(queryset, "products", filters.product)
    if filters.technology:
        queryset = _json_list_has(queryset, "technologies", filters.technology)
    if filters.owner_id is not None:
        queryset = queryset.filter(owner_id=filters.owner_id)
    if filters.review_due and filters.today is not None:
        queryset = queryset.filter(review_on__lte=filters.today).exclude(state=ArticleState.RETIRED)
    if filters.ranked_ids is not None:
        queryset = queryset.filter(pk__in=list(filters.ranked_ids))
    return queryset


def article_page(filters: ArticleFilter, *, page_number: int) -> Page[Article]:
    """One page of the list in a fixed number of queries: the count, the
    rows with their owner, and their tags."""
    queryset = (
        articles_filtered(filters)
        .select_related("owner")
        .prefetch_related("tags")
        .only(
            "pk",
            "title",
            "state",
            "audience",
            "language",
            "products",
            "technologies",
            "review_on",
            "version",
            "updated_at",
            "owner__username",
            "owner__first_name",
            "owner__last_name",
        )
    )
    if filters.ranked_ids is not None:
        # The rank decides; a page is a slice of the ranked ids.
        ranked = list(filters.ranked_ids)
        found = {a.pk: a for a in queryset}
        rows: list[Article] = [found[pk] for pk in ranked if pk in found]
        return Paginator(rows, PAGE_SIZE).get_page(page_number)
    return Paginator(queryset, PAGE_SIZE).get_page(page_number)


def article_get(pk: int) -> Article:
    """One article with its owner, tags and categories loaded; NotFound
    names the id."""
    article = (
        Article.objects.select_related("owner", "source_ticket", "source_incident")
        .prefetch_related("tags", "categories")
        .filter(pk=pk)
        .first()
    )
    if article is None:
        raise NotFound(f"No article {pk}.", field="article_id", value=pk)
    return article


def technology_labels(values: Iterable[str]) -> list[str]:
    """How the page names an article's access technologies ("Fibre (FTTH)")."""
    labels = dict(AccessTechnology.choices)
    return [str(labels.get(value, value)) for value in values]


def article_attachments(article_id: int) -> list[ArticleAttachment]:
    return list(
        ArticleAttachment.objects.filter(article_id=article_id)
        .select_related("uploaded_by")
        .order_by("filename", "-uploaded_at")
    )


# --- body with attachments ---------------------------------------------------------------

# `![alt](attachment:router.png)` or `[manual](<attachment:User guide.pdf>)`.
_ATTACHMENT_TARGET = re.compile(r"\]\(\s*(<)?attachment:([^)>\s]+|[^>)]+(?=>))(>)?")


def attachment_url(article_id: int, attachment_id: int) -> str:
    return reverse("kb_article_attachment", args=[article_id, attachment_id])


def body_html(
    body: str, *, article_id: int | None, attachments: Iterable[ArticleAttachment]
) -> str:
    """The article's Markdown as safe HTML, where `attachment:FILENAME`
    link targets point to that attachment's download (the newest of that
    name). An unknown name is left as it is, so the sanitiser drops the link
    and the editor sees in the preview that it does not resolve."""
    by_name: dict[str, int] = {}
    for attachment in sorted(attachments, key=lambda a: a.uploaded_at):
        by_name[attachment.filename] = attachment.pk

    def resolve(match: re.Match[str]) -> str:
        name = unquote(match.group(2).strip())
        found = by_name.get(name)
        if found is None or article_id is None:
            return match.group(0)
        return f"]({quote(attachment_url(article_id, found))}"

    if "attachment:" in body:
        body = _ATTACHMENT_TARGET.sub(resolve, body)
    return markdown_html(body)


# --- state actions -----------------------------------------------------------------------


@dataclass(frozen=True)
class StateAction:
    state: str
    label: str


# The moves article_state_set allows, labelled for the article page's
# buttons; publishing, retiring and anything out of published takes the
# publish right, the rest the edit right.
_LABELS = {
    ArticleState.REVIEW: "Send to review",
    ArticleState.PUBLISHED: "Publish",
    ArticleState.RETIRED: "Retire",
    ArticleState.DRAFT: "Back to draft",
}
_MOVES = {
    ArticleState.DRAFT: (ArticleState.REVIEW, ArticleState.PUBLISHED, ArticleState.RETIRED),
    ArticleState.REVIEW: (ArticleState.PUBLISHED, ArticleState.DRAFT, ArticleState.RETIRED),
    ArticleState.PUBLISHED: (ArticleState.RETIRED, ArticleState.DRAFT),
    ArticleState.RETIRED: (ArticleState.PUBLISHED, ArticleState.DRAFT),
}


def _needs_publish(current: str, new: str) -> bool:
    return ArticleState.PUBLISHED in (current, new) or new == ArticleState.RETIRED


def state_actions(article: Article, user: User) -> list[StateAction]:
    """The state changes this user may make to the article now."""
    if not can(user, Action.KB_EDIT):
        return []
    publisher = can(user, Action.KB_PUBLISH)
    return [
        StateAction(state=new, label=_LABELS[new])
        for new in _MOVES[ArticleState(article.state)]
        if publisher or not _needs_publish(article.state, new)
    ]


def may_edit(article: Article, user: User) -> bool:
    """Drafts and articles in review take the edit right; published and
    retired ones the publish right too (what customers read changes)."""
    if not can(user, Action.KB_EDIT):
        return False
    if article.state in (ArticleState.PUBLISHED, ArticleState.RETIRED):
        return can(user, Action.KB_PUBLISH)
    return True


# --- history -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "added" | "removed" | "context" | "hunk"
    text: str


@dataclass
class VersionDiff:
    version: ArticleVersion
    previous: ArticleVersion | None
    lines: list[DiffLine] = field(default_factory=list)


def article_versions(article_id: int) -> list[ArticleVersion]:
    """Every saved version, newest first, with who saved it (one query)."""
    return list(
        ArticleVersion.objects.filter(article_id=article_id)
        .select_related("changed_by")
        .order_by("-number")
    )


def _version_text(version: ArticleVersion) -> list[str]:
    fields: dict[str, Any] = version.fields or {}
    lines = [f"Title: {version.title}"]
    for name in sorted(fields):
        value = fields[name]
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        lines.append(f"{name.replace('_', ' ').capitalize()}: {value if value else '—'}")
    lines.append("")
    lines.extend(version.body.splitlines())
    return lines


def version_diff(versions: Sequence[ArticleVersion], number: int) -> VersionDiff:
    """The change version `number` made to the one before it (fields and
    text, line by line); version 1 is shown whole as added."""
    by_number = {v.number: v for v in versions}
    version = by_number.get(number)
    if version is None:
        raise NotFound(
            f"The article has no version {number}.",
            field="version",
            value=number,
            accepted=sorted(by_number),
        )
    previous = max((v for v in versions if v.number < number), key=lambda v: v.number, default=None)
    before = _version_text(previous) if previous is not None else []
    diff = VersionDiff(version=version, previous=previous)
    for line in difflib.unified_diff(before, _version_text(version), lineterm="", n=3):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            diff.lines.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            diff.lines.append(DiffLine("added", line[1:]))
        elif line.startswith("-"):
            diff.lines.append(DiffLine("removed", line[1:]))
        else:
            diff.lines.append(DiffLine("context", line[1:]))
    return diff


def editors() -> QuerySet[User]:
    """People who may own an article (those with the edit right)."""
    roles = [role for role, actions in ROLE_ACTIONS.items() if Action.KB_EDIT in actions]
    return User.objects.filter(is_active=True, role__in=roles).order_by("username")
