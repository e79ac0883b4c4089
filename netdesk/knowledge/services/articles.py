"""Writing articles: create, change (each save a new version), move through
draft → review → published → retired. Every write indexes the article for
search in its own transaction."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.core.errors import NotFound, ValidationFailed
from netdesk.customers.models import AccessTechnology
from netdesk.knowledge.models import (
    Article,
    ArticleState,
    ArticleVersion,
    Audience,
    DocumentKind,
    Tag,
)
from netdesk.knowledge.services.documents import document_put
from netdesk.knowledge.text import markdown_text
from netdesk.noc.models import NetworkIncident
from netdesk.tickets.models import Category, Ticket

_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
_TAG = re.compile(r"^[\w][\w .+#/-]{0,59}$")
# The fields a change may carry (besides title and body), as ArticleVersion keeps them.
EDITABLE = (
    "title",
    "body",
    "audience",
    "language",
    "products",
    "technologies",
    "tags",
    "category_ids",
    "owner",
    "review_on",
    "external_id",
)


def _clean_text(cleaned: dict[str, Any]) -> None:
    for field in ("title", "body"):
        if field in cleaned:
            value = str(cleaned[field]).strip()
            if not value:
                raise ValidationFailed(f"An article needs a {field}.", field=field, value=value)
            cleaned[field] = value
    if "title" in cleaned and len(cleaned["title"]) > 200:
        raise ValidationFailed(
            "The title is longer than 200 characters.",
            field="title",
            value=cleaned["title"][:200],
            accepted="at most 200 characters",
        )
    if "external_id" in cleaned:
        cleaned["external_id"] = str(cleaned["external_id"] or "").strip()[:200]


def _clean_choices(cleaned: dict[str, Any]) -> None:
    if "audience" in cleaned and cleaned["audience"] not in Audience.values:
        raise ValidationFailed(
            "Unknown audience.",
            field="audience",
            value=cleaned["audience"],
            accepted=Audience.values,
        )
    if "language" in cleaned:
        language = str(cleaned["language"]).strip()
        if not _LANGUAGE.match(language):
            raise ValidationFailed(
                "The language is not an ISO 639-1 code.",
                field="language",
                value=language,
                accepted="a code like en, de, pt-BR",
            )
        cleaned["language"] = language
    review_on = cleaned.get("review_on")
    if review_on is not None and not isinstance(review_on, date):
        raise ValidationFailed(
            "The review date is not a date.",
            field="review_on",
            value=str(review_on),
            accepted="YYYY-MM-DD",
        )


def _clean_lists(cleaned: dict[str, Any]) -> None:
    if "technologies" in cleaned:
        technologies = [str(t).strip().lower() for t in cleaned["technologies"] if str(t).strip()]
        unknown = [t for t in technologies if t not in AccessTechnology.values]
        if unknown:
            raise ValidationFailed(
                "Unknown access technology.",
                field="technologies",
                value=unknown[0],
                accepted=AccessTechnology.values,
            )
        cleaned["technologies"] = sorted(set(technologies))
    if "products" in cleaned:
        products = [str(p).strip() for p in cleaned["products"] if str(p).strip()]
        long_names = [p for p in products if len(p) > 120]
        if long_names:
            raise ValidationFailed(
                "A product name is longer than 120 characters.",
                field="products",
                value=long_names[0][:120],
                accepted="at most 120 characters",
            )
        cleaned["products"] = sorted(set(products))
    if "tags" in cleaned:
        tags = sorted({str(t).strip().lower() for t in cleaned["tags"] if str(t).strip()})
        bad = [t for t in tags if not _TAG.match(t)]
        if bad:
            raise ValidationFailed(
                "A tag may hold letters, digits, spaces and . + # / - (at most 60).",
                field="tags",
                value=bad[0][:60],
                accepted="e.g. dhcp, router-reset",
            )
        cleaned["tags"] = tags


def _clean(changes: dict[str, Any]) -> dict[str, Any]:
    """Checks each given field; the error names the field, the value and
    what is accepted."""
    cleaned = dict(changes)
    _clean_text(cleaned)
    _clean_choices(cleaned)
    _clean_lists(cleaned)
    return cleaned


def _categories(ids: Iterable[int]) -> list[Category]:
    wanted = sorted(set(ids))
    found = list(Category.objects.filter(pk__in=wanted))
    if len(found) != len(wanted):
        missing = sorted(set(wanted) - {c.pk for c in found})
        raise ValidationFailed(
            "No such category.", field="category_ids", value=missing[0], accepted="a category id"
        )
    return found


def _tags(names: Iterable[str]) -> list[Tag]:
    names = list(names)
    Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
    return list(Tag.objects.filter(name__in=names))


def _snapshot(article: Article) -> dict[str, Any]:
    return {
        "audience": article.audience,
        "state": article.state,
        "language": article.language,
        "products": article.products,
        "technologies": article.technologies,
        "tags": sorted(t.name for t in article.tags.all()),
        "category_ids": sorted(c.pk for c in article.categories.all()),
        "owner_id": article.owner_id,
        "review_on": article.review_on.isoformat() if article.review_on else None,
        "external_id": article.external_id,
    }


def _record_version(article: Article, *, actor: User | None, note: str) -> None:
    ArticleVersion.objects.create(
        article=article,
        number=article.version,
        title=article.title,
        body=article.body,
        fields=_snapshot(article),
        changed_by=actor,
        changed_at=timezone.now(),
        note=note[:300],
    )


def article_index(article: Article) -> None:
    """Put the article's words in the search index; only published ones
    are suggested (drafts stay findable by their editors)."""
    document_put(
        kind=DocumentKind.ARTICLE,
        object_id=article.pk,
        title=article.title,
        body=markdown_text(article.body),
        language=article.language,
        audience=article.audience,
        live=article.state == ArticleState.PUBLISHED,
    )


def _apply(article: Article, cleaned: dict[str, Any]) -> None:
    for field in ("title", "body", "audience", "language", "products", "technologies"):
        if field in cleaned:
            setattr(article, field, cleaned[field])
    if "owner" in cleaned:
        article.owner = cleaned["owner"]
    if "review_on" in cleaned:
        article.review_on = cleaned["review_on"]
    if "external_id" in cleaned:
        article.external_id = cleaned["external_id"]


def _external_id_free(external_id: str, *, article_id: int | None) -> None:
    if not external_id:
        return
    others = Article.objects.filter(external_id=external_id)
    if article_id is not None:
        others = others.exclude(pk=article_id)
    taken = others.first()
    if taken is not None:
        raise ValidationFailed(
            f"The external id is already used by {taken.reference}.",
            field="external_id",
            value=external_id,
            accepted="an external id no other article has",
        )


@transaction.atomic
def article_create(
    *,
    actor: User | None,
    title: str,
    body: str,
    audience: str = Audience.INTERNAL,
    language: str = "en",
    products: Iterable[str] = (),
    technologies: Iterable[str] = (),
    tags: Iterable[str] = (),
    category_ids: Iterable[int] = (),
    owner: User | None = None,
    review_on: date | None = None,
    external_id: str = "",
    state: str = ArticleState.DRAFT,
    source_ticket: Ticket | None = None,
    source_incident: NetworkIncident | None = None,
    note: str = "",
) -> Article:
    """A new article, as version 1. Anyone who may edit drafts it; only
    those who may publish create it straight in a published state. `actor`
    None is the desk itself (an import run by an administrator)."""
    require(actor, Action.KB_EDIT)
    if state not in ArticleState.values:
        raise ValidationFailed(
            "Unknown state.", field="state", value=state, accepted=ArticleState.values
        )
    if state in (ArticleState.PUBLISHED, ArticleState.RETIRED):
        require(actor, Action.KB_PUBLISH)
    cleaned = _clean(
        {
            "title": title,
            "body": body,
            "audience": audience,
            "language": language,
            "products": list(products),
            "technologies": list(technologies),
            "tags": list(tags),
            "external_id": external_id,
            "review_on": review_on,
        }
    )
    _external_id_free(cleaned["external_id"], article_id=None)
    categories = _categories(category_ids)
    article = Article(
        state=state,
        owner=owner if owner is not None else actor,
        source_ticket=source_ticket,
        source_incident=source_incident,
    )
    _apply(article, cleaned)
    if state == ArticleState.PUBLISHED:
        article.published_at = timezone.now()
    article.save()
    article.tags.set(_tags(cleaned["tags"]))
    article.categories.set(categories)
    _record_version(article, actor=actor, note=note or "created")
    article_index(article)
    return article


def article_locked(article_id: int) -> Article:
    article = Article.objects.select_for_update().filter(pk=article_id).first()
    if article is None:
        raise NotFound(f"No article {article_id}.", field="article_id", value=article_id)
    return article


@transaction.atomic
def article_update(
    *, actor: User | None, article_id: int, note: str = "", **changes: Any
) -> Article:
    """Change an article's text or fields (any of EDITABLE). A change that
    alters nothing writes no version; otherwise the version counts up and
    the old state stays readable in its history. A published article stays
    published (its editor may publish)."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationFailed(
            "Unknown article field.", field=unknown[0], value=unknown[0], accepted=list(EDITABLE)
        )
    require(actor, Action.KB_EDIT)
    article = article_locked(article_id)
    if article.state in (ArticleState.PUBLISHED, ArticleState.RETIRED):
        require(actor, Action.KB_PUBLISH)
    cleaned = _clean(changes)
    if "external_id" in cleaned:
        _external_id_free(cleaned["external_id"], article_id=article.pk)
    before = (article.title, article.body, _snapshot(article))
    _apply(article, cleaned)
    if "tags" in cleaned:
        article.tags.set(_tags(cleaned["tags"]))
    if "category_ids" in cleaned:
        article.categories.set(_categories(cleaned["category_ids"]))
    if (article.title, article.body, _snapshot(article)) == before:
        return article
    article.version += 1
    article.save()
    _record_version(article, actor=actor, note=note)
    article_index(article)
    return article


# Who may move an article where: editors send drafts to review and back;
# publishing and retiring take the publish right.
_MOVES = {
    ArticleState.DRAFT: {ArticleState.REVIEW, ArticleState.PUBLISHED, ArticleState.RETIRED},
    ArticleState.REVIEW: {ArticleState.DRAFT, ArticleState.PUBLISHED, ArticleState.RETIRED},
    ArticleState.PUBLISHED: {ArticleState.DRAFT, ArticleState.RETIRED},
    ArticleState.RETIRED: {ArticleState.DRAFT, ArticleState.PUBLISHED},
}


@transaction.atomic
def article_state_set(
    *, actor: User | None, article_id: int, state: str, note: str = ""
) -> Article:
    """Move an article to `state` (a new version records who and why)."""
    if state not in ArticleState.values:
        raise ValidationFailed(
            "Unknown state.", field="state", value=state, accepted=ArticleState.values
        )
    require(actor, Action.KB_EDIT)
    article = article_locked(article_id)
    if article.state == state:
        return article
    allowed = _MOVES[ArticleState(article.state)]
    if state not in allowed:
        raise ValidationFailed(
            f"A {article.state} article cannot become {state}.",
            field="state",
            value=state,
            accepted=sorted(allowed),
        )
    if ArticleState.PUBLISHED in (state, article.state) or state == ArticleState.RETIRED:
        require(actor, Action.KB_PUBLISH)
    article.state = state
    if state == ArticleState.PUBLISHED:
        article.published_at = timezone.now()
    article.version += 1
    article.save()
    _record_version(article, actor=actor, note=note or f"state: {state}")
    article_index(article)
    return article
