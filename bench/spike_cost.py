"""What `complaint_observe` costs per ticket inside a NetDesk process: the
spike detector plus its service layer (lock, placement, the read of other
processes' complaints every few seconds), on a fresh SQLite database with a
synthetic network of `--subscribers` services.

    python bench/spike_cost.py --subscribers 50000 --tickets 20000

Eight weeks of history at the same pace are stored and learned from
(`baselines_learn`, timed too); then tickets are built in memory as ticket
creation hands them over (service loaded, row id known) and shown to the
detector in time order; nothing is raised, which is the everyday case.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=50_000)
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--per-hour", type=float, default=60.0, help="complaints per hour")
    args = parser.parse_args()

    os.environ.setdefault("NETDESK_DATA_DIR", tempfile.mkdtemp(prefix="netdesk-spike-cost-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netdesk.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from netdesk.accounts.models import SupportGroup
    from netdesk.customers.models import Customer, Service
    from netdesk.network.models import Area, NetworkElement
    from netdesk.network.selectors import topology_changed
    from netdesk.noc.services.baselines import baselines_learn
    from netdesk.noc.services.outages import complaint_detector_reset, complaint_observe
    from netdesk.tickets.models import Ticket

    call_command("migrate", verbosity=0)
    rng = random.Random(1)
    area = Area.objects.create(code="BENCH", name="Bench")
    ports: list[NetworkElement] = []
    for c in range(20):
        core = NetworkElement.objects.create(name=f"core-{c}", kind="core_router", area=area)
        for a in range(2):
            agg = NetworkElement.objects.create(
                name=f"agg-{c}-{a}", kind="aggregation_switch", area=area, upstream=core
            )
            for o in range(3):
                olt = NetworkElement.objects.create(
                    name=f"olt-{c}-{a}-{o}", kind="olt", area=area, upstream=agg
                )
                ports += NetworkElement.objects.bulk_create(
                    NetworkElement(
                        name=f"port-{olt.name}-{p}", kind="pon_port", area=area, upstream=olt
                    )
                    for p in range(6)
                )
    topology_changed()
    customers = Customer.objects.bulk_create(
        Customer(account_number=f"B{n:08d}", name=f"Bench {n}") for n in range(args.subscribers)
    )
    services = Service.objects.bulk_create(
        Service(
            service_id=f"S{n:09d}",
            customer=customer,
            product="Fibre",
            access_technology="ftth",
            area=area,
            access_element=rng.choice(ports),
        )
        for n, customer in enumerate(customers)
    )
    group = SupportGroup.objects.order_by("id").first()
    assert group is not None

    def stream(start: datetime, count: int, first_pk: int) -> list[Ticket]:
        tickets, at = [], start
        for number in range(count):
            at += timedelta(hours=rng.expovariate(args.per_hour))
            service = rng.choice(services)
            tickets.append(
                Ticket(
                    pk=first_pk + number,
                    ticket_type="fault",
                    channel="phone",
                    customer_id=service.customer_id,
                    service=service,
                    title="No service",
                    group=group,
                    created_at=at,
                    updated_at=at,
                )
            )
        return tickets

    now = timezone.now()
    live_hours = args.tickets / args.per_hour
    learn_until = now - timedelta(hours=live_hours + 1)
    learn_from = learn_until - timedelta(weeks=8)
    history = stream(learn_from, int(args.per_hour * 24 * 7 * 8), 1)
    Ticket.objects.bulk_create(history, batch_size=5000)
    began = time.monotonic()
    learned = baselines_learn(since=learn_from, until=learn_until)
    print(
        f"baselines_learn: {learned.complaints} complaints, {learned.elements} elements, "
        f"{learned.areas} areas in {time.monotonic() - began:.1f} s"
    )
    tickets = stream(now - timedelta(hours=live_hours), args.tickets, 10_000_000)

    complaint_detector_reset()
    complaint_observe(ticket=tickets[0])  # builds the detector: baselines, decisions, window
    timings = []
    clock = time.perf_counter_ns
    for ticket in tickets[1:]:
        began = clock()
        complaint_observe(ticket=ticket)
        timings.append(clock() - began)
    from netdesk.noc.models import SuspectedOutage

    slow = sum(1 for t in timings if t > 1_000_000)
    print(f"{SuspectedOutage.objects.count()} suspected outages raised; {slow} calls over 1 ms")
    timings.sort()
    n = len(timings)
    print(
        f"complaint_observe over {n} tickets, {args.subscribers} services, "
        f"{len(ports)} PON ports: mean {statistics.fmean(timings) / 1000:.1f} µs, "
        f"median {timings[n // 2] / 1000:.1f} µs, p99 {timings[int(n * 0.99)] / 1000:.1f} µs, "
        f"max {timings[-1] / 1000:.0f} µs"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
