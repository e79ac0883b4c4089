"""Keyword search by the database's own full-text index: FTS5 with bm25 on
SQLite, the tsvector column with ts_rank on PostgreSQL (migration 0002 keeps
both). One query, the reader's filter inside it."""

from __future__ import annotations

from django.db import connection
from django.db.models import Q

from netdesk.knowledge.models import SearchDocument
from netdesk.knowledge.search.terms import fts5_query, tsquery_text

FTS_TABLE = "knowledge_searchdocument_fts"
# bm25 column weights: a word in the title counts three times one in the
# body, a word in a ticket's resolution half.
BM25 = f"bm25({FTS_TABLE}, 3.0, 1.0, 0.5)"
# The query's words as written and stemmed in each language the desk's
# documents are stemmed in (knowledge_search_config): a document is indexed
# in its own language, the question's language is not known.
TSQUERY_CONFIGS = ("simple", "english", "german", "french", "spanish", "portuguese", "italian")
# ts_rank normalisation 1: divide by 1 + log(length), so a long document is
# not first just for being long. Weights: title (A) 1.0, body (B) 0.4,
# answer (C) 0.2.
TS_RANK_NORMALISATION = 1


def keyword_ranked(*, terms: list[str], allowed: Q, limit: int) -> list[tuple[int, float]]:
    """(document id, keyword score) of the best `limit` documents matching
    any of `terms` within `allowed`, best first. Scores grow with relevance
    and only compare within one answer."""
    if not terms or limit <= 0:
        return []
    documents = SearchDocument.objects.filter(allowed)
    if connection.vendor == "postgresql":
        text = tsquery_text(terms)
        tsquery = "(" + " || ".join(f"to_tsquery('{c}', %s)" for c in TSQUERY_CONFIGS) + ")"
        params = [text] * len(TSQUERY_CONFIGS)
        documents = documents.extra(  # noqa: S610  # constants and bound parameters only
            select={
                "keyword_score": (
                    f"ts_rank(knowledge_searchdocument.search_vector, {tsquery}, "
                    f"{TS_RANK_NORMALISATION})"
                )
            },
            select_params=params,
            where=[f"knowledge_searchdocument.search_vector @@ {tsquery}"],
            params=params,
            order_by=["-keyword_score", "id"],
        )
    else:
        # FTS5's bm25() needs the MATCH and the rank in one query over the
        # FTS table, joined to the documents so the reader's filter applies.
        documents = documents.extra(  # noqa: S610  # constants and bound parameters only
            select={"keyword_score": f"-{BM25}"},
            tables=[FTS_TABLE],
            where=[f"{FTS_TABLE}.rowid = knowledge_searchdocument.id", f"{FTS_TABLE} MATCH %s"],
            params=[fts5_query(terms)],
            order_by=["-keyword_score", "id"],
        )
    # The checker does not see names added by extra().
    rows = documents.values_list("id", "keyword_score")[:limit]  # type: ignore[misc]
    return [(document_id, float(score)) for document_id, score in rows]
