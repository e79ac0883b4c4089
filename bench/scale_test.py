"""Scale-out under failures (`make scale-test`): PostgreSQL, two `netdesk
serve --no-worker` processes behind HAProxy and two `netdesk worker`
processes. For `--seconds` it opens tickets with Idempotency-Keys (a client
that times out, loses its connection or gets a 502/503/504 sends the same
request with the same key again), posts alarm batches, delivers mail to a
local Dovecot that the workers read, and lets service-level warnings and
breaches fall due, while it kills one web process (`netdesk serve`, whose
web worker must then stop by itself) or one worker with SIGKILL at random
moments and starts it again.
Then it checks and prints: every acknowledged create exists once, no key
made two tickets, every alarm of an acknowledged batch exists once, every
due warning and breach fired once, every delivered mail is one ticket, and
every incident's impact equals a recount. Exits 1 when a check fails.

    scripts/with-postgres.sh .venv/bin/python bench/scale_test.py [--seconds 180]

It makes a database of its own on the PostgreSQL server named by
NETDESK_DATABASE_URL and drops it afterwards (`--use-database`: use that
database as it is, migrated or empty)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import scale_checks  # noqa: E402
from scale_load import Load, Processes, http_status  # noqa: E402

from tests import mailservers  # noqa: E402


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=180, help="how long the load runs")
    parser.add_argument(
        "--kill-every", type=float, default=20, help="mean seconds between two kills"
    )
    parser.add_argument("--creators", type=int, default=3, help="clients opening tickets")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--settle", type=float, default=150, help="most seconds to catch up")
    parser.add_argument("--json", type=Path, help="write the counts here as well")
    parser.add_argument("--keep", action="store_true", help="keep the logs and the database")
    parser.add_argument(
        "--use-database", action="store_true", help="use NETDESK_DATABASE_URL's database as is"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = os.environ.get("NETDESK_DATABASE_URL", "")
    if not url.startswith("postgres"):
        log("needs PostgreSQL: run it as scripts/with-postgres.sh .venv/bin/python " + __file__)
        return 3
    if shutil.which("haproxy") is None:
        log("haproxy is not installed (apt-get install haproxy)")
        return 3
    work = Path(tempfile.mkdtemp(prefix="netdesk-scale-"))
    database = url if args.use_database else create_database(url)
    env = environment(database, work)
    try:
        return run(args, env, work)
    finally:
        if not args.use_database and not args.keep:
            drop_database(url, database)
        if args.keep:
            log(f"logs kept in {work}; database {database}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def environment(database: str, work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETDESK_")}
    env.update(
        NETDESK_DATABASE_URL=database,
        NETDESK_DATA_DIR=str(work / "data"),
        NETDESK_SECRET_KEY="scale-test-" + uuid.uuid4().hex,
        NETDESK_DEBUG="false",
        # The test's clients are one user; the API's per-user limit is not what is tested.
        NETDESK_API_RATE="1000000/minute",
        # HAProxy's address is the peer: one proxy in front.
        NETDESK_PROXY_COUNT="1",
    )
    (work / "data").mkdir(parents=True, exist_ok=True)
    return env


def create_database(server_url: str) -> str:
    import psycopg

    name = f"scale_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def drop_database(server_url: str, database: str) -> None:
    import psycopg

    name = database.rsplit("/", 1)[1]
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def netdesk(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "netdesk", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"netdesk {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def run(args: argparse.Namespace, env: dict[str, str], work: Path) -> int:
    began = time.monotonic()
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    netdesk(env, "migrate", "--no-input", "-v", "0")
    netdesk(env, "collectstatic", "--no-input", "-v", "0")
    log(f"database migrated in {time.monotonic() - began:.0f} s")
    dovecot = start_dovecot()
    scale_checks.setup_django(env)
    setup = scale_checks.prepare(
        imap_port=dovecot.port if dovecot else None, imap_password=mailservers.MAILBOX_PASSWORD
    )
    processes = Processes(env, work, random.Random(args.seed))
    try:
        processes.start_all()
        log(f"2 web processes behind HAProxy on {processes.base}, 2 workers")
        load = Load(processes.base, setup, args, dovecot, random.Random(args.seed + 1))
        load.run(args.seconds, processes, args.kill_every)
        log(f"load done: {load.summary()}; {processes.summary()}")
        processes.ensure_all_running()
        cutoff = settle(args.settle, load)
        checks = [
            scale_checks.check_creates(load.acknowledged, load.attempts),
            scale_checks.check_alarms(load.alarm_batches, load.alarm_batches_sent),
            scale_checks.check_service_levels(cutoff),
            scale_checks.check_escalations(cutoff),
            scale_checks.check_mail(load.mails) if dovecot else None,
            scale_checks.check_impact(),
        ]
        checks.append(scale_checks.check_processes(processes.kills, orphans_left(processes)))
        checks.append(impact_counts_check(env))
        health = http_status(processes.base + "/healthz")
    finally:
        processes.stop_all()
        if dovecot is not None:
            dovecot.stop()
            shutil.rmtree(dovecot.root, ignore_errors=True)
    checks = [c for c in checks if c is not None]
    return report(args, checks, load, processes, health, began, commit)


def start_dovecot() -> mailservers.DovecotServer | None:
    binary = mailservers.dovecot_binary()
    if binary is None:
        log("dovecot is not installed (apt-get install dovecot-imapd): no mail in this run")
        return None
    # Dovecot's processes reach their homes through this folder, and socket paths are short.
    root = Path(tempfile.mkdtemp(prefix="nd-scale-mail-"))
    server = mailservers.DovecotServer(
        binary, root, {scale_checks.MAILBOX_ADDRESS: mailservers.MAILBOX_PASSWORD}
    )
    server.start()
    return server


def settle(seconds: float, load: Load) -> Any:
    """With every process up and the load stopped: wait until every
    delivered mail is processed, then until the warnings and breaches due
    by that moment have fired; that moment (the checks' cutoff)."""
    from django.db import connections
    from django.utils import timezone

    started = time.monotonic()
    deadline = started + seconds
    while True:
        stored, waiting = scale_checks.mail_counts()
        if (waiting == 0 and stored >= len(load.mails)) or time.monotonic() > deadline:
            break
        time.sleep(1)
    cutoff = timezone.now()
    while scale_checks.overdue_unfired(cutoff) and time.monotonic() < deadline:
        time.sleep(1)
    log(
        f"settled in {time.monotonic() - started:.0f} s: mail {stored}/{len(load.mails)} stored, "
        f"{waiting} unprocessed; {scale_checks.overdue_unfired(cutoff)} warnings or breaches "
        "due and not fired"
    )
    connections.close_all()
    return cutoff


def impact_counts_check(env: dict[str, str]) -> scale_checks.Check:
    """The per-element impact counts the database keeps against a recount
    (`netdesk noc impact-check`)."""
    done = subprocess.run(
        [sys.executable, "-m", "netdesk", "noc", "impact-check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    check = scale_checks.Check("impact_counts", {"exit_status": done.returncode})
    if done.returncode != 0:
        check.failures.append((done.stdout + done.stderr).strip()[-500:])
    return check


def orphans_left(processes: Processes, seconds: float = 20) -> list[int]:
    """Web workers of killed servers still running after `seconds` (they
    get SIGTERM within a second of their server's death, and finish what
    they serve)."""
    deadline = time.monotonic() + seconds
    while (orphans := processes.orphans()) and time.monotonic() < deadline:
        time.sleep(0.5)
    return orphans


def versions() -> dict[str, str]:
    from importlib.metadata import version

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    haproxy = subprocess.run(["haproxy", "-v"], capture_output=True, text=True, check=False)
    return {
        "python": platform.python_version(),
        "django": version("django"),
        "granian": version("granian"),
        "postgresql": postgres,
        "haproxy": haproxy.stdout.split("\n")[0].split(" ")[2] if haproxy.stdout else "?",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average_at_end": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def report(
    args: argparse.Namespace,
    checks: list[scale_checks.Check],
    load: Load,
    processes: Processes,
    health: int,
    began: float,
    commit: str,
) -> int:
    answer = {
        "seconds": args.seconds,
        "wall_seconds": round(time.monotonic() - began),
        "kills": processes.kills,
        "restarts": processes.restarts,
        "client": load.client_counts(),
        "checks": {c.name: {**c.counts, "ok": c.ok} for c in checks},
        "versions": {**versions(), "commit": commit},
        "healthz_at_end": health,
    }
    print()
    print(f"{'check':<16} {'result':<6} counts")
    for check in checks:
        counts = ", ".join(f"{k} {v}" for k, v in check.counts.items())
        print(f"{check.name:<16} {'ok' if check.ok else 'FAIL':<6} {counts}")
        for failure in check.failures:
            print(f"{'':<16} {'':<6} {failure}")
    print(f"kills: {processes.kills}; restarts: {processes.restarts}")
    print(f"client: {load.client_counts()}")
    print("NETDESK_SCALE_RESULT " + json.dumps(answer))
    if args.json:
        args.json.write_text(json.dumps(answer, indent=2) + "\n")
    failed = [c.name for c in checks if not c.ok]
    if failed:
        log(f"FAILED: {', '.join(failed)}")
        return 1
    log("every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
