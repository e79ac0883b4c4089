"""Held resolution and the satisfaction report at volume: on a database
loaded by bench/load_tickets.py (default 1,000,000 tickets over a year, 20,000
customers), the held-resolution KPI for the desk, a group and an agent over
30 and 90 days, and the satisfaction report (overall, per group, per agent)
over the same periods, each the median of repeated runs after a warm-up, with
its query count and the database's plan of the held-resolution query.

Surveys are written for a share of the tickets resolved in the last 180 days
(half of them answered) the first time, straight into the table.

    NETDESK_DATABASE_URL=sqlite:////tmp/x/netdesk.sqlite3 python bench/held_resolution.py
    scripts/with-postgres.sh sh -c 'python bench/load_tickets.py && python bench/held_resolution.py'
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netdesk.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from netdesk.accounts.models import Role, SupportGroup, User  # noqa: E402
from netdesk.accounts.services import user_create  # noqa: E402
from netdesk.reports.csat import csat_query, csat_report  # noqa: E402
from netdesk.reports.kpis import KpiScope, held_resolution  # noqa: E402
from netdesk.surveys.models import Survey, SurveyState  # noqa: E402
from netdesk.tickets import kpis  # noqa: E402
from netdesk.tickets.models import Ticket  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
REPEATS = 5
PERIODS = (30, 90)
BATCH = 5000


def timed(build: Callable[[], Any], repeats: int) -> dict[str, Any]:
    """Median milliseconds of `build` after one warm-up, and its queries."""
    build()
    times = []
    queries = 0
    for _ in range(repeats):
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            build()
            times.append((time.perf_counter() - began) * 1000)
        queries = len(captured)
    return {"median_ms": round(statistics.median(times), 1), "queries": queries}


def write_surveys(share: float, now: datetime) -> int:
    """Surveys for `share` of the tickets resolved in the last 180 days."""
    if Survey.objects.exists():
        return Survey.objects.count()
    rng = random.Random(16)
    rows = (
        Ticket.objects.filter(resolved_at__gte=now - timedelta(days=180))
        .values_list(
            "pk", "customer_id", "group_id", "resolved_by_id", "category_id", "resolved_at"
        )
        .iterator(chunk_size=BATCH)
    )
    batch: list[Survey] = []
    written = 0
    for pk, customer, group, agent, category, resolved in rows:
        if resolved is None or rng.random() >= share:
            continue
        answered = rng.random() < 0.5
        batch.append(
            Survey(
                ticket_id=pk,
                public_id=secrets.token_hex(16),
                customer_id=customer,
                group_id=group,
                agent_id=agent,
                category_id=category,
                segment="residential",
                channel="email",
                state=SurveyState.ANSWERED if answered else SurveyState.EXPIRED,
                rating=rng.choice((1, 2, 3, 4, 4, 5, 5, 5)) if answered else None,
                resolved_at=resolved,
                sent_at=resolved + timedelta(hours=1),
                answered_at=resolved + timedelta(hours=5) if answered else None,
                comment="Thanks" if answered and rng.random() < 0.2 else "",
                created_at=resolved,
            )
        )
        if len(batch) >= BATCH:
            Survey.objects.bulk_create(batch)
            written += len(batch)
            batch = []
    Survey.objects.bulk_create(batch)
    return written + len(batch)


def reader() -> User:
    found = User.objects.filter(username="bench-csat-manager").first()
    return found or user_create(
        username="bench-csat-manager", role=Role.SERVICE_DESK_MANAGER, password=None
    )


def plan(start: datetime, end: datetime) -> list[str]:
    """The database's plan of the held-resolution query."""
    tickets = kpis.resolved_in(start, end)
    counts = kpis.held_counts(now=datetime.now(UTC), window=kpis.held_window())
    annotated = tickets.annotate(**counts).values(*counts)
    sql, params = annotated.query.sql_with_params()
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        return [" ".join(str(c) for c in row) for row in cursor.fetchall()]


def indexes() -> list[str]:
    """The ticket table's indexes that lead with the customer."""
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Ticket._meta.db_table)
    return sorted(
        name
        for name, facts in found.items()
        if facts.get("index") and (facts.get("columns") or [""])[0] == "customer_id"
    )


def measure(share: float, repeats: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    began = time.perf_counter()
    surveys = write_surveys(share, now)
    written_s = round(time.perf_counter() - began, 1)
    user = reader()
    group = SupportGroup.objects.order_by("pk").first()
    agent_id = (
        Ticket.objects.filter(resolved_by__isnull=False)
        .values_list("resolved_by_id", flat=True)
        .first()
    )
    figures: dict[str, Any] = {}
    for days in PERIODS:
        start, end = now - timedelta(days=days), now
        resolved = kpis.resolved_in(start, end).count()
        desk = KpiScope(start=start, end=end)
        by_group = KpiScope(start=start, end=end, group_id=group.pk if group else None)
        by_agent = KpiScope(start=start, end=end, agent_id=agent_id)
        figures[f"{days}_days"] = {
            "resolved_tickets": resolved,
            "held_resolution_desk": timed(lambda s=desk: held_resolution(s), repeats),  # type: ignore[misc]
            "held_resolution_group": timed(lambda s=by_group: held_resolution(s), repeats),  # type: ignore[misc]
            "held_resolution_agent": timed(lambda s=by_agent: held_resolution(s), repeats),  # type: ignore[misc]
            "held_rate": held_resolution(desk)["rate"],
            **{
                f"csat_report_{by or 'overall'}": timed(
                    lambda b=by, s=start, e=end: csat_report(  # type: ignore[misc]
                        csat_query(user=user, start=s, end=e, by=b)
                    ),
                    repeats,
                )
                for by in (None, "group", "agent")
            },
        }
    return {
        "database": connection.vendor,
        "tickets": Ticket.objects.count(),
        "surveys": surveys,
        "surveys_written_seconds": written_s,
        "held_window_days": kpis.held_window().days,
        "repeats": repeats,
        "indexes_on_ticket_customer": indexes(),
        "periods": figures,
        "held_query_plan": plan(now - timedelta(days=30), now),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--survey-share", type=float, default=0.3)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    args = parser.parse_args()
    result = measure(args.survey_share, args.repeats)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"held-resolution-{result['database']}-{datetime.now():%Y%m%d-%H%M}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
