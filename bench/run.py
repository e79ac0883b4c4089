"""`make bench`: load N tickets (default 1,000,000), start `netdesk serve` and
measure it with wrk, on SQLite and on a throwaway PostgreSQL cluster.

Results go to bench/results/ as JSON and a Markdown table (see
docs/benchmarks.md for what the scenarios are and what was measured).

    python bench/run.py                                # 1M tickets, both databases
    python bench/run.py --tickets 20000 --duration 5   # a quick check
    python bench/run.py --db sqlite --data-dir DIR --keep   # keep the loaded DB ...
    python bench/run.py --db sqlite --data-dir DIR --skip-load  # ... and reuse it
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__:  # imported as bench.run (mixed_load.py, the tests)
    from bench.cpu_split import CpuSplit
else:  # run as a script: bench/ is the first entry of the path
    from cpu_split import CpuSplit  # type: ignore[import-not-found,no-redef]

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
LUA = BENCH / "wrk" / "netdesk.lua"
BIN = Path(sys.executable).parent
WRK = shutil.which("wrk") or "/usr/bin/wrk"
# A fresh user per run, so a reused (--skip-load) database needs no cleanup
# and the password never has to be known beforehand.
USERNAME = f"bench-{secrets.token_hex(3)}"
PASSWORD = secrets.token_urlsafe(16)

# (name, what it measures); create runs last because it grows the queues.
SCENARIOS = [
    ("queue_api", "API: first page of a group's open queue by priority (50)"),
    ("queue_html", "HTML queue page `/?group=` with a session cookie"),
    ("detail", "API: ticket detail by random reference"),
    ("search", "API: customer search (phone / name / account number)"),
    ("create", "API: create ticket for a random customer"),
    # Creates measured while as many other connections read the queue API
    # (two wrk processes at once); the readers' figures are stored as
    # `read_while_creating`.
    ("create_while_reading", "API: create, while as many connections read the queue API"),
]


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def netdesk(env: dict[str, str], *args: str, check: bool = True) -> str:
    done = subprocess.run(
        [str(BIN / "netdesk"), *args], env=env, capture_output=True, text=True, check=False
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"netdesk {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


class Server:
    """`netdesk serve` in its own process group, so stopping it also stops
    its granian workers and the background worker."""

    def __init__(self, env: dict[str, str], log_path: Path, serve_args: Sequence[str] = ()) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.log_file = log_path.open("w")
        self.process = subprocess.Popen(
            [
                str(BIN / "netdesk"),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                *serve_args,
            ],
            env=env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"netdesk serve exited early; see {self.log_path}")
            try:
                urllib.request.urlopen(f"{self.base}/login/", timeout=2)  # noqa: S310
                return
            except urllib.error.HTTPError:
                return  # it answers, whatever the status
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"netdesk serve did not answer in {timeout:.0f} s")

    def errors_since(self, offset: int) -> int:
        self.log_file.flush()
        with self.log_path.open("rb") as log_file:
            log_file.seek(offset)
            return log_file.read().count(b"ERROR django.request")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log_file.close()


def session_cookie(base: str) -> tuple[str | None, str]:
    """Log in through the login form as a browser would; returns the Cookie
    header for wrk, or None and why the HTML queue cannot be measured."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    try:
        page = opener.open(f"{base}/login/", timeout=10).read().decode()
    except urllib.error.HTTPError as exc:
        return None, f"GET /login/ answered {exc.code}"
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if match is None:
        return None, "the login page has no CSRF token field"
    form = urllib.parse.urlencode(
        {"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": match.group(1)}
    ).encode()
    # `base` is always the http://127.0.0.1 server this script started.
    request = urllib.request.Request(  # noqa: S310
        f"{base}/login/", data=form, headers={"Origin": base, "Referer": f"{base}/login/"}
    )
    try:
        opener.open(request, timeout=10)
    except urllib.error.HTTPError as exc:
        return None, f"POST /login/ answered {exc.code}"
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "sessionid" not in cookies:
        return None, "logging in through /login/ gave no session cookie"
    header = "; ".join(f"{name}={value}" for name, value in cookies.items())
    try:
        probe = urllib.request.Request(f"{base}/", headers={"Cookie": header})  # noqa: S310
        with urllib.request.build_opener(NoRedirect).open(probe, timeout=30) as answer:
            if answer.status != 200:
                return None, f"GET / answered {answer.status}"
    except urllib.error.HTTPError as exc:
        return None, f"GET / answered {exc.code} (the queue page is not there yet?)"
    return header, ""


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def wrk(
    base: str, connections: int, seconds: int, threads: int, arguments: list[str]
) -> dict[str, Any]:
    command = wrk_command(base, connections, seconds, threads, arguments)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return wrk_result(done.returncode, done.stdout, done.stderr)


def wrk_side_by_side(
    base: str, connections: int, seconds: int, threads: int, runs: list[list[str]]
) -> list[dict[str, Any]]:
    """Several wrk runs at the same time against the same server (creates
    beside queue reads), each with its own connections; their results in
    the order given."""
    started = [
        subprocess.Popen(
            wrk_command(base, connections, seconds, threads, arguments),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for arguments in runs
    ]
    results = []
    for process in started:
        out, err = process.communicate()
        results.append(wrk_result(process.returncode, out, err))
    return results


def wrk_command(
    base: str, connections: int, seconds: int, threads: int, arguments: list[str]
) -> list[str]:
    return [
        WRK,
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        # Slow answers are measured, not dropped as wrk's default 2 s timeouts.
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        base,
        "--",
        *arguments,
    ]


def wrk_result(returncode: int, stdout: str, stderr: str) -> dict[str, Any]:
    for line in stdout.splitlines():
        if line.startswith("NETDESK_RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("NETDESK_RESULT "))
            return result
    raise RuntimeError(f"wrk gave no result (exit {returncode}):\n{stdout}{stderr}")


def versions(env: dict[str, str]) -> dict[str, str]:
    probe = (
        "import django, granian, sqlite3, sys\n"
        "from django.db import connection\n"
        "connection.ensure_connection()\n"
        "print(sys.version.split()[0], django.get_version(), granian.__version__,"
        " sqlite3.sqlite_version, connection.vendor,"
        " connection.pg_version if connection.vendor == 'postgresql' else '-')\n"
    )
    out = netdesk(env, "shell", "-c", probe).split()[-6:]
    found = {
        "python": out[0],
        "django": out[1],
        "granian": out[2],
        "sqlite": out[3],
        "database": out[4],
    }
    if out[4] == "postgresql":
        number = int(out[5])
        found["postgresql"] = f"{number // 10000}.{number % 10000}"
    found["wrk"] = subprocess.run(
        [WRK, "-v"], capture_output=True, text=True, check=False
    ).stdout.split("\n")[0]
    return found


def bench_database(db: str, args: argparse.Namespace) -> dict[str, Any]:
    env = os.environ.copy()
    env["NETDESK_DEBUG"] = "0"
    # The benchmark measures the desk, not its per-user rate limit (one
    # user sends every request here).
    env.setdefault("NETDESK_API_RATE", "10000000/minute")
    scratch = Path(tempfile.mkdtemp(prefix=f"netdesk-bench-{db}-"))
    data_dir = Path(args.data_dir) if args.data_dir and db == "sqlite" else scratch
    data_dir.mkdir(parents=True, exist_ok=True)
    # Never the developer's var/ (the Makefile exports NETDESK_DATA_DIR).
    env["NETDESK_DATA_DIR"] = str(data_dir)
    if db == "sqlite":
        env["NETDESK_DATABASE_URL"] = ""
    result: dict[str, Any] = {
        "db": db,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration_s": args.duration,
        "connections": args.connections,
        "scenarios": {},
        "notes": [],
    }
    server: Server | None = None
    try:
        log(f"{db}: migrate")
        netdesk(env, "migrate", "--no-input")
        if not args.skip_load:
            log(f"{db}: load {args.tickets:,} tickets")
            began = time.monotonic()
            subprocess.run(
                [sys.executable, str(BENCH / "load_tickets.py"), "--tickets", str(args.tickets)],
                env=env,
                check=True,
            )
            result["load_seconds"] = round(time.monotonic() - began, 1)
        facts_path = scratch / "facts.json"
        subprocess.run(
            [sys.executable, str(BENCH / "load_tickets.py"), "--describe", str(facts_path)],
            env=env,
            check=True,
        )
        facts = json.loads(facts_path.read_text(encoding="utf-8"))
        terms_path = scratch / "terms.txt"
        terms_path.write_text("\n".join(facts.pop("search_terms")) + "\n", encoding="utf-8")
        result["dataset"] = facts
        result["versions"] = versions(env)
        netdesk(env, "createuser", "--username", USERNAME, "--role", "service_desk_manager",
                f"--password={PASSWORD}", "--group", "Hotline")  # fmt: skip
        token = netdesk(env, "token", "create", "--user", USERNAME).strip().splitlines()[-1]

        server = Server(env, scratch / "server.log", args.serve_args)
        result["serve_args"] = args.serve_args
        result["server_log"] = str(server.log_path)
        server.wait_ready()
        log(f"{db}: server up on {server.base}")
        group = str(facts["groups"].get("Hotline") or next(iter(facts["groups"].values())))
        customers = "{}:{}".format(*facts["customers"])
        tickets = "{}:{}".format(*facts["tickets"])
        cookie, why_not = session_cookie(server.base)
        if cookie is None:
            result["notes"].append(f"queue_html skipped: {why_not}")
            log(f"{db}: queue_html skipped: {why_not}")
        arguments = {
            "queue_api": [f"token={token}", f"group={group}"],
            "queue_html": [f"cookie={cookie}", f"group={group}"],
            "detail": [f"token={token}", f"tickets={tickets}"],
            "search": [f"token={token}", f"terms={terms_path}"],
            "create": [f"token={token}", f"customers={customers}"],
        }
        arguments["create_while_reading"] = arguments["create"]
        for scenario, _label in SCENARIOS:
            if scenario == "queue_html" and cookie is None:
                continue
            if args.only and scenario not in args.only:
                continue
            for connections in args.connections:
                for name, measured in measure(server, scenario, arguments, connections, args):
                    result["scenarios"].setdefault(name, {})[str(connections)] = measured
                    flag = "  << ERRORS" if failed(measured) else ""
                    log(
                        f"{db} {name:<10} c={connections:<3} {measured['rps']:8.1f} req/s  "
                        f"p50 {measured['p50_ms']:7.1f} ms  p99 {measured['p99_ms']:7.1f} ms  "
                        f"non-2xx {measured['non2xx']}  server errors logged "
                        f"{measured['server_errors_logged']}{flag}"
                    )
                    split = ", ".join(
                        f"{kind} {ms}" for kind, ms in measured["cpu_ms_per_request"].items()
                    )
                    log(f"{db} {name:<10} CPU ms per request: {split}")
                    log(f"{db} {name:<10} processes seen: {measured['processes_seen']}")
    finally:
        if server is not None:
            server.stop()
            result["server_log_tail"] = server.log_path.read_text(errors="replace")[-3000:]
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)  # --data-dir, if given, stays
    return result


def measure(
    server: Server,
    scenario: str,
    arguments: dict[str, list[str]],
    connections: int,
    args: argparse.Namespace,
) -> list[tuple[str, dict[str, Any]]]:
    """One scenario at one concurrency: (name, figures) of each wrk run.
    `create_while_reading` runs creates and queue reads side by side, each
    with `connections` connections of its own."""
    if scenario == "create_while_reading":
        names = ["create_while_reading", "read_while_creating"]
        runs = [
            ["scenario=create", *arguments["create"]],
            ["scenario=queue_api", *arguments["queue_api"]],
        ]
    else:
        names = [scenario]
        runs = [[f"scenario={scenario}", *arguments[scenario]]]
    if args.warmup:
        wrk_side_by_side(server.base, connections, args.warmup, args.threads, runs)
    logged = server.log_path.stat().st_size
    with CpuSplit() as split:
        results = wrk_side_by_side(server.base, connections, args.duration, args.threads, runs)
    # CPU per request of each kind of process (web, postgres, wrk, ...):
    # whether a rate fits these cores. Side by side, per request of all runs.
    answered = sum(measured["requests"] for measured in results)
    for measured in results:
        measured["cpu_ms_per_request"] = split.per_request_ms(answered)
        measured["processes_seen"] = dict(split.processes)
    # Answers wrk gave up on (timeouts) never reach its counters; the
    # server's log still shows them if they failed (for side-by-side runs
    # the count is of both).
    errors = server.errors_since(logged)
    for measured in results:
        measured["server_errors_logged"] = errors
    return list(zip(names, results, strict=True))


def failed(measured: dict[str, Any]) -> bool:
    return bool(
        not measured["requests"]
        or measured["non2xx"]
        or any(measured["socket_errors"].values())
        or measured.get("server_errors_logged")
    )


def code_version() -> str:
    """The commit measured, marked when the working tree had changes on top."""
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no", "netdesk"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return f"{head}{' + uncommitted changes in netdesk/' if dirty else ''}" or "unknown"


def machine() -> dict[str, str]:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    return {
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "memory": memory,
        "kernel": platform.release(),
    }


def markdown(runs: list[dict[str, Any]]) -> str:
    lines = [
        "| DB | tickets | scenario | conns | req/s | p50 ms | p99 ms | non-2xx | errors |",
        "|---|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        count = run.get("dataset", {}).get("ticket_count", 0)
        for scenario, per_connections in run["scenarios"].items():
            for connections, m in per_connections.items():
                errors = ", ".join(f"{k} {v}" for k, v in m["socket_errors"].items() if v)
                if m.get("server_errors_logged"):
                    errors += f"{', ' if errors else ''}{m['server_errors_logged']} logged 500s"
                flag = "**FAILED** " if failed(m) else ""
                lines.append(
                    f"| {run['db']} | {count:,} | {scenario} | {connections} | {m['rps']:.1f} "
                    f"| {m['p50_ms']:.1f} | {m['p99_ms']:.1f} | {flag}{m['non2xx']} "
                    f"| {errors or '-'} |"
                )
        for note in run.get("notes", []):
            lines.append(f"\n{run['db']}: {note}")
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000, help="tickets to load")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--duration", type=int, default=20, help="seconds per measurement")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up, not measured")
    parser.add_argument(
        "--connections",
        type=lambda text: [int(part) for part in text.split(",")],
        default=[16, 64],
        help="comma-separated concurrency levels (default 16,64)",
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--only", type=lambda text: text.split(","), help="comma-separated scenarios to run"
    )
    parser.add_argument(
        "--skip-load",
        action="store_true",
        help="reuse a loaded database: SQLite in --data-dir, PostgreSQL at NETDESK_DATABASE_URL",
    )
    parser.add_argument("--data-dir", help="SQLite: keep the database here (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep temp dirs and server logs")
    parser.add_argument(
        "--serve-args",
        type=str.split,
        default=[],
        help="more arguments for `netdesk serve`, e.g. '--workers 1 --threads 16'",
    )
    parser.add_argument("--stamp", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def run_postgres_outside(stamp: str) -> dict[str, Any] | None:
    """Re-run this script for PostgreSQL inside scripts/with-postgres.sh, which
    starts a throwaway cluster and removes it afterwards."""
    argv = [a for a in sys.argv[1:] if a not in {"--db=both", "--db=sqlite"}]
    if "--db" in argv:
        index = argv.index("--db")
        del argv[index : index + 2]
    command = [
        str(ROOT / "scripts" / "with-postgres.sh"),
        sys.executable,
        str(Path(__file__).resolve()),
        *argv,
        "--db",
        "postgres",
        "--stamp",
        stamp,
    ]
    done = subprocess.run(command, check=False)
    if done.returncode == 3:
        log("postgres: SKIPPED, PostgreSQL is not installed")
        return None
    path = RESULTS / f"{stamp}-postgres.json"
    if not path.exists():
        raise SystemExit(f"postgres run failed (exit {done.returncode}), no {path.name}")
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def main() -> None:
    args = parse_args()
    if args.skip_load and args.db != "postgres" and not args.data_dir:
        raise SystemExit("--skip-load on SQLite needs --data-dir (where the loaded DB is)")
    if not Path(WRK).exists():
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    stamp = args.stamp or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    runs: list[dict[str, Any]] = []
    wanted = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    for db in wanted:
        inside_postgres = os.environ.get("NETDESK_DATABASE_URL", "").startswith("postgres")
        if db == "postgres" and not inside_postgres:
            if args.skip_load:
                raise SystemExit("--skip-load on PostgreSQL needs NETDESK_DATABASE_URL")
            outside = run_postgres_outside(stamp)
            if outside is not None:
                runs.append(outside)
            continue
        result = bench_database(db, args)
        result["machine"] = machine()
        result["code"] = code_version()
        (RESULTS / f"{stamp}-{db}.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
        runs.append(result)
    if args.stamp:
        return  # a child run under with-postgres.sh: the parent writes the table
    table = markdown(runs)
    (RESULTS / f"{stamp}.md").write_text(table, encoding="utf-8")
    print()
    print(table)
    print(f"Results: {RESULTS / stamp}*.json / .md")
    if any(failed(m) for run in runs for per in run["scenarios"].values() for m in per.values()):
        print("WARNING: some runs had non-2xx answers or socket errors (see the table).")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
