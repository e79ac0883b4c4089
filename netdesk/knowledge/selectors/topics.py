"""Recurring topics without an article: the resolved tickets of a period
that no article solved and no live article resembles, grouped by meaning
(their embeddings) or, for tickets not embedded yet, by category. Each group
is a candidate for an article, drafted from its most typical ticket."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from netdesk.accounts.models import User
from netdesk.knowledge.models import ArticleLink, DocumentKind, LinkKind, SearchDocument
from netdesk.knowledge.selectors.use import NOT_KNOWLEDGE
from netdesk.tickets.choices import Status
from netdesk.tickets.models import Ticket
from netdesk.tickets.selectors import tickets_visible_to

TOPIC_DAYS = 90
# The most recent tickets of the period the report groups: the grouping
# compares every pair (5,000 tickets: 25 million comparisons; the whole
# report took 1.5 to 4 s on a shared 2-core machine with 1,000 articles),
# and a topic that recurs shows within the latest ones.
TICKETS_MAX = 5_000
# Cosine similarity of e5 embeddings (tickets and articles both embedded as
# passages) above which two tickets are one topic, and above which a live
# article already covers a ticket. Measured on 2,000 labelled customer
# requests (27 intents): at 0.92 a topic's tickets share one intent for 80 %
# of them (0.90: 60 %, 0.95: 92 % but half the topics split); an article
# written for the intent reaches 0.86 for a third of its tickets while only
# 5 % of the tickets of intents without an article do (0.84: 24 %).
SAME_TOPIC = 0.92
ARTICLE_COVERS = 0.86
# A topic recurs: at least this many tickets.
TOPIC_MIN = 2
EXAMPLES_SHOWN = 5
WORDS_SHOWN = 6
# Bytes of float32 a vector may be built from (the comparison keeps rows of
# this many numbers at a time under about 64 MB).
_CHUNK_NUMBERS = 1 << 24
_WORD = re.compile(r"[^\W\d_]{3,}")
# Words that say nothing about a topic, in the desk's languages.
_STOPWORDS_TEXT = """
    the and for with not but you your our this that have has was were are from since
    can cannot could would should will been being they them there their what when
    where which who why how all any some more most very also just only into onto out
    about after again before over under then than too its it's please thanks thank
    hello dear regards customer ticket problem issue help need still does did done
    der die das und ist nicht mit von den dem des ein eine einen einem einer sie ich
    wir ihr mein meine bitte danke seit auf aus bei für fur nach noch wie was wer
    hallo grüße gruesse kein keine haben habe hat sind war wird werden kann können
    les des une est pas pour avec dans sur par que qui mon mes vous nous bonjour merci
    los las una por con para que del mis sus hola gracias esta este está como pero
    uma com não nao por para dos das meu minha obrigado olá ola está esta isso
    gli della delle con per non una sono che mio mia grazie ciao
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


@dataclass(frozen=True)
class TopicTicket:
    id: int
    reference: str
    title: str


@dataclass(frozen=True)
class Topic:
    """A group of resolved tickets about one thing no article covers."""

    size: int
    # The most typical ticket: its title names the topic, an article is
    # drafted from it.
    typical: TopicTicket
    words: list[str]
    examples: list[TopicTicket]
    # "meaning" (embeddings) or "category" (tickets not embedded yet).
    grouped_by: str
    category: str


@dataclass(frozen=True)
class TopicsReport:
    since: datetime
    until: datetime
    topics: list[Topic]
    # Resolved tickets of the period no article was linked to as solving them.
    considered: int
    # Of those, the ones a live article resembles (left out).
    covered: int
    # Of those, the ones grouped by category (not embedded yet).
    without_meaning: int
    # More tickets than TICKETS_MAX: only the latest were grouped.
    capped: bool


@dataclass
class _Row:
    ticket: TopicTicket
    words: set[str]
    category_id: int | None
    category: str
    vector: np.ndarray | None


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in STOPWORDS}


def _vector(raw: bytes | memoryview | None) -> np.ndarray | None:
    if raw is None:
        return None
    data = bytes(raw)
    if not data or len(data) % 4:
        return None
    vector = np.frombuffer(data, dtype="<f4").astype(np.float32)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else None


def _tickets(user: User, since: datetime, until: datetime) -> list[Ticket]:
    """One query: the period's resolved tickets no article solved, latest
    first (one more than TICKETS_MAX, to tell the list was cut)."""
    solved = ArticleLink.objects.filter(kind=LinkKind.SOLVED).values("ticket_id")
    return list(
        tickets_visible_to(user)
        .filter(
            status__in=(Status.RESOLVED, Status.CLOSED),
            resolved_at__gte=since,
            resolved_at__lt=until,
        )
        .exclude(resolution_code__in=NOT_KNOWLEDGE)
        .exclude(pk__in=solved)
        .select_related("category")
        .only("id", "title", "description", "category__name", "resolved_at")
        .order_by("-resolved_at", "-id")[: TICKETS_MAX + 1]
    )


def _embeddings(ticket_ids: list[int]) -> dict[int, tuple[bytes | memoryview | None, str]]:
    """One query: the current embedding (and its model) of these tickets'
    search documents; stale ones (words changed since) are left out. Read
    apart from the tickets: a subquery per ticket row made the database
    sort the vectors along with the tickets."""
    rows = SearchDocument.objects.filter(
        kind=DocumentKind.TICKET, object_id__in=ticket_ids, embedded_at__isnull=False
    ).values_list("object_id", "embedding", "embedding_model")
    return {object_id: (embedding, model) for object_id, embedding, model in rows}


def _articles(model: str, size: int) -> np.ndarray:
    """One query: the embeddings of live articles by the same model."""
    rows = SearchDocument.objects.filter(
        kind=DocumentKind.ARTICLE,
        live=True,
        embedded_at__isnull=False,
        embedding_model=model,
    ).values_list("embedding", flat=True)
    vectors = [v for v in (_vector(raw) for raw in rows) if v is not None and v.size == size]
    return np.vstack(vectors) if vectors else np.zeros((0, size), dtype=np.float32)


def _best_similarity(vectors: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Each row's highest cosine similarity to any of `others` (-1 if none)."""
    best = np.full(len(vectors), -1.0, dtype=np.float32)
    if len(others) == 0:
        return best
    step = max(1, _CHUNK_NUMBERS // len(others))
    for start in range(0, len(vectors), step):
        best[start : start + step] = (vectors[start : start + step] @ others.T).max(axis=1)
    return best


def _neighbours(vectors: np.ndarray, threshold: float) -> np.ndarray:
    """Which pairs of tickets are about the same thing (boolean n × n)."""
    count = len(vectors)
    close = np.zeros((count, count), dtype=bool)
    step = max(1, _CHUNK_NUMBERS // max(count, 1))
    for start in range(0, count, step):
        close[start : start + step] = (vectors[start : start + step] @ vectors.T) >= threshold
    return close


def _topic_words(rows: list[_Row]) -> list[str]:
    counts = Counter(word for row in rows for word in row.words)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    shared = [word for word, n in ranked if n >= 2]
    return (shared or [word for word, _n in ranked])[:WORDS_SHOWN]


def _topic(rows: list[_Row], *, grouped_by: str) -> Topic:
    """rows[0] is the most typical ticket, the others follow by likeness."""
    categories = Counter(row.category for row in rows if row.category)
    return Topic(
        size=len(rows),
        typical=rows[0].ticket,
        words=_topic_words(rows),
        examples=[row.ticket for row in rows[1 : EXAMPLES_SHOWN + 1]],
        grouped_by=grouped_by,
        category=categories.most_common(1)[0][0] if categories else "",
    )


def _by_meaning(rows: list[_Row], threshold: float, minimum: int) -> list[Topic]:
    """Greedy grouping: the ticket most tickets resemble opens a topic with
    all it resembles that no topic took yet; then the next such ticket."""
    if not rows:
        return []
    vectors = np.vstack([row.vector for row in rows if row.vector is not None])
    close = _neighbours(vectors, threshold)
    order = np.argsort(-close.sum(axis=1), kind="stable")
    taken = np.zeros(len(rows), dtype=bool)
    topics = []
    for seed in order:
        if taken[seed]:
            continue
        members = np.flatnonzero(close[seed] & ~taken)
        taken[members] = True
        if len(members) < minimum:
            continue
        likeness = vectors[members] @ vectors[seed]
        ranked = [int(members[i]) for i in np.argsort(-likeness, kind="stable")]
        ranked.remove(int(seed))
        topics.append(_topic([rows[seed], *(rows[i] for i in ranked)], grouped_by="meaning"))
    return topics


def _by_category(rows: list[_Row], minimum: int) -> list[Topic]:
    """Tickets not embedded yet, grouped by their category (none: left out);
    the most typical shares most words with the others (then the latest)."""
    groups: dict[int, list[_Row]] = {}
    for row in rows:
        if row.category_id is not None:
            groups.setdefault(row.category_id, []).append(row)
    topics = []
    for members in groups.values():
        if len(members) < minimum:
            continue
        counts = Counter(word for row in members for word in row.words)
        typical = max(members, key=lambda row: sum(counts[w] - 1 for w in row.words))
        rest = [row for row in members if row is not typical]
        topics.append(_topic([typical, *rest], grouped_by="category"))
    return topics


def _row(ticket: Ticket, embedding: bytes | memoryview | None) -> _Row:
    category = ticket.category
    return _Row(
        ticket=TopicTicket(id=ticket.pk, reference=ticket.reference, title=ticket.title),
        words=_words(f"{ticket.title} {ticket.description}"),
        category_id=ticket.category_id,
        category=category.name if category is not None else "",
        vector=_vector(embedding),
    )


@dataclass
class _Split:
    kept: list[_Row]
    covered: int
    # Embedded by another model (or size) than most: compared by category.
    other_model: list[_Row]


def _uncovered(embedded: list[_Row], models: dict[int, str], covers: float) -> _Split:
    """The embedded tickets no live article resembles, how many one does,
    and those whose embedding cannot be compared with the others."""
    if not embedded:
        return _Split([], 0, [])
    model = Counter(models[row.ticket.id] for row in embedded).most_common(1)[0][0]
    size = Counter(row.vector.size for row in embedded if row.vector is not None)
    dimension = size.most_common(1)[0][0]

    def comparable(row: _Row) -> bool:
        vector = row.vector
        return models[row.ticket.id] == model and vector is not None and vector.size == dimension

    same = [row for row in embedded if comparable(row)]
    other = [row for row in embedded if not comparable(row)]
    vectors = np.vstack([row.vector for row in same if row.vector is not None])
    best = _best_similarity(vectors, _articles(model, dimension))
    kept = [row for row, score in zip(same, best, strict=True) if score < covers]
    return _Split(kept, len(same) - len(kept), other)


def recurring_topics(
    *,
    user: User,
    since: datetime,
    until: datetime,
    same_topic: float = SAME_TOPIC,
    article_covers: float = ARTICLE_COVERS,
    minimum: int = TOPIC_MIN,
) -> TopicsReport:
    """The topics of the period's resolved tickets (those `user` may see)
    that no article solved or resembles, the biggest first. Three queries
    whatever the number of tickets: the tickets, their embeddings and the
    live articles' (fewer when there is nothing to read next)."""
    tickets = _tickets(user, since, until)
    capped = len(tickets) > TICKETS_MAX
    tickets = tickets[:TICKETS_MAX]
    embeddings = _embeddings([ticket.pk for ticket in tickets]) if tickets else {}
    rows = [_row(t, embeddings[t.pk][0] if t.pk in embeddings else None) for t in tickets]
    models = {ticket_id: model for ticket_id, (_, model) in embeddings.items()}
    split = _uncovered([row for row in rows if row.vector is not None], models, article_covers)
    plain = [row for row in rows if row.vector is None] + split.other_model
    topics = _by_meaning(split.kept, same_topic, minimum) + _by_category(plain, minimum)
    topics.sort(key=lambda topic: (-topic.size, topic.typical.title.lower()))
    return TopicsReport(
        since=since,
        until=until,
        topics=topics,
        considered=len(rows),
        covered=split.covered,
        without_meaning=len(plain),
        capped=capped,
    )
