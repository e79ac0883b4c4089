"""Customer portal under load: C signed-in customers at once (default 16)
read their ticket list (GET /portal/tickets/) and their services with the
network status on each (GET /portal/, the service status page), one
request after the other without pause, for --seconds; p50/p95/p99/max of
each page.

The desk is fresh: C customers (residential), each with a verified contact,
--services services (every other one behind a node an active incident
covers, so the status page has outages to tell) and --tickets tickets;
each customer signs in through a one-time link (GET, then POST its button,
as a browser does) and keeps its session.

Setups (--setup, comma-separated; default both):
- sqlite: one `netdesk serve` (its default web workers, background worker on);
- postgres: the same against a throwaway cluster (scripts/with-postgres.sh).

    .venv/bin/python bench/portal_load.py                      # both
    .venv/bin/python bench/portal_load.py --setup sqlite --seconds 10

Traffic goes to 127.0.0.1 only; every process started is stopped at the
end. Results: a table on stdout and JSON in bench/results/portal-<stamp>-<setup>.json.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
NETDESK = [sys.executable, "-m", "netdesk"]
HOST = "127.0.0.1"
SETUPS = ("sqlite", "postgres")
PAGES = {"tickets": "/portal/tickets/", "status": "/portal/"}
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

# Run inside `netdesk shell`: the customers, their services, tickets and an
# incident, and one sign-in link per customer (its secret printed once).
SETUP_SCRIPT = """
import json, os, secrets
from datetime import timedelta
from django.utils import timezone
from netdesk.customers.models import Contact, Customer, Service
from netdesk.network.models import Area, ElementKind, NetworkElement
from netdesk.network.selectors import topology_changed
from netdesk.noc.services.incidents import incident_create, incident_update
from netdesk.portal.models import PortalSignIn
from netdesk.portal.services.signin import secret_hash
from netdesk.tickets.choices import Channel
from netdesk.tickets.services import comment_add, ticket_create
from netdesk.accounts.models import Role
from netdesk.accounts.services import user_create

given = json.loads(os.environ["PORTAL_BENCH_DESK"])
area, _ = Area.objects.get_or_create(code="BEN", defaults={"name": "Bench"})
core = NetworkElement.objects.create(name="CORE-BENCH", kind=ElementKind.OLT, area=area)
broken = NetworkElement.objects.create(name="NODE-CUT", kind=ElementKind.OLT, area=area, upstream=core)
working = NetworkElement.objects.create(name="NODE-OK", kind=ElementKind.OLT, area=area, upstream=core)
topology_changed()
noc = user_create(username="bench-noc", role=Role.NOC_ENGINEER, password=secrets.token_urlsafe(16))
agent = user_create(username="bench-agent", role=Role.HOTLINE_OPERATOR, password=secrets.token_urlsafe(16))
incident = incident_create(actor=noc, title="Bench cut", detected_by="manual", root_element=broken)
incident_update(actor=noc, incident=incident, state="identified",
                customer_message="A cable was cut; we are splicing it.",
                eta=timezone.now() + timedelta(hours=3))
secrets_out = []
for n in range(given["customers"]):
    customer = Customer.objects.create(account_number=f"PB{n:06d}", name=f"Bench customer {n}",
                                       segment="residential", phone=f"+49 30 777{n:05d}")
    # Told in the portal only: the agents' replies below queue no mail.
    contact = Contact.objects.create(customer=customer, name=f"Bench contact {n}", is_primary=True,
                                     email=f"bench{n}@example.net", verified=True,
                                     notify_by="portal")
    services = [
        Service.objects.create(service_id=f"PBS{n:05d}{s:02d}", customer=customer,
                               product="Fibre 500", access_technology="ftth",
                               access_element=broken if s % 2 == 0 else working)
        for s in range(given["services"])
    ]
    for t in range(given["tickets"]):
        ticket = ticket_create(actor=None, customer=customer, contact=contact, ticket_type="fault",
                               channel=Channel.WEB, title=f"Bench ticket {t}",
                               description="No sync", service=services[t % len(services)])
        comment_add(actor=agent, ticket=ticket, body="We are on it.", visibility="public")
    secret = secrets.token_urlsafe(32)
    now = timezone.now()
    PortalSignIn.objects.create(contact=contact, token_hash=secret_hash(secret), created_at=now,
                                expires_at=now + timedelta(hours=2))
    secrets_out.append(secret)
print("SECRETS " + json.dumps(secrets_out))
"""


def log(message: str) -> None:
    print(f"[portal-bench {datetime.now():%H:%M:%S}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def netdesk(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [*NETDESK, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"netdesk {' '.join(args[:2])} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def prepare(env: dict[str, str], args: argparse.Namespace) -> list[str]:
    netdesk(env, "migrate", "--no-input", "-v", "0")
    given = {"customers": args.customers, "services": args.services, "tickets": args.tickets}
    out = netdesk(
        {**env, "PORTAL_BENCH_DESK": json.dumps(given)}, "shell", "-v", "0", "-c", SETUP_SCRIPT
    )
    line = next(line for line in out.splitlines() if line.startswith("SECRETS "))
    found: list[str] = json.loads(line.removeprefix("SECRETS "))
    return found


class Server:
    """`netdesk serve` in its own process group (its workers stop with it)."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.log_path = log_path
        with log_path.open("wb") as out:
            self.process = subprocess.Popen(
                [*NETDESK, "serve", "--host", HOST, "--port", str(self.port)],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"netdesk serve exited early:\n{tail}")
            try:
                with socket.create_connection((HOST, self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"netdesk serve did not answer in {timeout:.0f} s")

    def errors_logged(self) -> int:
        return self.log_path.read_bytes().count(b" ERROR ")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=25)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


class Customer:
    """One signed-in browser: its own cookies, one request at a time."""

    def __init__(self, base: str) -> None:
        self.base = base
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with self.opener.open(self.base + path, timeout=30) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as refused:
            return refused.code, refused.read()

    def sign_in(self, secret: str) -> None:
        path = f"/portal/sign-in/link/{secret}/"
        status, page = self.get(path)
        found = TOKEN.search(page.decode("utf-8", "replace"))
        if status != 200 or found is None:
            raise RuntimeError(f"sign-in page answered {status}")
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": found.group(1)}).encode()
        # The desk on 127.0.0.1 only (self.base), never another scheme.
        request = urllib.request.Request(  # noqa: S310
            self.base + path, data=body, headers={"Referer": self.base + path}
        )
        with self.opener.open(request, timeout=30) as answer:
            if not answer.geturl().endswith("/portal/"):
                raise RuntimeError(f"sign-in ended on {answer.geturl()}")


def percentiles(values: list[float]) -> dict[str, Any]:
    ordered = sorted(values)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 1)

    if not ordered:
        return {"count": 0}
    return {
        "count": len(ordered),
        "p50_ms": at(0.50),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def crowd(base: str, secrets_: list[str], seconds: float) -> dict[str, Any]:
    customers = [Customer(base) for _ in secrets_]
    for customer, secret in zip(customers, secrets_, strict=True):
        customer.sign_in(secret)
    timings: dict[str, list[float]] = {name: [] for name in PAGES}
    errors: dict[str, int] = {}
    lock = threading.Lock()
    start = threading.Barrier(len(customers))

    def browse(customer: Customer, number: int) -> None:
        start.wait()
        names = list(PAGES)[number % 2 :] + list(PAGES)[: number % 2]
        deadline = time.monotonic() + seconds
        turn = 0
        while time.monotonic() < deadline:
            name = names[turn % 2]
            turn += 1
            began = time.perf_counter()
            status, _body = customer.get(PAGES[name])
            took = time.perf_counter() - began
            with lock:
                if status == 200:
                    timings[name].append(took)
                else:
                    errors[f"{name} {status}"] = errors.get(f"{name} {status}", 0) + 1

    threads = [
        threading.Thread(target=browse, args=(customer, n)) for n, customer in enumerate(customers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    pages = {name: percentiles(values) for name, values in timings.items()}
    for name in pages:
        pages[name]["per_second"] = round(pages[name]["count"] / seconds, 1)
    return {"pages": pages, "errors": errors}


def desk_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETDESK_")}
    if os.environ.get("NETDESK_DATABASE_URL", "").startswith("postgres"):
        env["NETDESK_DATABASE_URL"] = os.environ["NETDESK_DATABASE_URL"]
    env.update(NETDESK_DATA_DIR=str(data_dir), NETDESK_DEBUG="0")
    return env


def run_setup(setup: str, args: argparse.Namespace) -> dict[str, Any]:
    scratch = Path(tempfile.mkdtemp(prefix=f"netdesk-portal-bench-{setup}-"))
    env = desk_env(scratch)
    server: Server | None = None
    result: dict[str, Any] = {
        "setup": setup,
        "customers": args.customers,
        "tickets_each": args.tickets,
        "services_each": args.services,
        "seconds": args.seconds,
    }
    try:
        log(f"{setup}: migrate, {args.customers} customers with {args.tickets} tickets each")
        secrets_ = prepare(env, args)
        server = Server(env, scratch / "serve.log")
        server.wait_ready()
        log(f"{setup}: {args.customers} customers browse for {args.seconds:g} s")
        before = os.getloadavg()[0]
        result.update(crowd(f"http://{HOST}:{server.port}", secrets_, args.seconds))
        # Other work on the machine shows here: the desk and this client
        # alone keep about as many processes busy as the machine has cores.
        result["load_average_1m"] = {"before": before, "after": os.getloadavg()[0]}
        result["errors_logged"] = server.errors_logged()
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    return result


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown CPU",
    )
    return f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}"


def postgres_outside(stamp: str) -> dict[str, Any] | None:
    """The PostgreSQL setup again inside scripts/with-postgres.sh."""
    argv, skip = [], False
    for arg in sys.argv[1:]:
        if skip or arg.startswith("--setup="):
            skip = False
            continue
        if arg == "--setup":
            skip = True
            continue
        argv.append(arg)
    command = [str(ROOT / "scripts" / "with-postgres.sh"), sys.executable, __file__, *argv]
    command += ["--setup", "postgres", "--stamp", stamp]
    done = subprocess.run(command, check=False)
    if done.returncode == 3:
        log("postgres: SKIPPED, PostgreSQL is not installed")
        return None
    path = RESULTS / f"portal-{stamp}-postgres.json"
    if done.returncode != 0 or not path.exists():
        raise SystemExit(f"postgres run failed (exit {done.returncode})")
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def table(runs: list[dict[str, Any]]) -> str:
    lines = [
        "| setup | page | requests | per s | p50 ms | p95 ms | p99 ms | max ms | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        for name, page in run["pages"].items():
            failed = {k: v for k, v in run["errors"].items() if k.startswith(name)}
            lines.append(
                f"| {run['setup']} | {name} | {page['count']} | {page['per_second']} | "
                f"{page.get('p50_ms')} | {page.get('p95_ms')} | {page.get('p99_ms')} | "
                f"{page.get('max_ms')} | {failed or 0} |"
            )
    return "\n".join(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setup", default=",".join(SETUPS))
    parser.add_argument("--customers", type=int, default=16)
    parser.add_argument("--tickets", type=int, default=20, help="tickets per customer")
    parser.add_argument("--services", type=int, default=2, help="services per customer")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--stamp", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.setups = [s.strip() for s in args.setup.split(",") if s.strip()]
    unknown = set(args.setups) - set(SETUPS)
    if unknown:
        parser.error(f"--setup {sorted(unknown)}: accepted are {', '.join(SETUPS)}")
    return args


def main() -> None:
    args = parse_args()
    stamp = args.stamp or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    inside_postgres = os.environ.get("NETDESK_DATABASE_URL", "").startswith("postgres")
    runs = []
    for setup in args.setups:
        if setup == "postgres" and not inside_postgres:
            outside = postgres_outside(stamp)
            if outside is not None:
                runs.append(outside)
            continue
        if setup != "postgres" and inside_postgres:
            continue
        result = run_setup(setup, args)
        result.update(machine=machine(), stamp=stamp)
        (RESULTS / f"portal-{stamp}-{setup}.json").write_text(
            json.dumps(result, indent=1), encoding="utf-8"
        )
        runs.append(result)
    if args.stamp:
        return  # the run inside with-postgres.sh: the outer one prints the table
    print()
    print(table(runs))
    print(f"Results: {RESULTS}/portal-{stamp}-*.json")
    if any(run["errors"] or run.get("errors_logged") for run in runs):
        print("WARNING: some requests failed (see the table and the JSON).")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
