"""Where a full SLA recompute spends its CPU, per ticket, phase by phase.

Runs the bulk recompute's batches in this one process (no worker
processes) over the first N open tickets of a loaded database, twice: the
first run (no timers yet: every ticket computed and its timers inserted)
and after a policy change (every Standard target +60 min: every timer
updated). Each phase's CPU time (time.process_time) is summed over the
batches and divided by the tickets. Writes to the database: give it a
copy (NETDESK_DATA_DIR).

    NETDESK_DATA_DIR=COPY python bench/sla_phases.py --tickets 20000

Phases: reading the tickets and their fingerprints (stale_tickets), the
timers (_timer_rows), the timelines (histories), the arithmetic
(recompute_ticket, of it compute_timer), stable times, the timer INSERTs
and the UPDATEs (rows_update; "sql_*" is the time inside the driver's
executemany); "total" is the whole of the batches.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netdesk.settings")

import django

django.setup()

from django.db.models import F  # noqa: E402
from django.utils import timezone  # noqa: E402

from netdesk.core.sqlite import base as sqlite_base  # noqa: E402
from netdesk.sla import recompute, timers  # noqa: E402
from netdesk.sla.models import SlaTarget  # noqa: E402
from netdesk.sla.selectors import policies_changed  # noqa: E402
from netdesk.tickets.models import Ticket  # noqa: E402

spent: dict[str, float] = {}


def timed(owner: Any, name: str, key: str | None = None) -> None:
    """Replace owner.name by a wrapper adding its CPU time to spent[key]."""
    inner: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(inner)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return inner(*args, **kwargs)
        finally:
            label = key or name
            spent[label] = spent.get(label, 0.0) + time.process_time() - started

    setattr(owner, name, wrapper)


def sql_timed() -> None:
    """Time the driver's executemany per table."""
    inner = sqlite_base.TurnTakingCursor.executemany

    def executemany(self: Any, query: str, params: Any) -> Any:
        params = list(params)
        started = time.process_time()
        try:
            return inner(self, query, params)
        finally:
            words = query.split()
            table = (words[2] if words[0] == "INSERT" else words[1]).strip('"')
            label = f"sql_{words[0].lower()}_{table}"
            spent[label] = spent.get(label, 0.0) + time.process_time() - started

    sqlite_base.TurnTakingCursor.executemany = executemany  # type: ignore[method-assign]


def run_batches(ids: list[int], batch: int) -> float:
    now = timezone.now()
    started = time.process_time()
    wall = time.perf_counter()
    for at in range(0, len(ids), batch):
        last = ids[min(at + batch, len(ids)) - 1]
        recompute._recompute_tickets(
            Ticket.objects.filter(pk__gte=ids[at], pk__lte=last), now, force=False
        )
    # Wall time too: on PostgreSQL the server's work is not this process's CPU.
    spent["wall_total"] = time.perf_counter() - wall
    return time.process_time() - started


def per_ticket(total: float, count: int) -> dict[str, float]:
    figures = {name: round(value / count * 1e6, 1) for name, value in sorted(spent.items())}
    figures["total"] = round(total / count * 1e6, 1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=5000)
    args = parser.parse_args()
    for name in ("stale_tickets", "_timer_rows", "histories", "recompute_ticket"):
        timed(recompute, name)
    for name in ("stable_until", "_timers_insert", "rows_update"):
        timed(recompute, name)
    timed(timers, "compute_timer")
    sql_timed()
    ids = list(Ticket.objects.filter(is_open=True).order_by("pk").values_list("pk", flat=True))[
        : args.tickets
    ]
    result: dict[str, object] = {"tickets": len(ids)}
    result["first_us_per_ticket"] = per_ticket(run_batches(ids, args.batch), len(ids))
    spent.clear()
    SlaTarget.objects.filter(policy__name__startswith="Standard").update(minutes=F("minutes") + 60)
    policies_changed()
    result["policy_change_us_per_ticket"] = per_ticket(run_batches(ids, args.batch), len(ids))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
