"""Inventory import benchmark: generate a network of N elements (regions →
towns; core routers → aggregation switches → OLTs, DSLAMs, CMTSs and base
stations → FTTH splitters) and M customer services as CSV files, import
them with `netdesk inventory import csv` into a fresh SQLite database, and
print the times as JSON.

    python bench/import_inventory.py --data-dir /tmp/inv-bench
    python bench/import_inventory.py --elements 10000 --services 100000 --data-dir DIR

Runs: (1) areas + elements + links, (2) services with --create-customers,
(3) the same files again (nothing changes: the idempotent path),
(4) one topology() build over the loaded forest.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NETDESK = [sys.executable, "-m", "netdesk"]
ACCESS_KINDS = [
    ("olt", "OLT", 45),
    ("dslam", "DSL", 30),
    ("cmts", "CMT", 15),
    ("base_station", "BS", 10),
]
TECHNOLOGY = {"olt": "ftth", "dslam": "vdsl", "cmts": "cable", "base_station": "fixed_wireless"}
REGIONS = 10
TOWNS_PER_REGION = 20


def generate(folder: Path, elements: int, services: int, seed: int) -> dict[str, int]:
    """Write areas.csv, elements.csv, links.csv and services.csv; returns row counts.
    Shape: 2 cores per region, 1 % aggregation, 19 % access, the rest splitters."""
    rng = random.Random(seed)
    towns = [f"R{r:02d}T{t:02d}" for r in range(REGIONS) for t in range(TOWNS_PER_REGION)]
    with (folder / "areas.csv").open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["code", "name", "parent", "latitude", "longitude"])
        for region in range(REGIONS):
            writer.writerow(
                [f"R{region:02d}", f"Region {region}", "", 50 + region * 0.3, 8 + region * 0.5]
            )
        for town in towns:
            lat = 50 + int(town[1:3]) * 0.3 + rng.random() * 0.2
            writer.writerow(
                [town, f"Town {town}", town[:3], round(lat, 5), round(8 + rng.random() * 5, 5)]
            )

    cores = [f"R{r:02d}-CR-{n}" for r in range(REGIONS) for n in (1, 2)]
    aggregation_count = max(len(towns), elements // 100)
    access_count = max(aggregation_count, elements * 19 // 100)
    splitter_count = elements - len(cores) - aggregation_count - access_count
    leaves: list[tuple[str, str, str]] = []  # (element, town, technology)
    links = 0
    with (
        (folder / "elements.csv").open("w", newline="") as out,
        (folder / "links.csv").open("w", newline="") as link_out,
    ):
        writer = csv.writer(out)
        link_writer = csv.writer(link_out)
        writer.writerow(
            ["name", "kind", "area", "upstream", "management_ip", "latitude", "longitude"]
        )
        link_writer.writerow(["a_element", "b_element", "kind", "capacity_mbps"])
        host = 0

        def address() -> str:
            nonlocal host
            host += 1
            return f"10.{host >> 16 & 255}.{host >> 8 & 255}.{host & 255}"

        for core in cores:
            writer.writerow([core, "core_router", core[:3], "", address(), "", ""])
        for region in range(REGIONS):
            link_writer.writerow([cores[2 * region], cores[2 * region + 1], "fibre", 400000])
            links += 1
        aggregations = []
        for n in range(aggregation_count):
            town = towns[n % len(towns)]
            name = f"{town}-AGG-{n:05d}"
            core = f"{town[:3]}-CR-{1 + n % 2}"
            writer.writerow([name, "aggregation_switch", town, core, address(), "", ""])
            link_writer.writerow([name, core, "fibre", 100000])
            links += 1
            aggregations.append((name, town))
        weights = [weight for _, _, weight in ACCESS_KINDS]
        accesses = []
        for n in range(access_count):
            agg, town = aggregations[n % len(aggregations)]
            kind, code, _ = rng.choices(ACCESS_KINDS, weights)[0]
            name = f"{town}-{code}-{n:06d}"
            writer.writerow([name, kind, town, agg, address(), "", ""])
            link_writer.writerow(
                [name, agg, "microwave" if kind == "base_station" else "fibre", 10000]
            )
            links += 1
            accesses.append((name, town, kind))
        for n in range(splitter_count):
            access, town, kind = accesses[n % len(accesses)]
            name = f"{access}-SP-{n:06d}"
            # An operator-defined kind: any short slug is accepted.
            writer.writerow(
                [
                    name,
                    "ftth_splitter" if kind == "olt" else "street_cabinet",
                    town,
                    access,
                    "",
                    "",
                    "",
                ]
            )
            leaves.append((name, town, TECHNOLOGY[kind]))
        if not leaves:
            leaves = [(name, town, TECHNOLOGY[kind]) for name, town, kind in accesses]

    products = ["Fibre 100", "Fibre 1000", "VDSL 50", "Cable 250", "Wireless 30"]
    customers = max(1, services * 7 // 10)
    with (folder / "services.csv").open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            [
                "service_id",
                "account_number",
                "product",
                "access_technology",
                "element",
                "port",
                "area",
                "status",
                "activated_on",
            ]
        )
        for n in range(services):
            element, town, technology = leaves[rng.randrange(len(leaves))]
            writer.writerow(
                [
                    f"SV{n:09d}",
                    f"AC{rng.randrange(customers):08d}",
                    products[n % len(products)],
                    technology,
                    element,
                    f"1/{n % 16}/{n % 64}",
                    town,
                    "active",
                    f"20{10 + n % 15}-0{1 + n % 9}-1{n % 9}",
                ]
            )
    return {
        "areas": REGIONS + len(towns),
        "elements": elements,
        "links": links,
        "services": services,
    }


def run(args: list[str], env: dict[str, str], progress: bool) -> float:
    started = time.monotonic()
    subprocess.run(
        [*NETDESK, *args, *([] if progress else ["--no-progress"])],
        check=True,
        cwd=ROOT,
        env=env,
        stdout=sys.stderr,
    )
    return round(time.monotonic() - started, 1)


def topology_build_seconds(env: dict[str, str]) -> float:
    code = (
        "import time, django; django.setup()\n"
        "from netdesk.network.selectors import build_topology\n"
        "t = time.perf_counter(); forest = build_topology(); s = time.perf_counter() - t\n"
        "print(len(forest), round(s, 3))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, cwd=ROOT, env=env, capture_output=True, text=True
    ).stdout.split()
    return float(out[1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--elements", type=int, default=100_000)
    parser.add_argument("--services", type=int, default=1_000_000)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=os.environ.get("NETDESK_DATA_DIR"),
        help="NETDESK_DATA_DIR to import into: a new or empty directory",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep-files", action="store_true", help="keep the generated CSV files")
    parser.add_argument("--progress", action="store_true", help="show the import's progress bars")
    options = parser.parse_args()
    if options.data_dir is None:
        parser.error("give --data-dir DIR (or set NETDESK_DATA_DIR)")
    data_dir: Path = options.data_dir.resolve()
    if data_dir.exists() and any(data_dir.iterdir()):
        parser.error(f"--data-dir {data_dir} is not empty; give a new or empty directory")
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "NETDESK_DATA_DIR": str(data_dir),
        "NETDESK_DATABASE_URL": "",
        "DJANGO_SETTINGS_MODULE": "netdesk.settings",
    }

    folder = Path(tempfile.mkdtemp(prefix="netdesk-inventory-"))
    try:
        started = time.monotonic()
        rows = generate(folder, options.elements, options.services, options.seed)
        generated = round(time.monotonic() - started, 1)
        subprocess.run(
            [*NETDESK, "migrate", "--no-input", "-v", "0"], check=True, cwd=ROOT, env=env
        )
        network = [
            "inventory",
            "import",
            "csv",
            "--areas",
            str(folder / "areas.csv"),
            "--elements",
            str(folder / "elements.csv"),
            "--links",
            str(folder / "links.csv"),
        ]
        services = [
            "inventory",
            "import",
            "csv",
            "--services",
            str(folder / "services.csv"),
            "--create-customers",
        ]
        results = {
            "rows": rows,
            "generate_s": generated,
            "import_network_s": run(network, env, options.progress),
            "import_services_s": run(services, env, options.progress),
            "reimport_network_unchanged_s": run(network, env, options.progress),
            "reimport_services_unchanged_s": run(services, env, options.progress),
            "topology_build_s": topology_build_seconds(env),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
            "database_mb": round((data_dir / "netdesk.sqlite3").stat().st_size / 2**20),
        }
        results["services_per_s"] = round(options.services / max(results["import_services_s"], 0.1))
        print(json.dumps(results, indent=2))
    finally:
        if options.keep_files:
            print(f"CSV files kept in {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
