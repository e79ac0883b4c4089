"""Call events from a PBX under load, and the IVR's outage lookup beside
them, against `netdesk serve` on a fresh desk.

For --seconds (default 20) calls arrive at --rate calls/s (default 100),
each call three events posted to POST /api/v1/cti/<token> as a PBX would:
newCall, answer (by one of the desk's agents, --answer-after seconds later)
and hangup (--talk seconds after that). With --pattern burst (default) the
calls of each second are started together at the top of the second; with
--pattern even they are spread over it. Meanwhile the IVR asks
GET /api/v1/cti/<token>/caller?number=… for one caller in five. Then, with
no events, the lookups alone for --lookup-seconds.

Latency of a request runs from the moment it was due (not when a free
connection took it), so a server that falls behind shows in the figures.
Reported: events sent, p50/p99/max ms, non-200 answers and failed requests;
lookups under load and alone (p50/p99/max); the calls the desk recorded;
the CPU seconds of the server's processes.

Setups (--setup, comma-separated; default both):
- sqlite: `netdesk serve` (one web process per core, its background worker);
- postgres: the same against a throwaway cluster (scripts/with-postgres.sh).

    .venv/bin/python bench/cti_load.py
    .venv/bin/python bench/cti_load.py --setup sqlite --seconds 5 --rate 20

The desk has --customers customers (default 5,000), each with a contact on
the same number; a tenth of them sit behind an OLT with an active incident,
so those lookups find an outage. Traffic goes to 127.0.0.1 only; every
process started is stopped at the end. Results: a table on stdout and JSON
in bench/results/cti-<stamp>-<setup>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
NETDESK = [sys.executable, "-m", "netdesk"]
HOST = "127.0.0.1"
SETUPS = ("sqlite", "postgres")
AGENTS = 20

SETUP_SCRIPT = """
import json, os
from django.utils import timezone
from netdesk.accounts.models import Role
from netdesk.accounts.services import user_create
from netdesk.customers.models import Contact, Customer, Service, normalise_phone
from netdesk.network.models import Area, ElementKind, NetworkElement
from netdesk.network.selectors import topology_changed
from netdesk.noc.models import DetectedBy
from netdesk.noc.services.incidents import incident_create
from netdesk.phone.services.endpoints import cti_endpoint_create

given = json.loads(os.environ["CTI_BENCH_DESK"])
count = given["customers"]
area = Area.objects.create(code="BEN", name="Bench")
olt = NetworkElement.objects.create(name="OLT-BENCH-1", kind=ElementKind.OLT, area=area)
topology_changed()
numbers = [f"+49 30 7{n:07d}" for n in range(count)]
customers = Customer.objects.bulk_create(
    Customer(account_number=f"CB{n:07d}", name=f"Bench customer {n}", phone=numbers[n],
             phone_digits=normalise_phone(numbers[n]))
    for n in range(count)
)
Contact.objects.bulk_create(
    Contact(customer=c, name=f"Contact of {c.name}", phone=c.phone, phone_digits=c.phone_digits,
            is_primary=True)
    for c in customers
)
Service.objects.bulk_create(
    Service(service_id=f"SB{n:07d}", customer=c, product="Fibre 500", access_technology="ftth",
            access_element=olt if n % 10 == 0 else None)
    for n, c in enumerate(customers)
)
incident_create(actor=None, title="Bench outage", detected_by=DetectedBy.MANUAL,
                root_element=olt, customer_description="A fibre cut affects your area")
agents = []
for n in range(given["agents"]):
    agents.append(user_create(username=f"agent{n}", role=Role.HOTLINE_OPERATOR,
                              password="cti-bench-" + "7f2a9c"))
_, token = cti_endpoint_create(name="bench PBX")
print("DESK " + json.dumps({"token": token, "numbers": numbers,
                            "agents": [a.username for a in agents]}))
"""

VERSIONS_SCRIPT = (
    "import django, granian, sqlite3, sys\n"
    "from django.db import connection\n"
    "connection.ensure_connection()\n"
    "pg = connection.pg_version if connection.vendor == 'postgresql' else 0\n"
    "print('VERSIONS', sys.version.split()[0], django.get_version(), granian.__version__,"
    " sqlite3.sqlite_version, f'{pg // 10000}.{pg % 10000}' if pg else '-')\n"
)

COUNT_SCRIPT = (
    "from netdesk.phone.models import Call, CtiEvent, CallerLookup\n"
    "from django.db.models import Count\n"
    "print('COUNTS', Call.objects.count(), CtiEvent.objects.count(),"
    " CtiEvent.objects.exclude(problem='').count(), CallerLookup.objects.count(),"
    " dict(Call.objects.values_list('outcome').annotate(n=Count('id')).order_by()),"
    " Call.objects.exclude(heard_outage='').count(), sep='|')\n"
)


def log(message: str) -> None:
    print(f"[cti-bench {datetime.now():%H:%M:%S}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class Connection:
    """One keep-alive HTTP/1.1 connection to the desk."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, method: str, target: str, body: bytes | None) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
            self.writer.get_extra_info("socket").setsockopt(
                socket.IPPROTO_TCP, socket.TCP_NODELAY, 1
            )
        assert self.reader is not None
        head = [f"{method} {target} HTTP/1.1", f"Host: {HOST}:{self.port}"]
        if body is not None:
            head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + (body or b""))
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("the desk closed the connection")
        length, close = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
            elif name.strip().lower() == "connection" and "close" in value.lower():
                close = True
        await self.reader.readexactly(length)
        if close:
            self.close()
        return int(status_line.split()[1])


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)

        def pick(q: float) -> float | None:
            return (
                round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1) if ordered else None
            )

        return {
            "requests": len(ordered),
            "p50_ms": pick(0.50),
            "p99_ms": pick(0.99),
            "max_ms": round(ordered[-1], 1) if ordered else None,
            "statuses": self.statuses,
            "failures": self.failures,
        }


class Pool:
    def __init__(self, port: int) -> None:
        self.port = port
        self.idle: list[Connection] = []

    async def send(
        self, tally: Tally, method: str, target: str, body: bytes | None, due: float
    ) -> None:
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        connection = self.idle.pop() if self.idle else Connection(self.port)
        try:
            status = await asyncio.wait_for(connection.request(method, target, body), 30)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as error:
            connection.close()
            name = type(error).__name__
            tally.failures[name] = tally.failures.get(name, 0) + 1
            return
        tally.latencies.append((time.monotonic() - due) * 1000)
        tally.statuses[str(status)] = tally.statuses.get(str(status), 0) + 1
        if connection.writer is not None:
            self.idle.append(connection)


async def load(args: argparse.Namespace, port: int, desk: dict[str, Any]) -> dict[str, Any]:
    pool = Pool(port)
    events, lookups_loaded, lookups_alone = Tally(), Tally(), Tally()
    path = f"/api/v1/cti/{desk['token']}"
    rng = random.Random(7)
    jobs = []
    start = time.monotonic() + 1.0
    total = int(args.seconds * args.rate)
    for n in range(total):
        second, index = divmod(n, args.rate)
        offset = 0.0 if args.pattern == "burst" else index / args.rate
        at = start + second + offset
        number = rng.choice(desk["numbers"])
        agent = rng.choice(desk["agents"])
        base = {"callId": f"bench-{n}", "direction": "in", "from": number, "to": "+49 30 2000"}
        for event, extra, due in (
            ("newCall", {"user[]": desk["agents"][:3]}, at),
            ("answer", {"user": agent}, at + args.answer_after),
            ("hangup", {"cause": "normalClearing"}, at + args.answer_after + args.talk),
        ):
            body = json.dumps({**base, "event": event, **extra}).encode()
            jobs.append(pool.send(events, "POST", path, body, due))
        if n % 5 == 0:
            target = f"{path}/caller?number={number.replace(' ', '').replace('+', '%2B')}"
            jobs.append(pool.send(lookups_loaded, "GET", target, None, at - 0.2))
    await asyncio.gather(*jobs)
    loaded_seconds = time.monotonic() - start
    start = time.monotonic() + 0.5
    alone = int(args.lookup_seconds * args.lookup_rate)
    jobs = []
    for n in range(alone):
        number = rng.choice(desk["numbers"]).replace(" ", "").replace("+", "%2B")
        due = start + n / args.lookup_rate
        jobs.append(pool.send(lookups_alone, "GET", f"{path}/caller?number={number}", None, due))
    await asyncio.gather(*jobs)
    for connection in pool.idle:
        connection.close()
    return {
        "events": events.summary(),
        "events_per_second": round(events.summary()["requests"] / loaded_seconds, 1),
        "lookups_under_load": lookups_loaded.summary(),
        "lookups_alone": lookups_alone.summary(),
    }


def netdesk(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [*NETDESK, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"netdesk {' '.join(args[:2])} failed:\n{done.stdout}{done.stderr[-3000:]}"
        )
    return done.stdout


def line_of(out: str, prefix: str) -> str:
    return next(line for line in out.splitlines() if line.startswith(prefix)).removeprefix(prefix)


def cpu_seconds(pids: set[int]) -> float:
    """CPU seconds of the processes in these sessions (web workers, worker)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) in pids:  # the session id
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def run_setup(setup: str, args: argparse.Namespace) -> dict[str, Any]:
    scratch = Path(tempfile.mkdtemp(prefix=f"netdesk-cti-bench-{setup}-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETDESK_")}
    if setup == "postgres":
        env["NETDESK_DATABASE_URL"] = os.environ["NETDESK_DATABASE_URL"]
    env.update(NETDESK_DATA_DIR=str(scratch), NETDESK_DEBUG="0")
    result: dict[str, Any] = {
        "setup": setup,
        **{k: getattr(args, k) for k in ("rate", "seconds", "pattern", "customers")},
    }
    server: subprocess.Popen[bytes] | None = None
    try:
        log(f"{setup}: migrate and make {args.customers} customers, {AGENTS} agents")
        netdesk(env, "migrate", "--no-input", "-v", "0")
        given = json.dumps({"customers": args.customers, "agents": AGENTS})
        desk = json.loads(
            line_of(
                netdesk({**env, "CTI_BENCH_DESK": given}, "shell", "-v", "0", "-c", SETUP_SCRIPT),
                "DESK ",
            )
        )
        keys = ("python", "django", "granian", "sqlite", "postgresql")
        found = line_of(
            netdesk(env, "shell", "-v", "0", "-c", VERSIONS_SCRIPT), "VERSIONS "
        ).split()
        result["versions"] = dict(zip(keys, found, strict=True))
        port = free_port()
        serve = ["serve", "--host", HOST, "--port", str(port)]
        if args.workers:
            serve += ["--workers", str(args.workers)]
        with (scratch / "serve.log").open("wb") as out:
            server = subprocess.Popen(
                [*NETDESK, *serve], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                raise RuntimeError((scratch / "serve.log").read_text(errors="replace")[-2000:])
            try:
                with socket.create_connection((HOST, port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the desk did not answer in 120 s") from None
                time.sleep(0.3)
        log(
            f"{setup}: serving on {port}; {args.rate} calls/s for {args.seconds} s ({args.pattern})"
        )
        cpu_before = cpu_seconds({server.pid})
        result.update(asyncio.run(load(args, port, desk)))
        result["server_cpu_seconds"] = round(cpu_seconds({server.pid}) - cpu_before, 1)
        # Counted once the desk is stopped: its threads' connections are closed.
        _stop(server)
        counts = line_of(netdesk(env, "shell", "-v", "0", "-c", COUNT_SCRIPT), "COUNTS|").split("|")
        result["recorded"] = {
            "calls": int(counts[0]),
            "events": int(counts[1]),
            "events_refused": int(counts[2]),
            "lookups": int(counts[3]),
            "outcomes": counts[4],
            "calls_heard_outage": int(counts[5]),
        }
        result["errors_logged"] = (scratch / "serve.log").read_bytes().count(b" ERROR ")
    finally:
        if server is not None:
            _stop(server)
        if args.keep:
            log(f"{setup}: logs and data kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return result


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


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


def table(runs: list[dict[str, Any]]) -> str:
    lines = [
        "| setup | events sent | events/s | event p50 / p99 / max ms | non-200, failed | lookup under load p50 / p99 ms | lookup alone p50 / p99 ms | calls recorded | server CPU s |",
        "|---|---:|---:|---|---|---|---|---:|---:|",
    ]  # fmt: skip
    for run in runs:
        e, u, a = run["events"], run["lookups_under_load"], run["lookups_alone"]
        bad = sum(n for code, n in e["statuses"].items() if code != "200")
        lines.append(
            f"| {run['setup']} | {e['requests']} | {run['events_per_second']} | "
            f"{e['p50_ms']} / {e['p99_ms']} / {e['max_ms']} | {bad}, {sum(e['failures'].values())} | "
            f"{u['p50_ms']} / {u['p99_ms']} | {a['p50_ms']} / {a['p99_ms']} | "
            f"{run['recorded']['calls']} | {run['server_cpu_seconds']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setup", default=",".join(SETUPS))
    parser.add_argument("--rate", type=int, default=100, help="calls per second")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--pattern", choices=("burst", "even"), default="burst")
    parser.add_argument("--answer-after", type=float, default=0.5)
    parser.add_argument("--talk", type=float, default=1.0)
    parser.add_argument("--lookup-seconds", type=int, default=10)
    parser.add_argument("--lookup-rate", type=int, default=20, help="lookups/s alone")
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=0, help="web processes (default: per core)")
    parser.add_argument("--keep", action="store_true", help="keep the data dir and the log")
    parser.add_argument("--stamp", default=datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"))
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    inside_postgres = os.environ.get("NETDESK_DATABASE_URL", "").startswith("postgres")
    runs = []
    for setup in args.setup.split(","):
        if setup == "postgres" and not inside_postgres:
            argv = [a for a in sys.argv[1:] if not a.startswith("--setup")]
            if "--setup" in sys.argv:
                index = sys.argv.index("--setup")
                argv = sys.argv[1:index] + sys.argv[index + 2 :]
            command = [str(ROOT / "scripts" / "with-postgres.sh"), sys.executable, __file__]
            done = subprocess.run(
                [*command, *argv, "--setup", "postgres", "--stamp", args.stamp], check=False
            )
            path = RESULTS / f"cti-{args.stamp}-postgres.json"
            if done.returncode == 3:
                log("postgres: SKIPPED, PostgreSQL is not installed")
            elif done.returncode != 0 or not path.exists():
                raise SystemExit(f"postgres run failed (exit {done.returncode})")
            else:
                runs.append(json.loads(path.read_text()))
            continue
        run = run_setup(setup, args)
        run["machine"] = machine()
        (RESULTS / f"cti-{args.stamp}-{setup}.json").write_text(json.dumps(run, indent=2))
        runs.append(run)
    if inside_postgres:
        return  # the outer run prints the table
    print(table(runs))
    for run in runs:
        print(json.dumps(run, indent=2))


if __name__ == "__main__":
    main()
