"""Service-level benchmark on a loaded database (e.g. the one `bench/run.py
--data-dir DIR --keep` leaves behind):

1. recompute: `netdesk sla recompute` over every ticket, then over the open
   ones only (their running timers project due times; they cost more), timed;
2. firing: N tickets whose resolution targets fall due over the next
   `--window` seconds are created, a real `netdesk worker` process runs, and
   the lag between each timer's due time and its breach event is measured.

    NETDESK_DATA_DIR=DIR python bench/sla.py --timers 100000 --window 60
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NETDESK = [sys.executable, "-m", "netdesk"]


def recompute(*flags: str) -> dict[str, float]:
    """Time `netdesk sla recompute` (one process per core) and read back how
    many tickets it went through."""
    started = time.monotonic()
    out = subprocess.run(
        [*NETDESK, "sla", "-v", "0", "recompute", *flags],
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout
    seconds = time.monotonic() - started
    tickets = int(out.split()[1])  # "Recomputed N tickets in ..."
    return {"tickets": tickets, "seconds": round(seconds, 1), "per_s": round(tickets / seconds)}


def prepare_due_tickets(count: int, window: float) -> tuple[datetime, datetime]:
    """Create `count` open P1 tickets (4 h resolution, 15 min first response,
    24×7) whose resolution falls due evenly over the next `window` seconds,
    with first responses given so only resolution timers remain."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netdesk.settings")
    import django

    django.setup()
    from netdesk.accounts.models import SupportGroup
    from netdesk.customers.models import Customer
    from netdesk.sla.recompute import sla_recompute_many
    from netdesk.tickets.models import Ticket, TicketEvent

    # Tickets of an earlier run would be overdue now and queue ahead of these.
    Ticket.objects.filter(title__startswith="SLA bench").delete()
    group = SupportGroup.objects.get(name="Hotline")
    customers = list(Customer.objects.values_list("pk", flat=True)[:1000])
    now = datetime.now(UTC)
    first_due = now + timedelta(seconds=20)  # time to start the worker
    target = timedelta(hours=4)
    tickets = []
    for n in range(count):
        due = first_due + timedelta(seconds=window * n / count)
        created = due - target
        tickets.append(
            Ticket(
                ticket_type="fault",
                channel="phone",
                customer_id=customers[n % len(customers)],
                title=f"SLA bench {n}",
                impact=1,
                urgency=1,
                priority=1,
                status="in_progress",
                group=group,
                created_at=created,
                updated_at=created,
                first_response_at=created + timedelta(minutes=1),
            )
        )
    made = Ticket.objects.bulk_create(tickets, batch_size=5000)
    TicketEvent.objects.bulk_create(
        [
            TicketEvent(
                ticket=t,
                at=t.created_at,
                kind="status_changed",
                field="status",
                old_value="new",
                new_value="in_progress",
            )
            for t in made
        ],
        batch_size=5000,
    )
    sla_recompute_many(tickets=Ticket.objects.filter(title__startswith="SLA bench"))
    return first_due, first_due + timedelta(seconds=window)


def lags(since: datetime) -> list[float]:
    from netdesk.sla.models import SlaTimer

    rows = SlaTimer.objects.filter(
        ticket__title__startswith="SLA bench",
        metric="resolution",
        due_at__gte=since,
        breach_fired_at__isnull=False,
    ).values_list("due_at", "breach_fired_at")
    return [(fired - due).total_seconds() for due, fired in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--timers", type=int, default=100_000)
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--skip-recompute", action="store_true")
    args = parser.parse_args()
    result: dict[str, object] = {"timers": args.timers, "window_s": args.window}
    if not args.skip_recompute:
        result["recompute_all"] = recompute()
        result["recompute_open"] = recompute("--open-only")
    prepare_started = time.monotonic()
    first_due, last_due = prepare_due_tickets(args.timers, args.window)
    result["prepare_s"] = round(time.monotonic() - prepare_started, 1)
    worker = subprocess.Popen([*NETDESK, "worker", "--interval", "0.5"], cwd=ROOT)
    try:
        deadline = last_due + timedelta(seconds=300)
        while datetime.now(UTC) < deadline:
            time.sleep(5)
            if len(lags(first_due)) >= args.timers:
                break
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
    measured = sorted(lags(first_due))
    result["fired"] = len(measured)
    if measured:
        result["lag_p50_s"] = round(statistics.median(measured), 1)
        result["lag_p99_s"] = round(measured[int(len(measured) * 0.99) - 1], 1)
        result["lag_max_s"] = round(measured[-1], 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
