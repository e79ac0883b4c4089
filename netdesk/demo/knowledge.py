"""The demo's knowledge base: articles in English and German for an ISP
desk (data/knowledge.json), loaded through `netdesk kb import`'s own code;
macros for the groups; articles linked to resolved tickets of their
categories, so their pages show reuse; a few "not helpful" flags; and the
latest resolved tickets indexed as solved cases, as resolving them in the
desk would have done."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from django.db.models import Q

from netdesk.accounts.models import SupportGroup, User
from netdesk.knowledge.importing import ImportOptions, ImportResult, import_rows
from netdesk.knowledge.importing_sources import Row
from netdesk.knowledge.models import (
    Article,
    ArticleState,
    DocumentKind,
    LinkKind,
    Macro,
    SearchDocument,
)
from netdesk.knowledge.reactions import ticket_resolved
from netdesk.knowledge.services.feedback import feedback_give
from netdesk.knowledge.services.macros import macro_create
from netdesk.knowledge.services.use import article_link
from netdesk.tickets.choices import Status
from netdesk.tickets.models import Ticket

DATA = Path(__file__).resolve().parent / "data" / "knowledge.json"
# Resolved history tickets indexed as solved cases (the newest): enough for
# suggestions to find similar tickets, few enough for the worker to embed
# them in a minute or two.
INDEXED_TICKETS = 300
# Tickets each published article is linked to as having solved them.
LINKS_PER_ARTICLE = (0, 8)
NOT_HELPFUL = [
    ("demo/en/speed-below-contract", "Does not say what to do for cable customers in the evening."),
    ("demo/en/dsl-no-sync", "Missing: what to do when the customer has no TAE socket."),
    ("demo/de/router-neustart", "Kunde hat keinen separaten Netzstecker am Modem."),
]


def _load_articles(rows: list[dict[str, Any]]) -> list[int]:
    result = ImportResult()
    import_rows(
        [Row(f"{DATA.name} article {n}", values) for n, values in enumerate(rows, start=1)],
        ImportOptions(),
        note="demo article",
        result=result,
        tick=lambda: None,
    )
    if result.skipped:
        # The demo's own file: a skipped row is a mistake in it, said at once.
        first = result.skipped[0]
        raise RuntimeError(f"{first.where}: {first.reason} ({first.detail})")
    ids = [str(row["external_id"]) for row in rows]
    return list(Article.objects.filter(external_id__in=ids).values_list("pk", flat=True))


def _load_macros(rows: list[dict[str, Any]]) -> list[int]:
    # The first group of each tier kind, as the demo's agents are placed.
    groups: dict[str, int] = {}
    for pk, kind in SupportGroup.objects.order_by("pk").values_list("pk", "tier__kind"):
        groups.setdefault(kind, pk)
    ids = []
    for row in rows:
        macro = macro_create(
            actor=None,
            name=row["name"],
            body=row["body"],
            language=row["language"],
            group_ids=[groups[kind] for kind in row["groups"] if kind in groups],
        )
        ids.append(macro.pk)
    return ids


def _resolved(created: dict[str, Any]) -> Any:
    span = created.get("tickets.Ticket") or [0, -1]
    return Ticket.objects.filter(
        pk__range=span, status__in=(Status.RESOLVED, Status.CLOSED)
    ).exclude(category=None)


def _link_articles(rng: random.Random, article_ids: list[int], created: dict[str, Any]) -> int:
    """Each published article solved a few resolved tickets of its categories."""
    resolved = _resolved(created)
    links = 0
    articles = Article.objects.filter(pk__in=article_ids, state=ArticleState.PUBLISHED)
    for article in articles.prefetch_related("categories").order_by("pk"):
        categories = [c.pk for c in article.categories.all()]
        candidates = list(
            resolved.filter(category__in=categories)
            .order_by("-pk")
            .values_list("pk", flat=True)[:60]
        )
        wanted = min(len(candidates), rng.randint(*LINKS_PER_ARTICLE))
        for ticket_id in rng.sample(candidates, wanted):
            article_link(
                actor=None, article_id=article.pk, ticket_id=ticket_id, kind=LinkKind.SOLVED
            )
            links += 1
    return links


def _flag_not_helpful(created: dict[str, Any]) -> None:
    agents = list(User.objects.filter(pk__in=created.get("users", [])).order_by("pk")[:3])
    for agent, (external_id, comment) in zip(agents, NOT_HELPFUL, strict=False):
        article = Article.objects.filter(external_id=external_id).first()
        if article is not None:
            feedback_give(article_id=article.pk, helpful=False, comment=comment, user=agent)


def _index_solved_cases(created: dict[str, Any]) -> None:
    tickets = _resolved(created).select_related("customer").order_by("-pk")[:INDEXED_TICKETS]
    for ticket in tickets:
        ticket_resolved(ticket=ticket, actor=None)


def build_knowledge(rng: random.Random, created: dict[str, Any]) -> None:
    """Articles, macros, links, flags and solved cases, recorded in
    `created` for `netdesk demo --reset`."""
    data = json.loads(DATA.read_text(encoding="utf-8"))
    created["knowledge.Article"] = _load_articles(data["articles"])
    created["knowledge.Macro"] = _load_macros(data["macros"])
    _link_articles(rng, created["knowledge.Article"], created)
    _flag_not_helpful(created)
    _index_solved_cases(created)


def knowledge_demo_delete(run_created: dict[str, Any]) -> None:
    """The demo's articles (their versions, links and flags go with them)
    and macros, and the search documents of those and of tickets no longer
    there (run after the demo's tickets are deleted)."""
    articles = run_created.get("knowledge.Article", [])
    macros = run_created.get("knowledge.Macro", [])
    SearchDocument.objects.filter(
        Q(kind=DocumentKind.ARTICLE, object_id__in=articles)
        | Q(kind=DocumentKind.MACRO, object_id__in=macros)
    ).delete()
    SearchDocument.objects.filter(kind=DocumentKind.TICKET).exclude(
        object_id__in=Ticket.objects.values("pk")
    ).delete()
    Article.objects.filter(pk__in=articles).delete()
    Macro.objects.filter(pk__in=macros).delete()
