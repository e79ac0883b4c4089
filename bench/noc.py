"""NOC benchmark (part of `make bench`), on SQLite in a scratch data folder:

1. builds (once) a network of 1 core router → 20 aggregation switches → 50
   OLTs each, with `--subscribers` customers (default 1,000,000), one
   service each, spread evenly over the OLTs;
2. impact: a critical alarm on an OLT, an aggregation switch and the core,
   each timed from `alarms_ingest` (deduplication, correlation, incident,
   impact recount) to the first page of affected customers;
3. the first outage of a new process (`--first-runs N`): N fresh
   processes, each timing its first critical alarm on an OLT, which also
   builds its topology and impact index;
4. intake: `netdesk serve`, then wrk POSTs prepared batches of 1,000
   generic alarms (10 % major on OLTs, the rest minor and warning on random
   elements; after the first pass most are repeats, as in an alarm storm)
   to /api/v1/noc/alarms for `--seconds`. With `--fresh`, every alarm and
   incident is deleted first, so the run starts as on a new database
   (every alarm new, about 1,000 incidents opened on the OLTs).

    python bench/noc.py [--data-dir DIR] [--subscribers N] [--seconds 20]
        [--fresh] [--first-runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from run import WRK, Server, log, netdesk  # noqa: E402

AGGREGATIONS = 20
OLTS_PER_AGGREGATION = 50
USERNAME = "bench-noc"


def setup_django(data_dir: Path) -> None:
    os.environ["NETDESK_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netdesk.settings")
    import django

    django.setup()


def build_network(subscribers: int) -> dict[str, Any]:
    """The tree and its subscribers, bulk-inserted; reused when present."""
    from netdesk.customers.models import Customer, Service
    from netdesk.network.models import Area, NetworkElement
    from netdesk.network.selectors import topology_changed

    if Service.objects.filter(service_id__startswith="BN").count() >= subscribers:
        log(f"network with {subscribers:,} subscribers already loaded")
    else:
        began = time.monotonic()
        area, _ = Area.objects.get_or_create(code="BENCH", defaults={"name": "Bench city"})
        core, _ = NetworkElement.objects.get_or_create(
            name="BN-CORE", defaults={"kind": "core_router", "area": area}
        )
        olts: list[int] = []
        for a in range(AGGREGATIONS):
            agg, _ = NetworkElement.objects.get_or_create(
                name=f"BN-AGG-{a:02d}",
                defaults={"kind": "aggregation_switch", "area": area, "upstream": core},
            )
            for o in range(OLTS_PER_AGGREGATION):
                olt, _ = NetworkElement.objects.get_or_create(
                    name=f"BN-OLT-{a:02d}-{o:02d}",
                    defaults={"kind": "olt", "area": area, "upstream": agg},
                )
                olts.append(olt.pk)
        have = Customer.objects.filter(account_number__startswith="BN").count()
        batch = 20_000
        for start in range(have, subscribers, batch):
            stop = min(start + batch, subscribers)
            made = Customer.objects.bulk_create(
                [
                    Customer(account_number=f"BN{n:08d}", name=f"Bench subscriber {n}")
                    for n in range(start, stop)
                ],
                batch_size=5000,
            )
            Service.objects.bulk_create(
                [
                    Service(
                        service_id=f"BN{n:08d}",
                        customer=customer,
                        product="Fibre 500",
                        access_technology="ftth",
                        area=area,
                        access_element_id=olts[n % len(olts)],
                    )
                    for n, customer in zip(range(start, stop), made, strict=True)
                ],
                batch_size=5000,
            )
            log(f"subscribers {stop:,}/{subscribers:,}")
        log(f"network built in {time.monotonic() - began:.0f} s")
    topology_changed()
    return {
        "core": "BN-CORE",
        "aggregation": "BN-AGG-07",
        "olt": "BN-OLT-07-13",
        "olts": [f"BN-OLT-{a:02d}-{o:02d}" for a in range(AGGREGATIONS) for o in range(50)],
    }


def time_impact(element: str) -> dict[str, Any]:
    """From a critical alarm on `element` to the first page of affected customers."""
    from django.utils import timezone

    from netdesk.noc.models import Alarm, NetworkIncident
    from netdesk.noc.selectors import affected_customers
    from netdesk.noc.services.alarms import AlarmIn, alarms_ingest

    Alarm.objects.filter(name="BenchDown").delete()
    NetworkIncident.objects.filter(title__startswith="BenchDown").delete()
    alarm = AlarmIn(
        source="generic",
        name="BenchDown",
        element_ref=element,
        severity=1,
        firing=True,
        at=timezone.now(),
    )
    began = time.perf_counter()
    result = alarms_ingest(alarms=[alarm])
    ingested = time.perf_counter() - began
    incident = NetworkIncident.objects.get(title=f"BenchDown on {element}")
    page = affected_customers(incident, user=None, limit=100)
    total = time.perf_counter() - began
    assert result.incidents == [incident.reference], result
    return {
        "element": element,
        "affected_customers": incident.affected_customers,
        "affected_services": incident.affected_services,
        "ingest_to_incident_with_impact_s": round(ingested, 3),
        "to_first_page_s": round(total, 3),
        "first_page": len(page),
    }


def clear_alarms() -> None:
    """Back to a network without alarms or incidents, as a new database."""
    from django.db import transaction

    from netdesk.noc.models import Alarm, NetworkIncident

    with transaction.atomic():
        NetworkIncident.objects.update(probable_root_alarm=None, merged_into=None, split_from=None)
        Alarm.objects.all().delete()
        NetworkIncident.objects.all().delete()


def first_outages(data_dir: Path, runs: int) -> dict[str, Any]:
    """The first outage in each of `runs` new processes (an OLT each)."""
    import statistics
    import subprocess

    times: list[float] = []
    for run in range(runs):
        olt = f"BN-OLT-{run % AGGREGATIONS:02d}-{(run * 7) % OLTS_PER_AGGREGATION:02d}"
        done = subprocess.run(
            [sys.executable, __file__, "--data-dir", str(data_dir), "--first-outage-of", olt],
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        times.append(figures["to_first_page_s"])
    return {
        "runs": runs,
        "min_s": min(times),
        "median_s": round(statistics.median(times), 3),
        "max_s": max(times),
        "each_s": times,
    }


def write_batches(folder: Path, network: dict[str, Any], count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    olts = network["olts"]
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(1, count + 1):
        alarms = []
        for _ in range(1000):
            if rng.random() < 0.1:
                element, name, severity = rng.choice(olts), "PonLos", "major"
            else:
                element = rng.choice(olts)
                name = rng.choice(["HighTemp", "FanFail", "OpticalLow", "CpuHigh"])
                severity = rng.choice(["minor", "warning"])
            alarms.append(
                {
                    "name": name,
                    "element": element,
                    "severity": severity,
                    "summary": f"{name} on {element}",
                    "labels": {"port": f"1/{rng.randint(1, 16)}"},
                }
            )
        (folder / f"batch-{n:03d}.json").write_text(json.dumps({"alarms": alarms}))


def intake(data_dir: Path, network: dict[str, Any], seconds: int, connections: int) -> Any:
    import subprocess

    env = {**os.environ, "NETDESK_DATA_DIR": str(data_dir), "NETDESK_DEBUG": "false"}
    netdesk(env, "createuser", "--username", USERNAME, "--role", "noc_engineer",
            "--password", "bench-password-noc-1", "--group", "NOC", check=False)  # fmt: skip
    token = netdesk(env, "token", "create", "--user", USERNAME).strip().splitlines()[-1]
    bodies = data_dir / "alarm-batches"
    write_batches(bodies, network, 50)
    server = Server(env, data_dir / "noc-server.log", [])
    try:
        server.wait_ready()
        command = [
            WRK, "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s",
            "-s", str(BENCH / "wrk" / "alarms.lua"), server.base, "--",
            f"token={token}", f"bodies={bodies}", "count=50", "per_batch=1000",
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        for line in done.stdout.splitlines():
            if line.startswith("NETDESK_RESULT "):
                return json.loads(line.removeprefix("NETDESK_RESULT "))
        raise RuntimeError(f"wrk gave no result:\n{done.stdout}{done.stderr}")
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="kept between runs")
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--skip-intake", action="store_true")
    parser.add_argument("--fresh", action="store_true", help="delete alarms and incidents first")
    parser.add_argument("--first-runs", type=int, default=5, help="new processes timed")
    parser.add_argument("--first-outage-of", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.first_outage_of:
        setup_django(args.data_dir)
        print(json.dumps(time_impact(args.first_outage_of)))
        return
    scratch = args.data_dir or Path(tempfile.mkdtemp(prefix="netdesk-bench-noc-"))
    scratch.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "NETDESK_DATA_DIR": str(scratch)}
    netdesk(env, "migrate", "--no-input")
    setup_django(scratch)
    results: dict[str, Any] = {"subscribers": args.subscribers}
    network = build_network(args.subscribers)
    if args.fresh:
        clear_alarms()
    if args.first_runs:
        results["first_outage_new_process"] = first_outages(scratch, args.first_runs)
        log(f"first outage of a new process: {results['first_outage_new_process']}")
    # The first outage a process sees also builds its impact index; later
    # ones use it (it refreshes in the background).
    results["impact_first_in_process"] = time_impact(network["olt"])
    results["impact"] = [time_impact(network[level]) for level in ("olt", "aggregation", "core")]
    log(f"impact: {results['impact']}")
    if not args.skip_intake:
        if shutil.which(WRK) is None:
            results["intake"] = "skipped: wrk not installed"
        else:
            results["intake"] = intake(scratch, network, args.seconds, args.connections)
            log(f"intake: {results['intake']}")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
