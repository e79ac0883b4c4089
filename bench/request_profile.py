"""What each kind of request of the mixed workload (`bench/mixed_load.py`)
costs inside one process: the same requests through Django's test client
(every middleware, no HTTP server, no other load), N of each kind, with
wall and CPU time and statements per request; then a cProfile of one kind.
On SQLite it also says how long each request held the database's writer
turn (one writer at a time: what the turn holds bounds the write rate),
and `--held` profiles only what runs while a kind holds it.

    NETDESK_DATA_DIR=DIR NETDESK_DATABASE_URL= python bench/request_profile.py --each 200
    python bench/request_profile.py --each 100 --profile detail --top 30
    python bench/request_profile.py --kinds create --held --profile create
    PROFILE_SORT=tottime python bench/request_profile.py --kinds queue_html --profile queue_html
    scripts/with-postgres.sh python bench/request_profile.py ...   (after loading)

Run it against a database loaded by bench/load_tickets.py; creates, updates
and alarm batches stay in it (a few hundred rows more)."""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netdesk.settings")
os.environ.setdefault("NETDESK_DEBUG", "0")
os.environ.setdefault("NETDESK_API_RATE", "10000000/minute")

import django  # noqa: E402

django.setup()

from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.cpu_probe import probe_ms  # noqa: E402
from bench.mixed_load import MIX, Desk, build_network  # noqa: E402
from bench.openload import Request  # noqa: E402
from netdesk.accounts.models import Role, SupportGroup  # noqa: E402
from netdesk.accounts.services import token_create, user_create  # noqa: E402

load_tickets = __import__("load_tickets")  # bench/load_tickets.py (sets itself up)


def desk_and_clients() -> tuple[Desk, Client, Client]:
    """A manager of the Hotline (API token and a signed-in session) and a
    NOC engineer, as mixed_load.py makes them; the facts its requests use."""
    suffix = secrets.token_hex(3)
    hotline = SupportGroup.objects.filter(name="Hotline").first()
    noc = SupportGroup.objects.filter(name="NOC").first()
    manager = user_create(
        username=f"bench-rp-{suffix}",
        role=Role.SERVICE_DESK_MANAGER,
        password=secrets.token_urlsafe(16),
    )
    engineer = user_create(username=f"bench-rp-noc-{suffix}", role=Role.NOC_ENGINEER)
    if hotline is not None:
        hotline.members.add(manager)
    if noc is not None:
        noc.members.add(engineer)
    tokens = {"desk": token_create(user=manager)[1], "noc": token_create(user=engineer)[1]}
    with tempfile.TemporaryDirectory() as scratch:
        refs_path = Path(scratch) / "open.json"
        build_network(refs_path)
        facts = load_tickets.describe(200)
        facts.update(json.loads(refs_path.read_text(encoding="utf-8")))
    browser = Client(HTTP_HOST="127.0.0.1")
    browser.force_login(manager)
    return Desk(facts, tokens, "signed-in"), Client(HTTP_HOST="127.0.0.1"), browser


# Kinds measured here beyond the mix: the queue's poll, which every open
# queue page sends every 15 s (the table alone, asked for with HX-Request).
POLL = "queue_poll"


def build(desk: Desk, kind: str) -> Request:
    if kind != POLL:
        return desk.build(kind)
    page = desk.build("queue_html")
    return replace(page, kind=POLL, headers=(*page.headers, ("HX-Request", "true")))


def send(api: Client, browser: Client, request: Request) -> int:
    headers = {name: value for name, value in request.headers if name != "Cookie"}
    client = browser if request.kind in {"queue_html", POLL} else api
    answer = client.generic(request.method, request.path, request.body or b"", headers=headers)
    if answer.status_code >= 300:
        raise SystemExit(f"{request.kind} {request.path} answered {answer.status_code}")
    return answer.status_code


class TurnClock:
    """Sums the time SQLite's writer turn is held (`netdesk.core.sqlite`),
    and with `profiler`, profiles only while it is held."""

    def __init__(self) -> None:
        self.held_s = 0.0
        self.profiler: cProfile.Profile | None = None
        self._since: float | None = None

    def install(self) -> bool:
        wrapper = type(connections["default"])
        if not hasattr(wrapper, "turn_take"):
            return False  # not the SQLite backend with writer turns
        take, give_back = wrapper.turn_take, wrapper.turn_give_back
        clock = self

        def timed_take(self: Any) -> None:
            take(self)
            clock._since = time.perf_counter()
            if clock.profiler is not None:
                clock.profiler.enable()

        def timed_give_back(self: Any) -> None:
            if clock._since is not None and self.holds_turn:
                if clock.profiler is not None:
                    clock.profiler.disable()
                clock.held_s += time.perf_counter() - clock._since
                clock._since = None
            give_back(self)

        wrapper.turn_take, wrapper.turn_give_back = timed_take, timed_give_back  # type: ignore[method-assign]
        return True


TURNS = TurnClock()


def measure(desk: Desk, api: Client, browser: Client, kind: str, count: int) -> dict[str, Any]:
    for _ in range(5):  # warm: memos, templates, the connection
        send(api, browser, build(desk, kind))
    walls, cpus = [], []
    held_before = TURNS.held_s
    for _ in range(count):
        request = build(desk, kind)
        wall, cpu = time.perf_counter(), time.thread_time()
        send(api, browser, request)
        cpus.append((time.thread_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
    held_ms = (TURNS.held_s - held_before) * 1000 / count
    with CaptureQueriesContext(connection) as queries:
        send(api, browser, build(desk, kind))
    walls.sort()
    return {
        "kind": kind,
        "requests": count,
        "wall_p50_ms": round(statistics.median(walls), 2),
        "wall_p90_ms": round(walls[int(len(walls) * 0.9)], 2),
        "cpu_mean_ms": round(statistics.fmean(cpus), 2),
        "turn_held_mean_ms": round(held_ms, 2),
        "statements": len(queries),
    }


def profile(
    desk: Desk, api: Client, browser: Client, kind: str, count: int, top: int, held: bool
) -> str:
    profiler = cProfile.Profile()
    if held:
        TURNS.profiler = profiler
    else:
        profiler.enable()
    for _ in range(count):
        send(api, browser, build(desk, kind))
    if held:
        TURNS.profiler = None
    else:
        profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats(
        os.environ.get("PROFILE_SORT", "cumulative")
    ).print_stats(top)
    return text.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--each", type=int, default=100, help="requests of each kind")
    parser.add_argument(
        "--kinds", default=",".join(MIX), help=f"comma-separated; also {POLL} (the queue's poll)"
    )
    parser.add_argument("--profile", help="a kind to run again under cProfile")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument(
        "--held", action="store_true", help="profile only while the writer turn is held (SQLite)"
    )
    parser.add_argument("--out", help="write the figures here as JSON")
    args = parser.parse_args()
    turns = TURNS.install()
    if args.held and not turns:
        parser.error("--held: only SQLite has a writer turn")
    desk, api, browser = desk_and_clients()
    probe = probe_ms()
    print(f"cpu probe: {probe} ms (bench/cpu_probe.py: compare runs whose probes agree)")
    rows = [measure(desk, api, browser, kind, args.each) for kind in args.kinds.split(",")]
    weights = [MIX.get(row["kind"], 0) for row in rows]
    mean = sum(w * row["cpu_mean_ms"] for w, row in zip(weights, rows, strict=True)) / (
        sum(weights) or 1
    )
    print(
        f"{'kind':<12} {'wall p50':>9} {'wall p90':>9} {'CPU mean':>9} {'turn held':>9} "
        f"{'statements':>10}"
    )
    for row in rows:
        print(
            f"{row['kind']:<12} {row['wall_p50_ms']:>9} {row['wall_p90_ms']:>9} "
            f"{row['cpu_mean_ms']:>9} {row['turn_held_mean_ms']:>9} {row['statements']:>10}"
        )
    print(f"CPU per request of the mix (weighted mean): {mean:.2f} ms")
    result = {
        "vendor": connection.vendor,
        "cpu_probe_ms": probe,
        "rows": rows,
        "mix_cpu_mean_ms": round(mean, 2),
    }
    if args.profile:
        result["profile"] = profile(
            desk, api, browser, args.profile, args.each, args.top, args.held
        )
        print(result["profile"])
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
