"""The queue by due time against the queue by priority at 1,000,000 tickets
(about 50,000 open): p50/p99 of GET /api/v1/tickets?order=due and
?order=priority, first page and a later page, one group and the whole desk,
at 1 and 16 connections, through `netdesk serve` and wrk.

Run it on PostgreSQL (`scripts/with-postgres.sh .venv/bin/python
bench/queue_due.py`); without NETDESK_DATABASE_URL it uses a scratch SQLite
database. The open tickets get their real SLA timers and service-level
summary from `netdesk sla recompute --open-only` (timed too). Results in
bench/results/queue-due-<db>-<stamp>.json, a table on stdout."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import run as base  # noqa: E402  # the load benchmark's server, wrk and version helpers

LUA = BENCH / "wrk" / "path.lua"
PAGE_DEPTH = 20  # the later page: after 20 pages of 50 (1,000 tickets in)


def wrk_path(server: str, token: str, path: str, connections: int, seconds: int) -> dict[str, Any]:
    command = [
        base.WRK,
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        server,
        "--",
        f"token={token}",
        f"path={path}",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("NETDESK_RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("NETDESK_RESULT "))
            return result
    raise RuntimeError(f"wrk gave no result:\n{done.stdout}{done.stderr}")


def later_page(server: str, token: str, path: str) -> str:
    """The path of the page PAGE_DEPTH pages in, following next_cursor."""
    current = path
    for _ in range(PAGE_DEPTH):
        request = urllib.request.Request(  # noqa: S310  # our own local server
            f"{server}{current}", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
            cursor = json.loads(answer.read())["next_cursor"]
        if not cursor:
            break
        current = f"{path}&cursor={cursor}"
    return current


# The SQL of each first page, run with EXPLAIN ANALYZE inside a NetDesk
# process: the database's own time and the index it reads, apart from the
# HTTP and Python around it (and from whatever else shares the machine).
PLAN_PROBE = """
import json, statistics
from netdesk.accounts.models import User
from netdesk.tickets.selectors import ROW_COLUMNS, ticket_filter_from_query, tickets_filtered
user = User.objects.get(username=USERNAME)
found = {}
for name, group in CASES:
    params = {"open": "1", "order": name.split("_")[0], **({"group": group} if group else {})}
    page = tickets_filtered(user=user, filters=ticket_filter_from_query(user=user, params=params))
    page = page.values(*ROW_COLUMNS)[:51]
    times, plan = [], None
    for _ in range(7):
        plan = json.loads(page.explain(format="json", analyze=True))[0]
        times.append(plan["Execution Time"])
    text = json.dumps(plan["Plan"])
    indexes = sorted({part.split('"')[0] for part in text.split('"Index Name": "')[1:]})
    found[name] = {"execution_ms_median": round(statistics.median(times), 3), "indexes": indexes}
print("PLANS " + json.dumps(found))
"""


def plans(env: dict[str, str], group: str) -> dict[str, Any]:
    cases = [
        (f"{order}_{scope}", group if scope == "group" else None)
        for order in ("due", "priority")
        for scope in ("group", "desk")
    ]
    probe = PLAN_PROBE.replace("USERNAME", repr(base.USERNAME)).replace("CASES", repr(cases))
    out = base.netdesk(env, "shell", "-c", probe)
    line = next(line for line in out.splitlines() if line.startswith("PLANS "))
    found: dict[str, Any] = json.loads(line.removeprefix("PLANS "))
    return found


def paths(group: str) -> dict[str, str]:
    return {
        f"{order}_{scope}": f"/api/v1/tickets?{where}open=1&order={order}&limit=50"
        for order in ("due", "priority")
        for scope, where in (("group", f"group={group}&"), ("desk", ""))
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--connections", default="1,16")
    parser.add_argument("--skip-load", action="store_true", help="database already loaded")
    args = parser.parse_args()
    connections = [int(c) for c in args.connections.split(",")]

    env = os.environ.copy()
    env["NETDESK_DEBUG"] = "0"
    # The per-user API limit guards a desk, not this measurement.
    env.setdefault("NETDESK_API_RATE", "10000000/minute")
    scratch = Path(tempfile.mkdtemp(prefix="netdesk-queue-due-"))
    env.setdefault("NETDESK_DATA_DIR", str(scratch))
    result: dict[str, Any] = {"started": datetime.now(UTC).isoformat(timespec="seconds")}
    base.log("migrate")
    base.netdesk(env, "migrate", "--no-input")
    if not args.skip_load:
        base.log(f"load {args.tickets:,} tickets")
        began = time.monotonic()
        subprocess.run(
            [sys.executable, str(BENCH / "load_tickets.py"), "--tickets", str(args.tickets)],
            env=env,
            check=True,
        )
        result["load_seconds"] = round(time.monotonic() - began, 1)
        base.log("timers and service-level summary of the open tickets")
        began = time.monotonic()
        base.netdesk(env, "sla", "recompute", "--open-only")
        result["recompute_open_seconds"] = round(time.monotonic() - began, 1)
    facts_path = scratch / "facts.json"
    subprocess.run(
        [sys.executable, str(BENCH / "load_tickets.py"), "--describe", str(facts_path)],
        env=env,
        check=True,
    )
    facts = json.loads(facts_path.read_text(encoding="utf-8"))
    facts.pop("search_terms", None)
    result["dataset"] = facts
    result["versions"] = base.versions(env)
    result["machine"] = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count()}
    result["commit"] = base.code_version()
    base.netdesk(env, "createuser", "--username", base.USERNAME, "--role",
                 "service_desk_manager", f"--password={base.PASSWORD}", "--group", "Hotline")  # fmt: skip
    token = base.netdesk(env, "token", "create", "--user", base.USERNAME).strip().splitlines()[-1]
    server = base.Server(env, scratch / "server.log")
    measured: dict[str, Any] = {}
    try:
        server.wait_ready()
        group = str(facts["groups"].get("Hotline") or next(iter(facts["groups"].values())))
        if result["versions"].get("database") == "postgresql":
            try:
                result["sql_plans"] = plans(env, group)
            except (RuntimeError, StopIteration, ValueError) as error:
                result["sql_plans"] = {"error": str(error)[-2000:]}
            base.log(f"plans: {result['sql_plans']}")
        scenarios = paths(group)
        for name in list(scenarios):
            if name.endswith("_desk"):
                scenarios[f"{name}_page{PAGE_DEPTH + 1}"] = later_page(
                    server.base, token, scenarios[name]
                )
        for name, path in scenarios.items():
            for count in connections:
                if args.warmup:
                    wrk_path(server.base, token, path, count, args.warmup)
                figures = wrk_path(server.base, token, path, count, args.duration)
                measured.setdefault(name, {})[str(count)] = figures
                base.log(
                    f"{name:<24} c={count:<3} {figures['rps']:8.1f} req/s  "
                    f"p50 {figures['p50_ms']:7.1f} ms  p99 {figures['p99_ms']:7.1f} ms  "
                    f"non-2xx {figures['non2xx']}"
                )
    finally:
        server.stop()
    result["scenarios"] = measured
    db = result["versions"].get("database", "db")
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    base.RESULTS.mkdir(exist_ok=True)
    out = base.RESULTS / f"queue-due-{db}-{stamp}.json"
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print("| scenario | conns | req/s | p50 ms | p99 ms | non-2xx |")
    print("|---|---|---|---|---|---|")
    for name, per in measured.items():
        for count, m in per.items():
            print(
                f"| {name} | {count} | {m['rps']:.1f} | {m['p50_ms']:.1f} | "
                f"{m['p99_ms']:.1f} | {m['non2xx']} |"
            )
    print(f"results: {out}")
    if any(m["non2xx"] for per in measured.values() for m in per.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
