"""Hybrid search: the keyword ranking of the database's full-text index
fused with the ranking by meaning (embeddings), by reciprocal rank.

A fixed number of queries whatever is found: the data versions (once per
request), the keyword query, and one query that reads the fused
candidates back through the reader's filter (so a hit found by meaning is
still checked against what the reader may see and against the documents
as they are now)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from netdesk.knowledge.models import DocumentKind, SearchDocument
from netdesk.knowledge.search.embedding import embed_query
from netdesk.knowledge.search.keyword import keyword_ranked
from netdesk.knowledge.search.terms import query_terms
from netdesk.knowledge.search.types import Hit, Reader
from netdesk.knowledge.search.vectors import vector_index
from netdesk.knowledge.search.visibility import visible

QUERY_LIMIT = 2_000
LIMIT_MAX = 50
SNIPPET_LENGTH = 240
# Reciprocal rank fusion: a document's score is the sum over the rankings
# it appears in of 1 / (RRF_K + rank). 60 is the constant of the original
# paper; the scores are divided by the best possible (first in both).
RRF_K = 60
# How deep each ranking is read before fusion, per result asked for.
DEPTH = 4
DEPTH_MIN = 20
# Below this cosine a document's meaning is too far from the question to
# suggest it on meaning alone (e5's cosines of unrelated texts sit around
# 0.7; measured on the tickets data set, docs/knowledge.md).
SEMANTIC_FLOOR = 0.80


def _clean(text: str) -> str:
    # No NUL, no lone surrogate (the model reads UTF-8, the database stores it).
    text = text.encode("utf-8", "replace").decode("utf-8").replace("\x00", " ")
    return text[:QUERY_LIMIT].strip()


def _fused(rankings: Sequence[list[tuple[int, float]]]) -> list[tuple[int, float]]:
    """Document ids by fused score (0..1), best first."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, (document_id, _) in enumerate(ranking, start=1):
            scores[document_id] = scores.get(document_id, 0.0) + 1.0 / (RRF_K + rank)
    best = len(rankings) / (RRF_K + 1)
    ordered = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return [(document_id, min(score / best, 1.0)) for document_id, score in ordered]


def _fold_pattern(terms: list[str]) -> re.Pattern[str] | None:
    if not terms:
        return None
    return re.compile("|".join(re.escape(term) for term in terms), re.IGNORECASE)


def snippet_of(text: str, pattern: re.Pattern[str] | None) -> str:
    """At most SNIPPET_LENGTH characters of `text`: around the first word
    that matched, else its start; cut at spaces, marked with … where cut."""
    text = " ".join(text.split())
    if len(text) <= SNIPPET_LENGTH:
        return text
    found = pattern.search(text) if pattern is not None else None
    start = 0
    if found is not None and found.start() > SNIPPET_LENGTH // 3:
        start = found.start() - SNIPPET_LENGTH // 3
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < found.start() else start
    room = SNIPPET_LENGTH - (1 if start else 0) - 1
    piece = text[start : start + room]
    if start + room < len(text):
        space = piece.rfind(" ")
        piece = (piece[:space] if space > room // 2 else piece).rstrip() + "…"
    return ("…" if start else "") + piece


def _hits(
    fused: list[tuple[int, float]],
    *,
    allowed_documents: dict[int, SearchDocument],
    terms: list[str],
) -> list[Hit]:
    pattern = _fold_pattern(terms)
    hits = []
    for document_id, score in fused:
        document = allowed_documents.get(document_id)
        if document is None:
            continue
        text = document.body or document.answer
        hits.append(
            Hit(
                kind=document.kind,
                object_id=document.object_id,
                title=document.title,
                snippet=snippet_of(text, pattern),
                answer=document.answer if document.kind == DocumentKind.TICKET else "",
                score=round(score, 4),
                audience=document.audience,
                language=document.language,
            )
        )
    return hits


def _semantic(
    text: str, *, reader: Reader, kinds: Sequence[str], include_unpublished: bool, depth: int
) -> list[tuple[int, float]]:
    index = vector_index.get()
    if index.size == 0:
        return []
    nearest = index.nearest(
        embed_query(text),
        kinds=kinds,
        public_only=reader.public,
        live_only=not include_unpublished,
        limit=depth,
    )
    return [(document_id, cosine) for document_id, cosine in nearest if cosine >= SEMANTIC_FLOOR]


def search(
    *,
    text: str,
    reader: Reader,
    kinds: Sequence[str] = (DocumentKind.ARTICLE,),
    limit: int = 10,
    include_unpublished: bool = False,
    semantic: bool = True,
) -> list[Hit]:
    """The best `limit` documents of `kinds` for `text` (a few words or a
    whole mail, at most QUERY_LIMIT characters are read) that `reader` may
    see, best first. Without embeddings (none computed yet, or
    `semantic=False`) the keyword ranking alone."""
    text = _clean(text)
    limit = max(0, min(limit, LIMIT_MAX))
    if not text or limit == 0:
        return []
    terms = query_terms(text)
    allowed = visible(reader, kinds=kinds, include_unpublished=include_unpublished)
    depth = max(limit * DEPTH, DEPTH_MIN)
    rankings = [keyword_ranked(terms=terms, allowed=allowed, limit=depth)]
    if semantic:
        rankings.append(
            _semantic(
                text,
                reader=reader,
                kinds=kinds,
                include_unpublished=include_unpublished,
                depth=depth,
            )
        )
    fused = _fused([ranking for ranking in rankings if ranking] or [[]])
    # Read back more than asked: a candidate found by meaning may be out of
    # the reader's sight (a ticket of another group) or gone.
    candidates = fused[: depth * 2]
    if not candidates:
        return []
    documents = SearchDocument.objects.filter(allowed, pk__in=[d for d, _ in candidates]).only(
        "id", "kind", "object_id", "title", "body", "answer", "audience", "language"
    )
    found = {document.pk: document for document in documents}
    return _hits(candidates, allowed_documents=found, terms=terms)[:limit]


def keyword_search(
    *,
    text: str,
    reader: Reader,
    kinds: Sequence[str] = (DocumentKind.ARTICLE,),
    limit: int = 10,
    include_unpublished: bool = False,
) -> list[Hit]:
    """The keyword ranking alone (the full-text index, no embeddings)."""
    return search(
        text=text,
        reader=reader,
        kinds=kinds,
        limit=limit,
        include_unpublished=include_unpublished,
        semantic=False,
    )
