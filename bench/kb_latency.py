"""Latency of `GET /api/v1/kb/suggest` with 10,000 and 100,000 articles,
through Django's test client (every middleware, the session of a signed-in
agent), on SQLite or on PostgreSQL:

    .venv/bin/python bench/kb_latency.py                        # SQLite
    scripts/with-postgres.sh .venv/bin/python bench/kb_latency.py   # PostgreSQL
    .venv/bin/python bench/kb_latency.py --sizes 10000 --requests 100

The articles are made from the public support tickets' texts
(`../shared/data/tickets/`; the bench stops when absent): article i is
ticket i's answer under its subject, and past the data set's ~5,200
tickets a ticket's answer followed by another ticket's first sentence, so
that every article's words differ. Embedding 100,000 articles with the
model on two cores takes hours, so the articles carry the real embeddings
of their base ticket's text (as the desk's task embeds it; read from the
benches' cache, var/bench/kb-vectors.npz, computed when missing): the
search reads 100,000 stored vectors and 100,000 full-text rows all the same.
The rows are written in bulk (the database's triggers keep the full-text
index as they do for `document_put`).

Questions: short ones (a ticket's subject, a few words) and mail-length ones
(subject and body, ~100 words), from tickets, each asked once. Two figures
per kind: the whole request as the desk answers it (the question embedded
by the model in the request), and the same with the question's vector
already known, which is the search's own cost (the index, the full-text
query, the fusion, the read back).

Prints a table; JSON in bench/results/kb-latency-<stamp>-<db>.json. Exits
non-zero only on errors (any answer other than 200).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kb_data import Ticket, describe, load, pool_of  # the bench's own modules
from kb_vectors import CachingModel

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
URL = "/api/v1/kb/suggest"


def setup() -> str:
    """Django on a fresh database: SQLite in a temporary folder unless
    NETDESK_DATABASE_URL names a PostgreSQL database."""
    url = os.environ.get("NETDESK_DATABASE_URL", "")
    if not url:
        os.environ["NETDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="netdesk-kb-latency-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netdesk.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return "postgres" if url else "sqlite"


def article_text(tickets: list[Ticket], i: int) -> tuple[Ticket, str, str]:
    base = tickets[i % len(tickets)]
    title = base.answer_title
    body = base.answer
    if i >= len(tickets):
        other = tickets[(i * 7919 + 13) % len(tickets)]
        body = f"{body}\n{other.answer_title}"
    return base, title, body


def base_vectors(tickets: list[Ticket], model: CachingModel, distinct: int) -> list[bytes]:
    """Real vectors of the first `distinct` articles (as the desk's task
    embeds them: its own text and model call), to be repeated over the rest."""
    from netdesk.knowledge.search import embedding
    from netdesk.knowledge.search.embedding import embed_passages, vector_bytes

    embedding._model = model  # type: ignore[assignment]  # the bench's cache of the model
    # The task's text: title, a line break, body (embedder.passage_text).
    texts = [f"{t.answer_title}\n{t.answer}" for t in tickets[:distinct]]
    vectors = []
    for start in range(0, len(texts), 64):
        vectors += [vector_bytes(v) for v in embed_passages(texts[start : start + 64])]
        if start % 640 == 0:
            model.save()
            print(f"  real vectors {start}/{len(texts)}", flush=True)
    model.save()
    return vectors


def fill(size: int, tickets: list[Ticket], vectors: list[bytes]) -> float:
    """Articles up to `size` rows (added to what is there); seconds taken."""
    from django.db import transaction
    from django.utils import timezone

    from netdesk.core.memo import data_changed
    from netdesk.knowledge.models import SearchDocument
    from netdesk.knowledge.search.embedding import MODEL

    started = time.perf_counter()
    have = SearchDocument.objects.count()
    now = timezone.now()
    for start in range(have, size, 2_000):
        rows = []
        for i in range(start, min(size, start + 2_000)):
            base, title, body = article_text(tickets, i)
            rows.append(
                SearchDocument(
                    kind="article",
                    object_id=i + 1,
                    title=title[:300],
                    body=body,
                    language=base.language,
                    audience="internal" if i % 3 == 0 else "public",
                    live=True,
                    updated_at=now,
                    embedding=vectors[i % len(vectors)],
                    embedding_model=MODEL,
                    embedded_at=now + timedelta(seconds=1),
                )
            )
        with transaction.atomic():
            SearchDocument.objects.bulk_create(rows)
            data_changed(SearchDocument)
    analyse()
    return time.perf_counter() - started


def analyse() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        if connection.vendor == "sqlite":
            cursor.execute(
                "INSERT INTO knowledge_searchdocument_fts(knowledge_searchdocument_fts) "
                "VALUES ('optimize')"
            )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def measure(client: Any, questions: list[str], limit: int) -> dict[str, Any]:
    seconds = []
    cpu = []
    items = []
    for question in questions:
        started, cpu_started = time.perf_counter(), time.process_time()
        items.append(ask(client, question, limit))
        seconds.append(time.perf_counter() - started)
        # CPU of this process (the model's threads included): what a request
        # costs, whatever else the machine was doing meanwhile.
        cpu.append(time.process_time() - cpu_started)
    return {
        "requests": len(seconds),
        "p50_ms": round(statistics.median(seconds) * 1000, 1),
        "p90_ms": round(percentile(seconds, 0.9) * 1000, 1),
        "p99_ms": round(percentile(seconds, 0.99) * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1),
        "cpu_p50_ms": round(statistics.median(cpu) * 1000, 1),
        "cpu_p99_ms": round(percentile(cpu, 0.99) * 1000, 1),
        "mean_items": round(statistics.fmean(items), 2),
    }


def ask(client: Any, question: str, limit: int) -> int:
    """One suggestion request; the number of articles it suggested. Where
    the desk has no suggest API (an older commit), `search` itself."""
    if getattr(client, "direct", False):
        from netdesk.knowledge.search import Reader, search

        return len(search(text=question, reader=Reader(user=client.agent), limit=limit))
    response = client.get(f"{URL}?{urlencode({'q': question, 'limit': limit})}")
    if response.status_code == 404:
        client.direct = True
        return ask(client, question, limit)
    if response.status_code != 200:
        raise SystemExit(f"{URL} answered {response.status_code}: {response.content[:300]!r}")
    return len(response.json().get("items", []))


def agent_client() -> Any:
    from django.test import Client

    from netdesk.accounts.models import Role, SupportGroup
    from netdesk.accounts.services import user_create

    agent = user_create(
        username="kb-bench-agent", role=Role.HOTLINE_OPERATOR, password=secrets.token_urlsafe(16)
    )
    group = SupportGroup.objects.first()
    if group is not None:
        group.members.add(agent)
    client = Client(SERVER_NAME="localhost")
    client.force_login(agent)
    client.agent = agent  # type: ignore[attr-defined]
    return client


def versions(db: str) -> dict[str, Any]:
    import sqlite3
    import subprocess

    from django.db import connection

    found = {
        "db": db,
        "load_average_at_start": os.getloadavg(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "commit": os.environ.get("KB_BENCH_COMMIT")
        or subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        ).stdout.strip(),
    }
    if db == "sqlite":
        found["sqlite"] = sqlite3.sqlite_version
    else:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            found["postgresql"] = cursor.fetchone()[0]
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--requests", type=int, default=200, help="questions of each kind")
    parser.add_argument("--limit", type=int, default=5, help="limit= of each request")
    parser.add_argument(
        "--distinct",
        type=int,
        default=0,
        help="articles with their own real vector (0: those of the quality bench)",
    )
    args = parser.parse_args()

    loaded = load()
    print(describe(loaded), flush=True)
    # The articles the quality bench embedded first (their vectors are in
    # the cache), then the rest.
    pool = pool_of(loaded.tickets, 0.32)
    chosen = {t.number for t in pool}
    tickets = pool + [t for t in loaded.tickets if t.number not in chosen]
    db = setup()
    from netdesk.knowledge.search import embedding

    cache = CachingModel()
    vectors = base_vectors(tickets, cache, args.distinct or len(pool))
    # Questions from the end of the list, articles from all of it: a question
    # may find its own ticket's answer, as a real desk finds a solved case.
    asked = tickets[-args.requests :]
    short = [t.subject or t.answer_title for t in asked]
    # The suggest API reads at most 2,000 characters, as the agent UI sends.
    mails = [t.question[:2000] for t in asked]
    client = agent_client()
    result: dict[str, Any] = {"machine": versions(db), "sizes": {}}
    for size in [int(s) for s in args.sizes.split(",")]:
        print(f"{db}: filling to {size} articles", flush=True)
        fill_seconds = fill(size, tickets, vectors)
        gc.collect()
        row: dict[str, Any] = {"fill_seconds": round(fill_seconds, 1)}
        embedding._model = None  # the real model, as a web process has it
        # Questions embedded by an earlier round are not known to a real desk.
        forget = getattr(embedding.embed_query, "cache_clear", None)
        if forget is not None:
            forget()
        client.get(f"{URL}?{urlencode({'q': 'warm up the index'})}")
        row["rss_mib_after_index"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        for kind, questions in (("short", short), ("mail", mails)):
            row[kind] = measure(client, questions, args.limit)
            print(f"  {kind}: {row[kind]}", flush=True)
        embedding._model = cache  # type: ignore[assignment]  # vectors known: search alone
        for kind, questions in (("short", short), ("mail", mails)):
            cache.query(questions)
            row[f"{kind}_vector_known"] = measure(client, questions, args.limit)
            print(f"  {kind}, vector known: {row[f'{kind}_vector_known']}", flush=True)
        cache.save()
        row["load_average"] = os.getloadavg()
        row["via"] = "search() called directly" if getattr(client, "direct", False) else URL
        result["sizes"][str(size)] = row
    print_table(result)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"kb-latency-{stamp}-{db}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written {path.relative_to(ROOT)}")
    if db == "sqlite":
        # The throwaway database (half a gigabyte at 100,000 articles).
        shutil.rmtree(os.environ["NETDESK_DATA_DIR"], ignore_errors=True)
    return 0


def print_table(result: dict[str, Any]) -> None:
    db = result["machine"]["db"]
    print(
        f"\n{'db':<9}{'articles':>9}  {'questions':<20}{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}"
        f"{'CPU p50':>9}{'CPU p99':>9}"
    )
    for size, row in result["sizes"].items():
        for kind in ("short", "mail", "short_vector_known", "mail_vector_known"):
            figures = row[kind]
            label = kind.replace("_vector_known", ", vector known")
            print(
                f"{db:<9}{size:>9}  {label:<20}{figures['p50_ms']:>8}{figures['p90_ms']:>8}"
                f"{figures['p99_ms']:>8}{figures['cpu_p50_ms']:>9}{figures['cpu_p99_ms']:>9}"
            )


if __name__ == "__main__":
    sys.exit(main())
