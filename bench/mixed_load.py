"""The mixed workload of a desk at a fixed rate (open model), below
saturation, with the memory of every server process sampled.

1. migrate and load N tickets (`load_tickets.py`, default 1,000,000) unless
   `--skip-load`, plus a small network for alarms (`noc.py`'s builder);
2. start `netdesk serve` (its web workers and the background worker);
3. capacity: a closed loop of the same mix on `--closed-connections`
   connections for `--capacity-seconds`;
4. the mix at a fixed rate at each of `--levels` (default 50, 75 and 90 %)
   of that capacity, `--seconds` each after `--warmup` seconds not counted;
   latency from each request's intended start (`openload.py`);
5. `--soak SECONDS`: the mix at 75 % for that long, resident memory (RSS)
   of each web worker and the background worker every few seconds, and the
   slope of a straight line through the last 8 minutes.

The mix: queue API 20 %, HTML queue 10 %, ticket detail 30 %, customer
search 20 %, create 5 %, update (PATCH urgency) 5 %, alarm batches of 10 to
/api/v1/noc/alarms 10 %. Creates and alarms grow the database as it runs.

    python bench/mixed_load.py --tickets 20000 --capacity-seconds 5 --seconds 10
    python bench/mixed_load.py --data-dir DIR --skip-load         # SQLite, reused
    scripts/with-postgres.sh python bench/mixed_load.py          # PostgreSQL
    python bench/mixed_load.py --data-dir DIR --skip-load --soak 600 --levels ""
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

BENCH = Path(__file__).resolve().parent
# As a script and as `bench.mixed_load` (its tests): the repository root for
# `bench.*`, the bench folder for noc.py's own `from run import ...`.
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

from bench import run  # noqa: E402
from bench.cpu_probe import probe_ms  # noqa: E402
from bench.openload import Request, Sample, run_closed, run_open, schedule, summarise  # noqa: E402

MIX = {
    "queue_api": 20,
    "queue_html": 10,
    "detail": 30,
    "search": 20,
    "create": 5,
    "update": 5,
    "alarms": 10,
}
READS = {"queue_api", "queue_html", "detail", "search"}
WRITES = {"create", "update", "alarms"}
NOC_USER = f"bench-noc-{run.USERNAME.removeprefix('bench-')}"
ALARM_SUBSCRIBERS = 2000


class Desk:
    """Builds the requests of the mix from the loaded database's facts."""

    def __init__(self, facts: dict[str, Any], tokens: dict[str, str], cookie: str | None) -> None:
        self.rng = random.Random(20261205)
        self.groups = [str(pk) for pk in facts["groups"].values()]
        self.customers = facts["customers"]
        self.tickets = facts["tickets"]
        self.terms = facts["search_terms"]
        self.open_refs = facts["open_refs"]
        self.api = (("Authorization", f"Bearer {tokens['desk']}"), ("Accept", "application/json"))
        self.noc = (("Authorization", f"Bearer {tokens['noc']}"), ("Accept", "application/json"))
        self.cookie = cookie
        kinds = [k for k in MIX if cookie is not None or k != "queue_html"]
        self.kinds, self.weights = kinds, [MIX[k] for k in kinds]
        self.olts = [f"BN-OLT-{a:02d}-{o:02d}" for a in range(20) for o in range(50)]

    def ticket_ref(self) -> str:
        return f"TT-{self.rng.randint(*self.tickets):06d}"

    def json_body(self, kind: str, method: str, path: str, data: Any, noc: bool = False) -> Request:
        headers = (*(self.noc if noc else self.api), ("Content-Type", "application/json"))
        return Request(kind, method, path, json.dumps(data).encode(), headers)

    def alarms(self) -> Request:
        batch = []
        for _ in range(10):
            element = self.rng.choice(self.olts)
            if self.rng.random() < 0.1:
                name, severity = "PonLos", "major"
            else:
                name = self.rng.choice(["HighTemp", "FanFail", "OpticalLow", "CpuHigh"])
                severity = self.rng.choice(["minor", "warning"])
            batch.append(
                {
                    "name": name,
                    "element": element,
                    "severity": severity,
                    "summary": f"{name} on {element}",
                    "labels": {"port": f"1/{self.rng.randint(1, 16)}"},
                }
            )
        return self.json_body("alarms", "POST", "/api/v1/noc/alarms", {"alarms": batch}, noc=True)

    def build(self, kind: str) -> Request:
        rng = self.rng
        if kind == "queue_api":
            group = rng.choice(self.groups)
            path = f"/api/v1/tickets?group={group}&open=true&order=priority&limit=50"
            return Request(kind, "GET", path, headers=self.api)
        if kind == "queue_html":
            html = (("Cookie", self.cookie or ""), ("Accept", "text/html"))
            return Request(kind, "GET", f"/?group={rng.choice(self.groups)}", headers=html)
        if kind == "detail":
            return Request(kind, "GET", f"/api/v1/tickets/{self.ticket_ref()}", headers=self.api)
        if kind == "search":
            query = urllib.parse.quote(rng.choice(self.terms))
            return Request(kind, "GET", f"/api/v1/customers?q={query}", headers=self.api)
        if kind == "create":
            body = {
                "customer_id": rng.randint(*self.customers),
                "ticket_type": "fault",
                "channel": "phone",
                "title": "No internet since this morning",
                "description": "Router shows red DSL light; customer restarted it twice.",
            }
            return self.json_body(kind, "POST", "/api/v1/tickets", body)
        if kind == "update":
            path = f"/api/v1/tickets/{rng.choice(self.open_refs)}"
            return self.json_body(kind, "PATCH", path, {"urgency": rng.randint(1, 3)})
        return self.alarms()

    def next_request(self) -> Request:
        return self.build(self.rng.choices(self.kinds, self.weights)[0])

    def plan(self, rate: float, seconds: float) -> Iterator[tuple[float, Request]]:
        for offset in schedule(int(rate * seconds), rate):
            yield offset, self.next_request()


class MemorySampler(threading.Thread):
    """Resident memory (VmRSS) of `netdesk serve` and every process under
    it, every `interval` seconds, from /proc."""

    def __init__(self, root_pid: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.root_pid, self.interval = root_pid, interval
        self.samples: list[tuple[float, Snapshot]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.samples.append((time.monotonic(), processes_under(self.root_pid)))
            self.stopping.wait(self.interval)

    def stop(self) -> None:
        self.stopping.set()
        self.join()

    def since(self, began: float) -> list[tuple[float, Snapshot]]:
        return [(t, found) for t, found in self.samples if t >= began]


class Reading(NamedTuple):
    """One process at one moment: its role, resident memory in all (VmRSS)
    and its private part (RssAnon: heap and stacks, without the pages of
    files it maps, such as SQLite's memory-mapped database, which the
    kernel can drop at any time)."""

    role: str
    rss_mib: float
    anon_mib: float
    threads: int = 0  # how many threads it ran (granian starts and retires them)


Snapshot = dict[int, Reading]
MEASURES: tuple[tuple[str, Callable[[Reading], float]], ...] = (
    ("", lambda reading: reading.rss_mib),
    ("anon_", lambda reading: reading.anon_mib),
)


def processes_under(root: int) -> Snapshot:
    """pid -> Reading for `root` and its descendants."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: Snapshot = {}
    todo = [root]
    while todo:
        pid = todo.pop()
        todo.extend(child for child, parent in parents.items() if parent == pid)
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        kib = {
            line.split(":")[0]: int(line.split()[1])
            for line in status.splitlines()
            if line.startswith(("VmRSS", "RssAnon", "Threads"))
        }
        role = role_of(pid, root, command)
        found[pid] = Reading(
            role, kib.get("VmRSS", 0) / 1024, kib.get("RssAnon", 0) / 1024, kib.get("Threads", 0)
        )
    return found


def role_of(pid: int, root: int, command: str) -> str:
    if pid == root:
        return "serve (granian main)"
    if "netdesk worker" in command:
        return "background worker"
    if "multiprocessing" in command and "resource_tracker" in command:
        return "resource tracker"
    return "web worker"


def peaks(samples: list[tuple[float, Snapshot]]) -> dict[str, Any]:
    """Per role: the highest RSS (and private RSS) one process reached, and
    how many processes had that role."""
    per_pid: dict[int, Reading] = {}
    for _, found in samples:
        for pid, reading in found.items():
            seen = per_pid.get(pid, Reading(reading.role, 0.0, 0.0))
            per_pid[pid] = Reading(
                reading.role,
                max(seen.rss_mib, reading.rss_mib),
                max(seen.anon_mib, reading.anon_mib),
            )
    roles: dict[str, Any] = {}
    for reading in per_pid.values():
        entry = roles.setdefault(
            reading.role, {"processes": 0, "peak_mib": 0.0, "peak_anon_mib": 0.0}
        )
        entry["processes"] += 1
        entry["peak_mib"] = round(max(entry["peak_mib"], reading.rss_mib), 1)
        entry["peak_anon_mib"] = round(max(entry["peak_anon_mib"], reading.anon_mib), 1)
    return roles


def slope_per_minute(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MiB) points, in MiB per minute."""
    if len(points) < 2:
        return 0.0
    mean_t = sum(t for t, _ in points) / len(points)
    mean_m = sum(m for _, m in points) / len(points)
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    if spread == 0:
        return 0.0
    return 60.0 * sum((t - mean_t) * (m - mean_m) for t, m in points) / spread


def soak_memory(
    samples: list[tuple[float, Snapshot]], began: float, fit_from: float
) -> list[dict[str, Any]]:
    """Per process: MiB at the start, at the start of the fit window and at
    the end, peak, and the slope through the window; RSS and private RSS."""
    series: dict[int, list[tuple[float, Reading]]] = {}
    for t, found in samples:
        for pid, reading in found.items():
            series.setdefault(pid, []).append((t - began, reading))
    rows = []
    for pid, points in sorted(series.items()):
        window = [(t, r) for t, r in points if t >= fit_from]
        if not window:
            continue
        row: dict[str, Any] = {"pid": pid, "role": points[-1][1].role, "samples": len(points)}
        row["threads_min"] = min(r.threads for _, r in points)
        row["threads_max"] = max(r.threads for _, r in points)
        # Private MiB at each whole minute: a step (a heavy tick's data, a
        # thread started) tells itself apart from steady growth.
        by_minute: dict[int, float] = {}
        for t, r in points:
            by_minute.setdefault(int(t // 60), round(r.anon_mib, 1))
        row["anon_by_minute_mib"] = list(by_minute.values())
        for name, pick in MEASURES:
            row[f"{name}start_mib"] = round(pick(points[0][1]), 1)
            row[f"{name}fit_start_mib"] = round(pick(window[0][1]), 1)
            row[f"{name}end_mib"] = round(pick(points[-1][1]), 1)
            row[f"{name}peak_mib"] = round(max(pick(r) for _, r in points), 1)
            row[f"{name}slope_mib_per_min"] = round(
                slope_per_minute([(t, pick(r)) for t, r in window]), 3
            )
        rows.append(row)
    return rows


class Serve(run.Server):
    """`netdesk serve` with the web worker and thread counts given."""

    def __init__(self, env: dict[str, str], log_path: Path, extra: list[str]) -> None:
        self.port = run.free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.log_file = log_path.open("w")
        command = [str(run.BIN / "netdesk"), "serve", "--host", "127.0.0.1"]
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port), *extra],
            env=env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def open_run(
    server: Serve, desk: Desk, rate: float, seconds: float, warmup: float, cap: int
) -> list[Sample]:
    """The mix at `rate` for warmup + seconds; only the samples after the
    warm-up are returned."""
    plan = list(desk.plan(rate, warmup + seconds))
    samples = asyncio.run(run_open("127.0.0.1", server.port, plan, max_connections=cap))
    if not samples:
        return samples
    start = min(s.intended for s in samples)
    return [s for s in samples if s.intended - start >= warmup]


def prepare(env: dict[str, str], scratch: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Migrate, load, describe; users, tokens and the network for alarms."""
    run.log("migrate")
    run.netdesk(env, "migrate", "--no-input")
    prepared: dict[str, Any] = {}
    if not args.skip_load:
        run.log(f"load {args.tickets:,} tickets")
        began = time.monotonic()
        load = [sys.executable, str(BENCH / "load_tickets.py"), "--tickets", str(args.tickets)]
        subprocess.run(load, env=env, check=True)
        prepared["load_seconds"] = round(time.monotonic() - began, 1)
    open_path = scratch / "open.json"
    network = [sys.executable, __file__, "--build-network", str(open_path)]
    subprocess.run(network, env=env, check=True)
    facts_path = scratch / "facts.json"
    describe = [sys.executable, str(BENCH / "load_tickets.py"), "--describe", str(facts_path)]
    subprocess.run(describe, env=env, check=True)
    prepared["facts"] = json.loads(facts_path.read_text(encoding="utf-8"))
    prepared["facts"].update(json.loads(open_path.read_text(encoding="utf-8")))
    run.netdesk(env, "createuser", "--username", run.USERNAME, "--role", "service_desk_manager",
                f"--password={run.PASSWORD}", "--group", "Hotline")  # fmt: skip
    run.netdesk(env, "createuser", "--username", NOC_USER, "--role", "noc_engineer",
                f"--password={run.PASSWORD}", "--group", "NOC")  # fmt: skip
    prepared["tokens"] = {
        "desk": run.netdesk(env, "token", "create", "--user", run.USERNAME).split()[-1],
        "noc": run.netdesk(env, "token", "create", "--user", NOC_USER).split()[-1],
    }
    return prepared


def row_text(label: str, summary: dict[str, Any]) -> str:
    reads = summary["kinds"].get("reads", {}).get("latency", {})
    client = summary["client"]
    return (
        f"{label}: {summary['requests']} requests, reads p50 {reads.get('p50_ms')} ms "
        f"p99 {reads.get('p99_ms')} ms p99.9 {reads.get('p99.9_ms')} ms; client dispatch "
        f"lag p99 {client['dispatch_lag_p99_ms']} ms"
    )


def measure(env: dict[str, str], scratch: Path, args: argparse.Namespace) -> dict[str, Any]:
    prepared = prepare(env, scratch, args)
    facts = prepared.pop("facts")
    terms = facts.get("search_terms", [])
    result: dict[str, Any] = {
        **prepared,
        "dataset": {k: v for k, v in facts.items() if k not in {"search_terms", "open_refs"}},
        "search_terms": len(terms),
        "mix_percent": MIX,
        "api_rate": args.api_rate,
        "versions": run.versions(env),
        "load_average_at_start": os.getloadavg(),
        "cpu_probe_ms_at_start": probe_ms(),
        "levels": {},
    }
    tokens = result.pop("tokens")
    server = Serve(env, scratch / "server.log", args.serve_args.split())
    sampler: MemorySampler | None = None
    try:
        server.wait_ready()
        run.log(f"server up on {server.base}")
        result["client_nice"] = client_priority(args.client_nice)
        cookie, why_not = run.session_cookie(server.base)
        if cookie is None:
            result["notes"] = [f"queue_html left out: {why_not}"]
        desk = Desk(facts, tokens, cookie)
        sampler = MemorySampler(server.process.pid, args.rss_interval)
        sampler.start()
        if args.capacity:
            # A capacity measured before (a quiet run): the same rates in
            # runs compared with each other, whatever else the machine does.
            result["capacity"] = {"rps": args.capacity, "given": True, "failed": 0}
        else:
            result["capacity"] = capacity(server, desk, args)
        rps = result["capacity"]["rps"]
        for level in args.levels:
            # Taken with the server up and idle: how fast the machine runs
            # now, to tell a slow moment of a shared machine from a slow desk.
            probe = probe_ms()
            began = time.monotonic()
            samples = open_run(server, desk, rps * level / 100, args.seconds, args.warmup, args.cap)
            if args.samples:
                samples_write(args.samples, level, samples)
            summary = summarise(samples, groups={"reads": READS, "writes": WRITES})
            summary["rate"] = round(rps * level / 100, 1)
            summary["cpu_probe_ms"] = probe
            summary["memory"] = peaks(sampler.since(began))
            summary["server_errors_logged"] = server.errors_since(0)
            result["levels"][str(level)] = summary
            run.log(row_text(f"{level} % ({summary['rate']} req/s), cpu probe {probe} ms", summary))
        if args.soak:
            result["soak"] = soak(server, desk, sampler, rps * 0.75, args)
        result["memory_peak"] = peaks(sampler.samples)
    finally:
        if sampler is not None:
            sampler.stop()
        server.stop()
        result["server_log_tail"] = server.log_path.read_text(errors="replace")[-2000:]
    return result


def samples_write(path: Path, level: int, samples: list[Sample]) -> None:
    """Append the level's requests to a CSV file (one row each)."""
    start = min((s.intended for s in samples), default=0.0)
    fresh = not path.exists()
    with path.open("a", newline="") as out:
        rows = csv.writer(out)
        if fresh:
            rows.writerow(["level", "at_s", "kind", "latency_ms", "service_ms", "status"])
        for s in sorted(samples, key=lambda s: s.intended):
            rows.writerow(
                [
                    level,
                    f"{s.intended - start:.4f}",
                    s.kind,
                    f"{s.latency * 1000:.2f}",
                    f"{s.service_time * 1000:.2f}",
                    s.status,
                ]
            )


def client_priority(nice: int) -> int:
    """Raise this process's scheduling priority (after the server started,
    so the server does not inherit it): on a machine it shares with the
    server, a starved client would send late and report its own lag as the
    server's. Returns the nice value in effect."""
    if nice:
        try:
            os.setpriority(os.PRIO_PROCESS, 0, nice)
        except PermissionError:
            run.log(f"could not set nice {nice} (needs root); the client runs at the default")
    return os.getpriority(os.PRIO_PROCESS, 0)


def capacity(server: Serve, desk: Desk, args: argparse.Namespace) -> dict[str, Any]:
    run.log(f"capacity: closed loop, {args.closed_connections} connections")
    asyncio.run(
        run_closed("127.0.0.1", server.port, desk.next_request, connections=args.closed_connections,
                   seconds=args.warmup)
    )  # fmt: skip
    samples = asyncio.run(
        run_closed("127.0.0.1", server.port, desk.next_request, connections=args.closed_connections,
                   seconds=args.capacity_seconds)
    )  # fmt: skip
    summary = summarise(samples, groups={"reads": READS, "writes": WRITES})
    good = sum(1 for s in samples if not s.error and 200 <= s.status < 300)
    found = {
        "connections": args.closed_connections,
        "seconds": summary["seconds"],
        "rps": round(good / summary["seconds"], 1),
        "requests": summary["requests"],
        "failed": summary["requests"] - good,
        "kinds": summary["kinds"],
    }
    run.log(f"capacity: {found['rps']} req/s ({found['failed']} failed)")
    return found


def soak(
    server: Serve, desk: Desk, sampler: MemorySampler, rate: float, args: argparse.Namespace
) -> dict[str, Any]:
    """The mix at `rate` for --soak seconds; memory slope through the last
    8 minutes (or the last 80 % when shorter than 10 minutes)."""
    run.log(f"soak: {args.soak} s at {rate:.1f} req/s")
    began = time.monotonic()
    samples = open_run(server, desk, rate, args.soak, 0.0, args.cap)
    fit_from = max(args.soak - 480.0, args.soak * 0.2)
    summary = summarise(samples, groups={"reads": READS, "writes": WRITES})
    memory = soak_memory(sampler.since(began), began, fit_from)
    for row in memory:
        run.log(
            f"soak {row['role']} {row['pid']}: private {row['anon_fit_start_mib']} -> "
            f"{row['anon_end_mib']} MiB, slope {row['anon_slope_mib_per_min']} MiB/min; "
            f"RSS slope {row['slope_mib_per_min']} MiB/min; "
            f"threads {row['threads_min']}-{row['threads_max']}; private by minute "
            f"{row['anon_by_minute_mib']}"
        )
    return {
        "seconds": args.soak,
        "rate": round(rate, 1),
        "fit_from_s": fit_from,
        "memory": memory,
        "latency": summary,
    }


def markdown(runs: list[dict[str, Any]]) -> str:
    lines = [
        "| DB | tickets | level | req/s | kind | p50 ms | p99 ms | p99.9 ms | max ms | non-2xx "
        "| client lag p99 ms |",
        "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for result in runs:
        count = result["dataset"].get("ticket_count", 0)
        capacity_rps = result["capacity"]["rps"]
        how = "given" if result["capacity"].get("given") else "closed loop"
        lines.append(f"| {result['db']} | {count:,} | capacity | {capacity_rps} | {how} "
                     f"| | | | | {result['capacity']['failed']} | |")  # fmt: skip
        for level, summary in result["levels"].items():
            lag = summary["client"]["dispatch_lag_p99_ms"]
            for kind in [*MIX, "reads", "writes"]:
                row = summary["kinds"].get(kind)
                if row is None:
                    continue
                latency = row["latency"]
                failed = row["non2xx"] + row["errors"]
                lines.append(
                    f"| {result['db']} | {count:,} | {level} % | {summary['rate']} | {kind} "
                    f"| {latency['p50_ms']} | {latency['p99_ms']} | {latency['p99.9_ms']} "
                    f"| {latency['max_ms']} | {failed} | {lag} |"
                )
    lines += [
        "",
        "| DB | phase | process | peak RSS MiB | peak private MiB | private start → end MiB "
        "| private slope MiB/min | RSS slope MiB/min |",
        "|---|---|---|---:|---:|---|---:|---:|",
    ]
    for result in runs:
        for role, entry in result.get("memory_peak", {}).items():
            lines.append(f"| {result['db']} | whole run | {role} ({entry['processes']}) "
                         f"| {entry['peak_mib']} | {entry['peak_anon_mib']} | | | |")  # fmt: skip
        for row in result.get("soak", {}).get("memory", []):
            lines.append(
                f"| {result['db']} | soak {result['soak']['seconds']:.0f} s | {row['role']} "
                f"{row['pid']} | {row['peak_mib']} | {row['anon_peak_mib']} "
                f"| {row['anon_fit_start_mib']} → {row['anon_end_mib']} "
                f"| {row['anon_slope_mib_per_min']} | {row['slope_mib_per_min']} |"
            )
    return "\n".join(lines) + "\n"


def build_network(facts_path: Path) -> None:
    """The alarm mix's elements (1,000 OLTs) and a few subscribers on them,
    in this process's database (noc.py's builder); and open tickets for the
    updates (an agent changes open tickets; closed ones answer 409)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netdesk.settings")
    django.setup()
    import noc  # type: ignore[import-not-found]

    from netdesk.tickets.models import Ticket
    from netdesk.tickets.models.ticket import reference_for

    noc.build_network(ALARM_SUBSCRIBERS)
    ids = Ticket.objects.filter(is_open=True).order_by("-id").values_list("id", flat=True)
    refs = [reference_for(pk) for pk in ids[:5000]]
    facts_path.write_text(json.dumps({"open_refs": refs}), encoding="utf-8")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--data-dir", help="SQLite: the database folder, kept (default: temp)")
    parser.add_argument("--skip-load", action="store_true", help="reuse the loaded database")
    parser.add_argument("--capacity-seconds", type=float, default=20.0)
    parser.add_argument("--closed-connections", type=int, default=32)
    parser.add_argument(
        "--capacity",
        type=float,
        default=0.0,
        help="req/s to take as capacity instead of measuring it (levels are percents of it)",
    )
    parser.add_argument(
        "--levels",
        type=lambda text: [int(p) for p in text.split(",") if p],
        default=[50, 75, 90],
        help="percent of capacity, comma-separated ('' for none)",
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="measured per level")
    parser.add_argument("--warmup", type=float, default=10.0, help="not measured, per level")
    parser.add_argument("--soak", type=float, default=0.0, help="seconds at 75 %% (0: none)")
    parser.add_argument("--cap", type=int, default=256, help="most client connections")
    parser.add_argument("--rss-interval", type=float, default=2.0)
    parser.add_argument(
        "--api-rate", default="1000000/minute", help="NETDESK_API_RATE for the server"
    )
    parser.add_argument(
        "--client-nice", type=int, default=-5, help="the client's nice value (0: leave it)"
    )
    parser.add_argument("--serve-args", default="", help="extra `netdesk serve` options")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument(
        "--samples",
        type=Path,
        help="write each measured request (level, seconds since the level's start, kind, "
        "latency and service time in ms, status) to this CSV file: where the tail lies in time",
    )
    parser.add_argument("--build-network", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    if args.build_network:
        build_network(args.build_network)
        return
    db = (
        "postgres"
        if os.environ.get("NETDESK_DATABASE_URL", "").startswith("postgres")
        else "sqlite"
    )
    if args.skip_load and db == "sqlite" and not args.data_dir:
        raise SystemExit("--skip-load on SQLite needs --data-dir (where the loaded DB is)")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    scratch = Path(tempfile.mkdtemp(prefix=f"netdesk-mixed-{db}-"))
    env = {**os.environ, "NETDESK_DEBUG": "0"}
    # One API token stands for the whole desk here (dozens of agents, each
    # under the per-token limit), so the limit is lifted for the run.
    env["NETDESK_API_RATE"] = args.api_rate
    # Never the developer's var/ (the Makefile exports NETDESK_DATA_DIR).
    data_dir = Path(args.data_dir) if args.data_dir and db == "sqlite" else scratch
    data_dir.mkdir(parents=True, exist_ok=True)
    env["NETDESK_DATA_DIR"] = str(data_dir)
    if db == "sqlite":
        env["NETDESK_DATABASE_URL"] = ""
    os.environ.update(env)  # the --build-network and describe children inherit it
    try:
        result = {"db": db, "started": stamp, **measure(env, scratch, args)}
    finally:
        if args.keep:
            run.log(f"kept the server's log and the scratch files in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    result["machine"] = run.machine()
    result["code"] = run.code_version()
    run.RESULTS.mkdir(parents=True, exist_ok=True)
    path = run.RESULTS / f"mixed-{db}-{stamp}.json"
    path.write_text(json.dumps(result, indent=1), encoding="utf-8")
    table = markdown([result])
    path.with_suffix(".md").write_text(table, encoding="utf-8")
    print(table)
    print(f"Results: {path} / .md")


if __name__ == "__main__":
    main()
