"""Service-level benchmark on a loaded database (e.g. the one `bench/run.py
--data-dir DIR --keep` leaves behind):

1. recompute: `netdesk sla recompute` over every ticket, then over the open
   ones only (their running timers project due times; they cost more), timed;
2. firing: N tickets whose resolution targets fall due over the next
   `--window` seconds are created, a real `netdesk worker` process runs, and
   the lag between each timer's due time and its breach event is measured.

    NETDESK_DATA_DIR=DIR python bench/sla.py --timers 100000 --window 60

3. skipping (`--open-tickets N --data-dir DIR`, instead of 1 and 2): a
   database of N open tickets with their status history (loaded by
   bench/load_tickets.py --open-share 1.0 unless DIR has one; `--fresh`
   loads anew), then `netdesk sla recompute` timed four times: the first
   (no fingerprints yet: every ticket computed), again (nothing changed),
   after a policy change (every ticket changed), after a change to one
   policy (Standard P1: only its tickets), after a new escalation rule for
   the key accounts' P1 tickets (only those), and after 1 % of the tickets
   changed priority.

    python bench/sla.py --open-tickets 1000000 --data-dir var/bench/open

   On PostgreSQL (a throwaway cluster, loaded anew):

    scripts/with-postgres.sh python bench/sla.py --open-tickets 200000 --data-dir DIR
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NETDESK = [sys.executable, "-m", "netdesk"]


def recompute(*flags: str, env: dict[str, str] | None = None) -> dict[str, float]:
    """Time `netdesk sla recompute` (one process per core) and read back how
    many tickets it went through and recomputed."""
    load = os.getloadavg()[0]
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    out = subprocess.run(
        [*NETDESK, "sla", "-v", "0", "recompute", *flags],
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    ).stdout
    seconds = time.monotonic() - started
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU time of the command and its worker processes: what the run would
    # take with the cores to itself, when other work shares the machine.
    cpu_s = (used.ru_utime + used.ru_stime) - (cpu.ru_utime + cpu.ru_stime)
    # "Went through N tickets in ...; recomputed M whose inputs had changed."
    words = out.split()
    tickets, recomputed = int(words[2]), int(words[words.index("recomputed") + 1])
    return {
        "tickets": tickets,
        "recomputed": recomputed,
        "seconds": round(seconds, 1),
        "per_s": round(tickets / seconds),
        "load_before": round(load, 2),
        "cpu_s": round(cpu_s, 1),
    }


def django_shell(code: str, env: dict[str, str]) -> str:
    return (
        subprocess.run(
            [*NETDESK, "shell", "-c", code],
            check=True,
            cwd=ROOT,
            capture_output=True,
            text=True,
            env=env,
        )
        .stdout.strip()
        .splitlines()[-1]
    )


# Every Standard target a little longer: the policies' digest changes, so
# every ticket's figures must be recomputed.
POLICY_CHANGE = (
    "from django.db import transaction\n"
    "from django.db.models import F\n"
    "from netdesk.sla.models import SlaTarget\n"
    "from netdesk.sla.selectors import policies_changed\n"
    "with transaction.atomic():\n"
    "    n = SlaTarget.objects.filter(policy__name__startswith='Standard')"
    ".update(minutes=F('minutes') + 60)\n"
    "    policies_changed()\n"
    "print(n)"
)
# One policy's targets (Standard P1, which only P1 tickets meet): since
# fingerprints are keyed per SLA policy, only its tickets are recomputed.
ONE_POLICY_CHANGE = POLICY_CHANGE.replace("__startswith='Standard'", "='Standard P1'")
# A new escalation rule for the key accounts' P1 tickets: since fingerprints
# keep only the rules that can apply, only those tickets are recomputed.
ONE_RULE_CHANGE = (
    "from netdesk.customers.models import Segment\n"
    "from netdesk.sla.models import EscalationAction, EscalationRule, NotifyWhom\n"
    "from netdesk.sla.selectors import policies_changed\n"
    "from netdesk.tickets.models import Ticket\n"
    "EscalationRule.objects.create(name='Key account P1 at half', at_percent=50,\n"
    "    action=EscalationAction.NOTIFY, notify=NotifyWhom.TEAM_LEAD, match_priority=1,\n"
    "    match_segment=Segment.KEY_ACCOUNT)\n"
    "policies_changed()\n"
    "from django.db.models import Q\n"
    "served = Q(customer__segment=Segment.KEY_ACCOUNT)"
    " | Q(customer__parent_account__segment=Segment.KEY_ACCOUNT)\n"
    "print(Ticket.objects.filter(served, is_open=1, priority=1).count())"
)
# 1 % of the tickets (every hundredth) change priority (1 to 2, ..., 5 to 1):
# their policy changes.
SOME_CHANGE = (
    "from django.db.models import F\n"
    "from django.db.models.functions import Mod\n"
    "from netdesk.tickets.models import Ticket\n"
    "ids = list(Ticket.objects.filter(is_open=1).order_by('pk').values_list('pk', flat=True)[::100])\n"
    "print(Ticket.objects.filter(pk__in=ids).update(priority=Mod(F('priority'), 5) + 1))"
)


def skipping(open_tickets: int, data_dir: Path, *, fresh: bool) -> dict[str, object]:
    """Load `open_tickets` open tickets into DIR (unless there), then time the
    recomputes: first, unchanged, after a policy change, after one policy
    changed, after a rule for some tickets, after 1 % changed."""
    # PostgreSQL when NETDESK_DATABASE_URL names one (scripts/with-postgres.sh:
    # a throwaway cluster, loaded every time), else SQLite in DIR.
    postgres = os.environ.get("NETDESK_DATABASE_URL", "").startswith("postgres")
    url = os.environ["NETDESK_DATABASE_URL"] if postgres else ""
    env = {**os.environ, "NETDESK_DATA_DIR": str(data_dir), "NETDESK_DATABASE_URL": url}
    database = data_dir / "netdesk.sqlite3"
    result: dict[str, object] = {
        "open_tickets": open_tickets,
        "database": "postgresql" if postgres else "sqlite",
    }
    if fresh or postgres or not database.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        if not postgres:
            database.unlink(missing_ok=True)
        started = time.monotonic()
        subprocess.run([*NETDESK, "migrate", "-v", "0"], check=True, cwd=ROOT, env=env)
        subprocess.run(
            [
                sys.executable,
                "bench/load_tickets.py",
                "--tickets",
                str(open_tickets),
                "--open-share",
                "1.0",
            ],
            check=True,
            cwd=ROOT,
            env=env,
        )
        result["load_s"] = round(time.monotonic() - started, 1)
    result["first"] = recompute("--open-only", env=env)
    result["unchanged"] = recompute("--open-only", env=env)
    result["targets_changed"] = int(django_shell(POLICY_CHANGE, env))
    result["policy_changed"] = recompute("--open-only", env=env)
    result["one_policy_targets_changed"] = int(django_shell(ONE_POLICY_CHANGE, env))
    result["one_policy_changed"] = recompute("--open-only", env=env)
    result["one_rule_tickets"] = int(django_shell(ONE_RULE_CHANGE, env))
    result["one_rule_added"] = recompute("--open-only", env=env)
    result["tickets_changed"] = int(django_shell(SOME_CHANGE, env))
    result["one_percent_changed"] = recompute("--open-only", env=env)
    result["unchanged_again"] = recompute("--open-only", env=env)
    return result


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
    parser.add_argument("--open-tickets", type=int, help="the skipping benchmark (see above)")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var/bench/open")
    parser.add_argument("--fresh", action="store_true", help="load the open tickets anew")
    args = parser.parse_args()
    if args.open_tickets:
        print(json.dumps(skipping(args.open_tickets, args.data_dir, fresh=args.fresh)))
        return
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
