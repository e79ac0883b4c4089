"""Dashboards at volume: with N tickets (default 1,000,000, a year of them)
the rollup backfill of the whole year, one rollup tick (the recent days the
worker recomputes every few minutes) and three more with nothing changed
(how long each spent storing its figures: on SQLite, the writer turn),
then each chart of the manager's dashboard over 30, 90 and 180 days
(median of repeated builds, goal under 300 ms a chart) and the whole
dashboard page through the real view with its query count. For
comparison, the live KPI report over the same 30 days (the scan the
precomputed figures spare each page).

On a database at NETDESK_DATABASE_URL (PostgreSQL) or in NETDESK_DATA_DIR
(SQLite); migrates and loads with bench/load_tickets.py unless --skip-load:

    scripts/with-postgres.sh python bench/dashboard.py                 # PostgreSQL
    python bench/dashboard.py --tickets 20000 --data-dir /tmp/x        # a quick check
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
REPEATS = 5
PERIODS = (30, 90, 180)


def log(message: str) -> None:
    print(f"[dashboard {datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def _timed(build: Callable[[], Any], repeats: int = REPEATS) -> tuple[float, int]:
    """Median milliseconds of `build` after one warm-up, and its queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    build()
    times = []
    queries = 0
    for _ in range(repeats):
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            build()
            times.append((time.perf_counter() - began) * 1000)
        queries = len(captured)
    return round(statistics.median(times), 1), queries


def _tick_parts(tick: Callable[[], Any]) -> dict[str, float]:
    """A rollup tick's seconds, and the milliseconds of it spent storing
    the figures: the transaction that, on SQLite, holds the desk's one
    writer turn (everything but computing the days, which runs before it)."""
    from netdesk.reports import rollups

    computing = [0.0]
    compute = rollups.day_rows

    def timed(**kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return compute(**kwargs)
        finally:
            computing[0] += time.perf_counter() - began

    rollups.day_rows = timed
    try:
        began = time.perf_counter()
        tick()
        seconds = time.perf_counter() - began
    finally:
        rollups.day_rows = compute
    return {"seconds": round(seconds, 2), "store_ms": round((seconds - computing[0]) * 1000, 1)}


def measure(backfill_days: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netdesk.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from netdesk.accounts.models import Role, User
    from netdesk.reports import dashboard_charts as charts
    from netdesk.reports.kpis import KpiScope, kpi_report
    from netdesk.reports.models import DayBreakdown, DayFigures
    from netdesk.reports.rollup_tasks import rollup_recent
    from netdesk.reports.rollups import rollup_since
    from netdesk.reports.selectors import day_start
    from netdesk.tickets.models import Ticket

    today = timezone.localdate()
    result: dict[str, Any] = {"vendor": connection.vendor, "tickets": Ticket.objects.count()}
    began = time.perf_counter()
    rows = rollup_since(since=today - timedelta(days=backfill_days))
    result["backfill"] = {
        "days": backfill_days + 1,
        "seconds": round(time.perf_counter() - began, 1),
        "day_figure_rows": DayFigures.objects.count(),
        "breakdown_rows": DayBreakdown.objects.count(),
        "written": rows,
    }
    log(f"backfill: {result['backfill']}")
    began = time.perf_counter()
    rollup_recent()
    result["tick_seconds"] = round(time.perf_counter() - began, 2)
    log(f"tick: {result['tick_seconds']} s")
    result["ticks_again"] = [_tick_parts(rollup_recent) for _ in range(3)]
    log(f"ticks again, nothing changed: {result['ticks_again']}")

    builders: dict[str, Callable[[charts.Window], Any]] = {
        key: (lambda window, b=builder: b(window, charts._daily(window)))
        for key, builder in charts.DAILY_CHARTS.items()
    }
    builders.update(charts.OTHER_CHARTS)
    result["charts_ms"] = {}
    for days in PERIODS:
        window = charts.Window(first=today - timedelta(days=days - 1), last=today)
        per_chart = {}
        for key, build in builders.items():
            ms, queries = _timed(lambda b=build, w=window: b(w))
            per_chart[key] = {"ms": ms, "queries": queries}
        result["charts_ms"][str(days)] = per_chart
        log(f"{days} days: {json.dumps(per_chart)}")

    manager, _ = User.objects.get_or_create(
        username="dashboard-bench", defaults={"role": Role.SERVICE_DESK_MANAGER}
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(manager)
    result["page_ms"] = {}
    for days in PERIODS:

        def page(days: int = days) -> None:
            response = client.get("/reports/dashboard/", {"days": days})
            assert response.status_code == 200, response.status_code

        ms, queries = _timed(page, repeats=3)
        result["page_ms"][str(days)] = {"ms": ms, "queries": queries}
    log(f"page: {result['page_ms']}")
    scope = KpiScope(
        start=day_start(today - timedelta(days=29)), end=day_start(today + timedelta(days=1))
    )
    ms, _ = _timed(lambda: kpi_report(scope), repeats=1)
    result["live_kpi_report_30_days_ms"] = ms
    log(f"live KPI report over 30 days: {ms} ms")
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
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--data-dir", help="NETDESK_DATA_DIR for SQLite")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--backfill-days", type=int, default=365)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.backfill_days)))
        return
    env = dict(os.environ)
    if args.data_dir:
        env["NETDESK_DATA_DIR"] = str(Path(args.data_dir).resolve())
        Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    if not args.skip_load:
        log("migrate")
        subprocess.run(
            [sys.executable, "-m", "netdesk", "migrate", "--no-input"],
            check=True,
            env=env,
            cwd=ROOT,
        )
        log(f"load {args.tickets:,} tickets")
        subprocess.run(
            [sys.executable, "bench/load_tickets.py", "--tickets", str(args.tickets)],
            check=True,
            env=env,
            cwd=ROOT,
        )
    out = subprocess.run(
        [sys.executable, __file__, "--measure", "--backfill-days", str(args.backfill_days)],
        check=True,
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    report = {"facts": _facts(), "results": result}
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"dashboard-{result['vendor']}-{datetime.now(UTC):%Y%m%d-%H%M}.json"
    (RESULTS / name).write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
