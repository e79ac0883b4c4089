"""Ticket list exports at volume: the CSV export of N tickets (default
1,000,000) through the real view and its streamed response, with its time,
time to the first byte and the process's memory; the XLSX export of a
tenth of them (the last 36 days of a year of tickets).

Each measurement runs in a fresh process, so its peak RSS is the export's
own. On a database at NETDESK_DATABASE_URL (PostgreSQL) or in
NETDESK_DATA_DIR (SQLite); migrates and loads with bench/load_tickets.py
unless --skip-load:

    python bench/ticket_export.py --data-dir var/bench/export              # SQLite
    scripts/with-postgres.sh python bench/ticket_export.py                 # PostgreSQL
    python bench/ticket_export.py --tickets 20000 --data-dir /tmp/x        # a quick check
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def log(message: str) -> None:
    print(f"[export {datetime.now():%H:%M:%S}] {message}", flush=True)


def _rss_mib() -> float:
    """The process's resident memory now (Linux /proc)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _anonymous_mib() -> float:
    """The process's own memory (heap) now, without the database file's
    pages SQLite maps into it (mmap_size): those are the file, shared and
    dropped under pressure, and grow with what was read, not with what is held."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    return 0.0


class _AnonymousPeak:
    """The highest `_anonymous_mib` seen by a thread looking every 50 ms
    (an XLSX file is built before its first byte is read)."""

    def __init__(self) -> None:
        self.peak = _anonymous_mib()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, _anonymous_mib())

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return max(self.peak, _anonymous_mib())


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _count(user: Any, query: str) -> int:
    from django.http import QueryDict

    from netdesk.tickets.selectors import (
        ticket_filter_from_query,
        tickets_filtered,
    )

    filters = ticket_filter_from_query(user=user, params=QueryDict(query))
    return tickets_filtered(user=user, filters=filters).count()


def measure(file_format: str, query: str) -> dict[str, Any]:
    """One export through the view, read as a browser would read it."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netdesk.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from netdesk.accounts.models import Role, User

    lead, _ = User.objects.get_or_create(username="export-bench", defaults={"role": Role.TEAM_LEAD})
    client = Client(HTTP_HOST="localhost")
    client.force_login(lead)
    # A first small export loads every module the big one uses.
    warm = client.get(f"/tickets/export.{file_format}?group=all&customer=1")
    b"".join(warm.streaming_content)
    rss_before, peak_before, anon_before = _rss_mib(), _peak_mib(), _anonymous_mib()
    watcher = _AnonymousPeak()
    cpu_before = _cpu_seconds()
    began = time.perf_counter()
    response = client.get(f"/tickets/export.{file_format}?{query}")
    assert response.status_code == 200, response.status_code
    first_byte = None
    size = lines = 0
    samples: list[float] = []
    for chunk in response.streaming_content:
        if first_byte is None:
            first_byte = time.perf_counter() - began
        size += len(chunk)
        if file_format == "csv":
            lines += 1
            if lines % 100_000 == 0:
                samples.append(round(_anonymous_mib(), 1))
    took = time.perf_counter() - began
    cpu = _cpu_seconds() - cpu_before
    response.close()
    rows = lines - 1 if file_format == "csv" else _count(lead, query)
    return {
        "format": file_format,
        "query": query,
        "vendor": connection.vendor,
        "rows": rows,
        "bytes": size,
        "seconds": round(took, 2),
        "first_byte_seconds": round(first_byte or 0.0, 2),
        # The process's own CPU time: what the export costs on a machine
        # that others share (the wall time then depends on the load).
        "cpu_seconds": round(cpu, 2),
        "rows_per_second": round(rows / took) if rows else None,
        "rss_before_mib": round(rss_before, 1),
        "rss_after_mib": round(_rss_mib(), 1),
        "peak_rss_mib": round(_peak_mib(), 1),
        "peak_growth_mib": round(_peak_mib() - peak_before, 1),
        "anon_before_mib": round(anon_before, 1),
        "anon_peak_mib": round(watcher.stop(), 1),
        "anon_every_100k_rows_mib": samples,
    }


def _child(args: list[str], env: dict[str, str]) -> None:
    subprocess.run([sys.executable, *args], check=True, env=env, cwd=ROOT)


def _measured(file_format: str, query: str, env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--measure", file_format, "--query", query],
        check=True,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _facts() -> dict[str, Any]:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "commit": commit,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average": os.getloadavg(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--data-dir", help="NETDESK_DATA_DIR for SQLite")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--no-xlsx", action="store_true")
    parser.add_argument("--measure", choices=["csv", "xlsx"], help=argparse.SUPPRESS)
    parser.add_argument("--query", default="group=all", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.query)))
        return
    env = dict(os.environ)
    if args.data_dir:
        env["NETDESK_DATA_DIR"] = str(Path(args.data_dir).resolve())
        Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    if not args.skip_load:
        log("migrate")
        _child(["-m", "netdesk", "migrate", "--no-input"], env)
        log(f"load {args.tickets:,} tickets")
        _child(["bench/load_tickets.py", "--tickets", str(args.tickets)], env)
    results = [_measured("csv", "group=all", env)]
    log(f"csv: {json.dumps(results[-1])}")
    if not args.no_xlsx:
        # The newest tenth of a year of tickets: an XLSX sheet of ~100,000 rows.
        since = datetime.fromtimestamp(time.time() - 36.5 * 86400, UTC).date().isoformat()
        results.append(_measured("xlsx", f"group=all&created_after={since}", env))
        log(f"xlsx: {json.dumps(results[-1])}")
    report = {"facts": _facts(), "tickets": args.tickets, "results": results}
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"ticket-export-{results[0]['vendor']}-{datetime.now(UTC):%Y%m%d-%H%M}.json"
    (RESULTS / name).write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
