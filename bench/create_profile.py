"""What one ticket create costs inside the process: POST /api/v1/tickets
through Django's test client (no HTTP server, no other load), N times for
random customers of the loaded database, then the statements of one create
with their times and a cProfile of a few hundred.

    NETDESK_DATA_DIR=DIR NETDESK_DATABASE_URL= python bench/create_profile.py --creates 500
    scripts/with-postgres.sh python bench/create_profile.py ...   (after loading)

Run it against a database loaded by bench/load_tickets.py; the creates stay
in it (a few hundred tickets more)."""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import secrets
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netdesk.settings")
os.environ.setdefault("NETDESK_DEBUG", "0")
os.environ.setdefault("NETDESK_API_RATE", "10000000/minute")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from netdesk.accounts.models import Role  # noqa: E402
from netdesk.accounts.services import token_create, user_create  # noqa: E402
from netdesk.customers.models import Customer  # noqa: E402


def body(customer_ids: list[int]) -> dict[str, Any]:
    # The same request as the wrk create scenario (bench/wrk/netdesk.lua).
    return {
        "customer_id": random.choice(customer_ids),
        "ticket_type": "fault",
        "channel": "phone",
        "title": "No internet since this morning",
        "description": "Router shows red DSL light; customer restarted it twice.",
    }


def post(client: Client, payload: dict[str, Any]) -> None:
    answer = client.post("/api/v1/tickets", payload, content_type="application/json")
    if answer.status_code != 201:
        raise SystemExit(f"create answered {answer.status_code}: {answer.content[:300]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--creates", type=int, default=500)
    parser.add_argument("--profile", type=int, default=200, help="creates under cProfile")
    parser.add_argument("--lines", type=int, default=35, help="profile lines shown per sort")
    parser.add_argument("--pstats", help="also write the profile here (pstats format)")
    parser.add_argument("--out", help="write the figures here as JSON")
    args = parser.parse_args()
    load_at_start = round(os.getloadavg()[0], 2)
    name = f"bench-profile-{secrets.token_hex(3)}"
    user = user_create(
        username=name, role=Role.SERVICE_DESK_MANAGER, password=secrets.token_urlsafe(16)
    )
    client = Client(
        HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)[1]}", HTTP_HOST="127.0.0.1"
    )
    customer_ids = list(Customer.objects.values_list("pk", flat=True)[:20000])
    for _ in range(20):  # warm: memos, classifier, first connection
        post(client, body(customer_ids))
    times = []
    cpu_began = time.process_time()
    for _ in range(args.creates):
        payload = body(customer_ids)
        began = time.perf_counter()
        post(client, payload)
        times.append((time.perf_counter() - began) * 1000)
    # CPU time of this process (the web side of a create: Python and the
    # database driver), less disturbed by other work on the machine than
    # the wall times.
    cpu_ms = (time.process_time() - cpu_began) * 1000 / max(args.creates, 1)
    times.sort()
    statements: list[tuple[float, str]] = []

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append(((time.perf_counter() - began) * 1000, sql[:110]))

    with connection.execute_wrapper(timed):
        post(client, body(customer_ids))
    # CPU time, not wall time: waiting on the database server (and on the
    # other work of a shared machine) is not this process's cost.
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for _ in range(args.profile):
        post(client, body(customer_ids))
    profile.disable()
    if args.pstats:
        profile.dump_stats(args.pstats)
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(args.lines)
    pstats.Stats(profile, stream=text).sort_stats("tottime").print_stats(args.lines)
    profiled: float = pstats.Stats(profile).total_tt  # type: ignore[attr-defined]
    figures = {
        "database": connection.vendor,
        "load_average_at_start": load_at_start,
        "creates": args.creates,
        "cpu_ms_per_create": round(cpu_ms, 3),
        "mean_ms": round(statistics.fmean(times), 2),
        "p50_ms": round(times[len(times) // 2], 2),
        "p99_ms": round(times[int(len(times) * 0.99) - 1], 2),
        "statements": len(statements),
        "statement_ms": round(sum(ms for ms, _ in statements), 2),
        "profiled_ms_per_create": round(profiled * 1000 / max(args.profile, 1), 2),
    }
    print(json.dumps(figures, indent=1))
    for ms, sql in statements:
        print(f"{ms:7.2f} ms  {sql}")
    print(text.getvalue())
    if args.out:
        Path(args.out).write_text(json.dumps(figures, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
