"""Keyword search by the database's own full-text index: FTS5 with bm25 on
SQLite, the tsvector column with ts_rank on PostgreSQL (migration 0002 keeps
both). One query, the reader's filter inside it."""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Q

from netdesk.knowledge.models import SearchDocument
from netdesk.knowledge.search.terms import fold, fts5_query, tsquery_text

FTS_TABLE = "knowledge_searchdocument_fts"
VOCABULARY = "knowledge_searchdocument_vocab"
# The work one keyword query may cost, in (word, document) pairs:
# a question's words are taken rarest first until their documents add up to
# this (at least RARE_MIN words, however common). Every common word of a mail would
# otherwise have bm25 score most of the index: a 30-word mail over 100,000
# articles took ten times as long as its 12 rarest words, which rank the
# same documents first.
POSTINGS_BUDGET = 20_000
RARE_MIN = 1
# bm25 column weights: a word in the title counts three times one in the
# body, a word in a ticket's resolution half.
BM25 = f"bm25({FTS_TABLE}, 3.0, 1.0, 0.5)"
# The stemming configurations of knowledge_search_config (migration 0002).
# A question's words are stemmed in each, but a stem only counts against
# documents of its own language ('ändere' is 'and' to the German stemmer,
# which must not find every English text); the words as written ('simple')
# count against all.
STEMMED = (
    "english",
    "german",
    "french",
    "spanish",
    "portuguese",
    "italian",
    "dutch",
    "swedish",
    "danish",
    "norwegian",
    "finnish",
    "russian",
    "hungarian",
    "romanian",
    "turkish",
)
_VECTOR = "knowledge_searchdocument.search_vector"
_CONFIG = "knowledge_search_config(knowledge_searchdocument.language)"
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
        terms = _rarest_by_statistics(terms)
        text = tsquery_text(terms)
        # Any stem in any language, each lexeme once, as one query the GIN
        # index answers (32 words stemmed 16 ways, duplicates left in, made
        # the planner scan every row); then, for the rows it found, the
        # words as written or stemmed in the row's own language (a constant
        # per language: the planner computes each to_tsquery once).
        anywhere = tsquery_text(_lexemes(terms))
        branches = " ".join(f"WHEN '{c}'::regconfig THEN to_tsquery('{c}', %s)" for c in STEMMED)
        own = f"(to_tsquery('simple', %s) || CASE {_CONFIG} {branches} ELSE ''::tsquery END)"
        own_params = [text] * (1 + len(STEMMED))
        documents = documents.extra(  # noqa: S610  # constants and bound parameters only
            select={"keyword_score": f"ts_rank({_VECTOR}, {own}, {TS_RANK_NORMALISATION})"},
            select_params=own_params,
            where=[f"{_VECTOR} @@ to_tsquery('simple', %s)", f"{_VECTOR} @@ {own}"],
            params=[anywhere, *own_params],
            order_by=["-keyword_score", "id"],
        )
    else:
        terms = _rarest(terms)
        if not terms:
            return []
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
    if connection.vendor != "postgresql":
        return [(document_id, float(score)) for document_id, score in rows]
    # PostgreSQL's planner misjudges a many-word tsquery and reads every row
    # (20,000 articles: 0.4 s) where the GIN index takes 0.07 s; the choice
    # is taken from it for this one query, and given back after.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('enable_seqscan'), set_config('enable_seqscan', 'off', true)"
        )
        found = cursor.fetchone()
        try:
            return [(document_id, float(score)) for document_id, score in rows]
        finally:
            cursor.execute(
                "SELECT set_config('enable_seqscan', %s, true)", [found[0] if found else "on"]
            )


def _rarest(terms: list[str]) -> list[str]:
    """The words of `terms` found in the index, rarest first, as many as
    POSTINGS_BUDGET allows (one query to the index's vocabulary)."""
    words = sorted({fold(term) for term in terms})
    marks = ", ".join(["%s"] * len(words))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT term, doc FROM {VOCABULARY} WHERE term IN ({marks})", words)  # noqa: S608  # placeholders only
        documents = {term: int(count) for term, count in cursor.fetchall()}
    chosen: list[str] = []
    postings = 0
    for word in sorted(documents, key=lambda w: (documents[w], w)):
        if len(chosen) >= RARE_MIN and postings + documents[word] > POSTINGS_BUDGET:
            break
        chosen.append(word)
        postings += documents[word]
    return chosen


# PostgreSQL's statistics of the tsvector column (ANALYZE, run by autovacuum):
# the most common words with the share of rows holding each, and the rows.
_STATISTICS = """
    SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples
    FROM pg_stats s JOIN pg_class c ON c.oid = 'knowledge_searchdocument'::regclass
    WHERE s.schemaname = current_schema() AND s.tablename = 'knowledge_searchdocument'
        AND s.attname = 'search_vector'
"""


def _rarest_by_statistics(terms: list[str]) -> list[str]:
    """The words of `terms`, rarest first, as many as POSTINGS_BUDGET allows
    by PostgreSQL's statistics of the index (one query). A word not among
    the most common counts as often as the least common of them; without
    statistics yet (a new table) every word is kept."""
    with connection.cursor() as cursor:
        cursor.execute(_STATISTICS)
        found = cursor.fetchone()
    if found is None or not found[0] or not found[1]:
        return terms
    words, shares, rows = found
    common = dict(zip(words, shares, strict=False))
    least = min(common.values())
    documents = {term: float(common.get(term, least)) * max(float(rows), 0.0) for term in terms}
    chosen: list[str] = []
    postings = 0.0
    for term in sorted(terms, key=lambda t: (documents[t], -len(t), t)):
        if len(chosen) >= RARE_MIN and postings + documents[term] > POSTINGS_BUDGET:
            break
        chosen.append(term)
        postings += documents[term]
    return chosen


def _lexemes(terms: list[str]) -> list[str]:
    """The distinct lexemes of `terms` as written and stemmed in every
    language (one query)."""
    text = " ".join(terms)
    vectors = " || ".join(f"to_tsvector('{c}', %s)" for c in ("simple", *STEMMED))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT tsvector_to_array({vectors})", [text] * (1 + len(STEMMED))
        )  # constants and placeholders only
        found = cursor.fetchone()
    return sorted(found[0]) if found and found[0] else terms
