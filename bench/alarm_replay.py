"""Replay a real alarm log with its device topology through the desk's own
intake, and measure the incidents it makes.

Data: the 24V microwave log of the PCIC 2021 / gCastle topology datasets,
expected at `../shared/data/alarms/24V_439N_Microwave/` (`Alarm.csv`,
`DAG.npy` the causal graph between alarm types, `Topology.npy` the device
adjacency). Exits 0 with a message when it is absent.

    .venv/bin/python bench/alarm_replay.py [--data DIR] [--limit-seconds N]
    scripts/with-postgres.sh .venv/bin/python bench/alarm_replay.py --db postgres

1. `Topology.npy` becomes GraphML (nodes `dev-<id>`, undirected links) and is
   imported with `netdesk inventory import graphml` into a fresh database
   (SQLite in a temporary folder, or the PostgreSQL database of
   NETDESK_DATABASE_URL with `--db postgres`).
2. The alarms go through `alarms_ingest`, one batch per distinct second in
   time order, `now` = that second after a fixed epoch: each alarm fires at its
   start and clears at its end (an alarm with end == start fires and clears in
   one batch), severity major. The desk's clock is the log's clock
   (`django.utils.timezone.now` follows the replay), and the periodic close of
   quiet incidents (`incidents_close_quiet(now=...)`, where the desk has it)
   runs at every simulated minute, and for `--tail-minutes` after the last
   alarm.
3. Figures, for the evaluation half (alarms from the median start on, as
   `bench/alarm_grouping_eval.py` splits) and the whole log: the share of
   alarms that joined an incident that was active when they came in, the rest
   by reason, incident count, sizes, durations, the largest incident's share
   of the log's span, and pair recall and purity against the causal graph
   (`bench/replay_metrics.py`) beside the device-only, topology (device or
   neighbour) and time-window groupings of `bench/alarm_grouping.py`.

Prints Markdown tables and progress; writes JSON to
bench/results/alarm-replay-<stamp>-<db>.json (or `--json FILE`).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from bench.alarm_grouping import AlarmEvent, group_alarms, same_device  # noqa: E402
from bench.replay_metrics import (  # noqa: E402
    Label,
    LogAlarm,
    causal_pairs,
    grouping_figures,
    pair_recall,
    purity,
    spread,
)
from bench.replay_topology import (  # noqa: E402
    CausalGraph,
    device_name,
    graphml_write,
    matrix_load,
    neighbours_of,
    undirected_edges,
)

DEFAULT_DATA = ROOT.parent / "shared/data/alarms/24V_439N_Microwave"
RESULTS = BENCH / "results"
EPOCH = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday; the log's second 0
SOURCE = "generic"
ACTIVE_STATES = {"investigating", "identified", "monitoring"}

# Where an alarm stood right after the batch it fired in.
ACTIVE = "in an active incident"
RESOLVED = "attached to a resolved incident"
FLAPPING = "unassigned: flapping"
UNKNOWN = "unassigned: unknown element"
NONE = "unassigned: no incident"
OUTCOMES = (ACTIVE, RESOLVED, FLAPPING, UNKNOWN, NONE)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def read_log(path: Path, limit_seconds: int | None) -> list[LogAlarm]:
    """Alarm.csv, sorted by start (file order among equal starts)."""
    alarms: list[LogAlarm] = []
    with path.open(newline="", encoding="utf-8-sig") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            try:
                start = int(float(row["start_timestamp"]))
                end = int(float(row["end_timestamp"]))
                alarm = LogAlarm(row["alarm_id"], int(row["device_id"]), start, max(start, end))
            except (KeyError, ValueError) as error:
                raise SystemExit(
                    f"{path.name} line {line}: unreadable row {row!r} ({error})"
                ) from None
            if limit_seconds is None or start < limit_seconds:
                alarms.append(alarm)
    return sorted(alarms, key=lambda a: a.start)


def alarm_name(kind: str) -> str:
    return f"type-{kind}"


def fingerprint(alarm: LogAlarm) -> str:
    # As AlarmIn.key() derives it from source, element and name.
    return f"{SOURCE}:{device_name(alarm.device)}:{alarm_name(alarm.kind)}"


# Setting up the desk


def setup(db: str) -> str:
    """Django on a fresh database; returns where it lives."""
    if db == "postgres":
        if not os.environ.get("NETDESK_DATABASE_URL", "").startswith("postgres"):
            raise SystemExit(
                "--db postgres needs NETDESK_DATABASE_URL: run under scripts/with-postgres.sh"
            )
        where = "PostgreSQL (NETDESK_DATABASE_URL)"
    else:
        os.environ["NETDESK_DATABASE_URL"] = ""
        os.environ["NETDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="netdesk-alarm-replay-")
        where = os.environ["NETDESK_DATA_DIR"]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netdesk.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return where


def topology_import(topology_file: Path, network: str, workdir: Path) -> tuple[int, int]:
    """Through the real `netdesk inventory import graphml`."""
    from io import StringIO

    from django.core.management import call_command

    graphml = workdir / f"{network}.graphml"
    devices, links = graphml_write(topology_file, graphml, network=network)
    out = StringIO()
    call_command(
        "inventory",
        "import",
        "graphml",
        str(graphml),
        "--kind-default",
        "microwave_link",
        "--no-progress",
        stdout=out,
        stderr=out,
    )
    log(f"imported {devices} devices and {links} links: {out.getvalue().strip()[-300:]}")
    return devices, links


class Clock:
    """The desk's `timezone.now`, held at the replay's second while installed
    (`with Clock() as clock:`); the desk reads it as `timezone.now()`."""

    def __init__(self) -> None:
        self.now = EPOCH
        self._saved: Callable[[], datetime] | None = None

    def __enter__(self) -> Clock:
        from django.utils import timezone

        self._saved = timezone.now
        timezone.now = lambda: self.now
        return self

    def __exit__(self, *_exc: object) -> None:
        from django.utils import timezone

        if self._saved is not None:
            timezone.now = self._saved


def close_task() -> Callable[..., Any] | None:
    try:
        from netdesk.noc.services import lifecycle
    except ImportError:
        return None
    found = getattr(lifecycle, "incidents_close_quiet", None)
    return found if callable(found) else None


# The replay


def batches(
    alarms: Sequence[LogAlarm], momentary_seconds: int = 0
) -> dict[int, list[tuple[bool, int]]]:
    """Second → [(firing, alarm index)]: clears of alarms that began earlier,
    then the second's fires, then the clears of alarms that end as they
    begin (so a momentary alarm fires and clears within its batch). With
    `momentary_seconds`, an alarm whose end is its start clears that much
    later instead, in a batch of its own."""
    by_second: dict[int, list[tuple[int, bool, int]]] = defaultdict(list)
    for index, alarm in enumerate(alarms):
        end = alarm.end if alarm.end > alarm.start else alarm.start + momentary_seconds
        by_second[alarm.start].append((1, True, index))
        by_second[end].append((0 if end > alarm.start else 2, False, index))
    return {
        second: [(firing, index) for _, firing, index in sorted(events, key=lambda e: e[0])]
        for second, events in sorted(by_second.items())
    }


def replay(
    alarms: Sequence[LogAlarm],
    clock: Clock,
    *,
    tail_minutes: int,
    progress_every: int,
    momentary_seconds: int = 0,
    close_each_minute: bool = True,
    close_every_minutes: int = 1,
) -> dict[str, Any]:
    """Feed the log; per alarm, where it stood after its batch."""
    from netdesk.noc.models import Alarm
    from netdesk.noc.services.alarms import AlarmIn, alarms_ingest

    close = close_task() if close_each_minute else None
    log("periodic close: " + ("incidents_close_quiet each minute" if close else "not in the desk"))
    plan = batches(alarms, momentary_seconds)
    outcome: list[str] = [NONE] * len(alarms)
    incident_at_intake: list[int | None] = [None] * len(alarms)
    row_of: list[int | None] = [None] * len(alarms)
    step = 60 * close_every_minutes
    next_tick = step
    closes = 0
    began = time.monotonic()
    seconds = list(plan)

    def tick_until(second: int) -> None:
        nonlocal next_tick, closes
        while close is not None and next_tick <= second:
            clock.now = EPOCH + timedelta(seconds=next_tick)
            close(now=clock.now)
            closes += 1
            next_tick += step

    for number, second in enumerate(seconds, start=1):
        tick_until(second)
        clock.now = at = EPOCH + timedelta(seconds=second)
        events = plan[second]
        batch = [
            AlarmIn(
                source=SOURCE,
                name=alarm_name(alarms[i].kind),
                element_ref=device_name(alarms[i].device),
                severity=2,  # major
                firing=firing,
                at=at,
            )
            for firing, i in events
        ]
        alarms_ingest(alarms=batch, now=at)
        fired = [i for firing, i in events if firing]
        rows = {
            fp: (pk, incident, state, flapping, element)
            for pk, fp, incident, state, flapping, element in Alarm.objects.filter(
                fingerprint__in={fingerprint(alarms[i]) for i in fired}
            )
            .order_by("id")
            .values_list(
                "id", "fingerprint", "incident_id", "incident__state", "is_flapping", "element_id"
            )
        }
        for i in fired:
            if fingerprint(alarms[i]) not in rows:
                continue  # no row: counted as no incident
            pk, incident, state, flapping, element = rows[fingerprint(alarms[i])]
            row_of[i], incident_at_intake[i] = pk, incident
            if incident is not None:
                outcome[i] = ACTIVE if state in ACTIVE_STATES else RESOLVED
            elif flapping:
                outcome[i] = FLAPPING
            elif element is None:
                outcome[i] = UNKNOWN
        if number % progress_every == 0 or number == len(seconds):
            spent = time.monotonic() - began
            log(
                f"batch {number:,}/{len(seconds):,} (second {second:,}), {spent:.0f} s, "
                f"{number / spent:.0f} batches/s, about {(len(seconds) - number) * spent / number:.0f} s left"
            )
    last = seconds[-1] if seconds else 0
    tick_until(last + tail_minutes * 60)
    return {
        "outcome": outcome,
        "incident_at_intake": incident_at_intake,
        "row_of": row_of,
        "batches": len(seconds),
        "closes": closes,
        "close_task": close is not None,
        "seconds": time.monotonic() - began,
        "ended_at": clock.now,
    }


def product_labels(done: dict[str, Any]) -> tuple[list[Label], dict[int, dict[str, Any]]]:
    """Each alarm's incident as the desk leaves it: the incident it joined,
    followed through merges; or, where its alarm row was split off into a
    descendant incident, that one; an alarm that joined none takes its row's
    incident if the row was attached later."""
    from netdesk.noc.models import Alarm, NetworkIncident

    incidents: dict[int, dict[str, Any]] = {
        row["id"]: dict(row)
        for row in NetworkIncident.objects.values(
            "id",
            "merged_into_id",
            "split_from_id",
            "state",
            "started_at",
            "resolved_at",
            "detected_by",
            "closed_automatically",
        )
    }
    final_of_row = dict(Alarm.objects.values_list("id", "incident_id"))

    def merged(incident: int | None) -> int | None:
        seen = set()
        while (
            incident is not None and incidents[incident]["merged_into_id"] and incident not in seen
        ):
            seen.add(incident)
            incident = incidents[incident]["merged_into_id"]
        return incident

    def split_descendant(child: int, ancestor: int) -> bool:
        seen = set()
        node: int | None = child
        while node is not None and node not in seen:
            if node == ancestor:
                return True
            seen.add(node)
            node = incidents[node]["split_from_id"]
        return False

    labels: list[Label] = []
    for joined, row in zip(done["incident_at_intake"], done["row_of"], strict=True):
        final = merged(final_of_row.get(row)) if row is not None else None
        if joined is None:
            labels.append(final)
            continue
        joined = merged(joined)
        assert joined is not None
        labels.append(final if final is not None and split_descendant(final, joined) else joined)
    return labels, incidents


# Figures


def window_groupings(
    alarms: Sequence[LogAlarm], neighbours: dict[int, set[int]], windows: Sequence[int]
) -> dict[str, list[Label]]:
    events = [
        AlarmEvent(kind=a.kind, device=str(a.device), start=a.start, end=a.end) for a in alarms
    ]
    position = {id(event): i for i, event in enumerate(events)}
    near = {str(d): {str(n) for n in ns} for d, ns in neighbours.items()}

    def topology_related(a: str, b: str) -> bool:
        return a == b or b in near.get(a, set())

    found: dict[str, list[Label]] = {}
    for window in windows:
        for name, related in (
            ("device", same_device),
            ("device or neighbour", topology_related),
            ("time", None),
        ):
            labels: list[Label] = [None] * len(alarms)
            for number, group in enumerate(group_alarms(events, window, related=related)):
                for event in group.alarms:
                    labels[position[id(event)]] = number
            found[f"{name} {window} s"] = labels
    return found


def incident_durations(
    labels: Sequence[Label], incidents: dict[int, dict[str, Any]], ended_at: datetime
) -> tuple[list[float], int]:
    """Resolved minus started for the incidents these alarms are in (still
    open: up to the replay's end), and how many are still open."""
    durations, still_open = [], 0
    for incident in {label for label in labels if label is not None}:
        row = incidents[int(incident)]  # type: ignore[call-overload]
        end = row["resolved_at"]
        if end is None:
            end, still_open = ended_at, still_open + 1
        durations.append((end - row["started_at"]).total_seconds())
    return durations, still_open


def part_figures(
    name: str,
    alarms: Sequence[LogAlarm],
    outcome: Sequence[str],
    labels: Sequence[Label],
    graph: CausalGraph,
    neighbours: dict[int, set[int]],
    args: argparse.Namespace,
    incidents: dict[int, dict[str, Any]],
    ended_at: datetime,
    log_span: float,
) -> dict[str, Any]:
    log(f"figures for {name}: {len(alarms):,} alarms")
    kinds = [a.kind for a in alarms]
    span = max(a.end for a in alarms) - min(a.start for a in alarms)
    pairs = causal_pairs(alarms, graph.edges, neighbours, args.pair_window)
    counts = Counter(outcome)
    durations, still_open = incident_durations(labels, incidents, ended_at)
    product = grouping_figures(alarms, labels)
    chance, _ = purity(["all"] * len(alarms), kinds, graph.related)
    recall_product = pair_recall(labels, pairs)
    purity_product, same_group_pairs = purity(labels, kinds, graph.related)
    product.update(
        {
            "pair_recall": recall_product,
            "purity": purity_product,
            "same_group_pairs": same_group_pairs,
            "duration_seconds": spread(durations),
            "still_open": still_open,
            # Its alarms' span within this part, as for the groupings below.
            "largest_share_of_span": (
                product["span_seconds"]["max"] / span if span else 0.0  # type: ignore[index]
            ),
            # The longest incident as the desk records it, over the whole replay.
            "longest_duration_share_of_log": (
                max(durations) / log_span if durations and log_span else 0.0
            ),
        }
    )
    others: dict[str, Any] = {}
    for grouping, grouped in window_groupings(alarms, neighbours, args.windows).items():
        figures = grouping_figures(alarms, grouped)
        figures["pair_recall"] = pair_recall(grouped, pairs)
        figures["purity"], figures["same_group_pairs"] = purity(grouped, kinds, graph.related)
        figures["largest_share_of_span"] = (
            figures["span_seconds"]["max"] / span if span else 0.0  # type: ignore[index]
        )
        others[grouping] = figures
    return {
        "alarms": len(alarms),
        "span_seconds": span,
        "outcomes": {o: counts.get(o, 0) for o in OUTCOMES},
        "share_in_active_incident": counts.get(ACTIVE, 0) / len(alarms) if alarms else 0.0,
        "unassigned": sum(counts.get(o, 0) for o in (FLAPPING, UNKNOWN, NONE)),
        "causal_pairs": len(pairs),
        "purity_chance": chance,
        "product": product,
        "groupings": others,
    }


def fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def print_part(name: str, part: dict[str, Any]) -> None:
    print(f"\n## {name}: {part['alarms']:,} alarms over {part['span_seconds'] / 86400:.2f} days\n")
    for outcome, count in part["outcomes"].items():
        print(f"- {outcome}: {count:,} ({count / part['alarms']:.1%})")
    print(
        f"\n{part['causal_pairs']:,} causal pairs (graph edge, same or neighbouring device, "
        f"within the pair window); purity of one group holding everything: "
        f"{fmt(part['purity_chance'])}\n"
    )
    print(
        "| grouping | groups | alarms in groups | alarms median/p90/max | elements median/p90/max "
        "| span s median/p90/max | largest span / log span | pair recall | purity |"
    )
    print("|---|---:|---:|---|---|---|---:|---:|---:|")
    rows = [("desk incidents", part["product"]), *part["groupings"].items()]
    for grouping, f in rows:
        print(
            f"| {grouping} | {f['groups']:,} | {f['alarms_grouped']:,} "
            f"| {_triple(f['size_alarms'])} | {_triple(f['size_elements'])} "
            f"| {_triple(f['span_seconds'])} | {fmt(f['largest_share_of_span'])} "
            f"| {fmt(f['pair_recall'])} | {fmt(f['purity'])} |"
        )
    p = part["product"]
    print(
        f"\nDesk incidents' durations (resolved − started; open ones to the replay's end): "
        f"{_triple(p['duration_seconds'])} s; {p['still_open']:,} still open; the longest is "
        f"{p['longest_duration_share_of_log']:.3f} of the replayed log's span."
    )


def _triple(s: dict[str, float]) -> str:
    return f"{s['median']:.0f} / {s['p90']:.0f} / {s['max']:.0f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit-seconds", type=int, help="only alarms starting before this second")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--windows", default="60,300,900", help="time-window groupings, seconds")
    parser.add_argument("--pair-window", type=int, default=300, help="seconds, for causal pairs")
    parser.add_argument("--tail-minutes", type=int, default=120, help="close ticks after the end")
    parser.add_argument("--progress-every", type=int, default=2000, help="batches")
    parser.add_argument(
        "--momentary-seconds",
        type=int,
        default=0,
        help="clear alarms whose end is their start this much later (default 0: same batch)",
    )
    parser.add_argument(
        "--no-close", action="store_true", help="do not run the periodic close even where present"
    )
    parser.add_argument(
        "--close-every-minutes",
        type=int,
        default=1,
        help="simulated minutes between runs of the periodic close (the worker's is 1)",
    )
    parser.add_argument("--json", type=Path, help="where to write the figures")
    args = parser.parse_args(argv)
    if args.close_every_minutes < 1:
        parser.error(f"--close-every-minutes {args.close_every_minutes}: a whole number from 1")
    if args.limit_seconds is not None and args.limit_seconds < 1:
        parser.error(f"--limit-seconds {args.limit_seconds}: a whole number of seconds from 1")
    args.windows = [int(w) for w in args.windows.split(",") if w]
    files = [args.data / n for n in ("Alarm.csv", "DAG.npy", "Topology.npy")]
    if not all(f.exists() for f in files):
        print(
            f"skipped: {args.data} lacks Alarm.csv, DAG.npy or Topology.npy "
            "(see ../shared/data/DATA.md)"
        )
        return 0
    began = time.monotonic()
    alarms = read_log(files[0], args.limit_seconds)
    if len(alarms) < 2:
        raise SystemExit(f"--limit-seconds {args.limit_seconds}: fewer than 2 alarms in the log")
    graph = CausalGraph(matrix_load(files[1]))
    adjacency = matrix_load(files[2])
    neighbours = neighbours_of(len(adjacency), undirected_edges(adjacency))
    unknown = {a.device for a in alarms} - set(neighbours)
    if unknown:
        raise SystemExit(f"Alarm.csv names devices the topology lacks: {sorted(unknown)[:5]}")
    where = setup(args.db)
    log(f"database: {where}")
    with tempfile.TemporaryDirectory(prefix="alarm-replay-") as workdir:
        devices, links = topology_import(files[2], args.data.name, Path(workdir))
    with Clock() as clock:
        done = replay(
            alarms,
            clock,
            tail_minutes=args.tail_minutes,
            progress_every=args.progress_every,
            momentary_seconds=args.momentary_seconds,
            close_each_minute=not args.no_close,
            close_every_minutes=args.close_every_minutes,
        )
    labels, incidents = product_labels(done)
    split = alarms[len(alarms) // 2].start
    half = [i for i, a in enumerate(alarms) if a.start >= split]
    log_span = max(a.end for a in alarms) - alarms[0].start
    parts = {
        "evaluation half": part_figures(
            "evaluation half",
            [alarms[i] for i in half],
            [done["outcome"][i] for i in half],
            [labels[i] for i in half],
            graph,
            neighbours,
            args,
            incidents,
            done["ended_at"],
            log_span,
        ),
        "whole log": part_figures(
            "whole log",
            alarms,
            done["outcome"],
            labels,
            graph,
            neighbours,
            args,
            incidents,
            done["ended_at"],
            log_span,
        ),
    }
    from django.db import connection

    from netdesk.noc.models import Alarm

    result = {
        "data": str(args.data.name),
        "db": connection.vendor,
        "limit_seconds": args.limit_seconds,
        "split_second": split,
        "pair_window": args.pair_window,
        "momentary_seconds": args.momentary_seconds,
        "close_every_minutes": args.close_every_minutes,
        "devices": devices,
        "links": links,
        "batches": done["batches"],
        "close_task": done["close_task"],
        "close_ticks": done["closes"],
        "alarm_rows": Alarm.objects.count(),
        "incidents_created": len(incidents),
        "incidents_auto_closed": sum(1 for r in incidents.values() if r["closed_automatically"]),
        "replay_seconds": round(done["seconds"], 1),
        "total_seconds": round(time.monotonic() - began, 1),
        "commit": _commit(),
        "parts": parts,
    }
    print(
        f"# Replay of {args.data.name} through the desk's intake ({connection.vendor})\n\n"
        f"{devices} devices, {links} links imported; {len(alarms):,} alarms in "
        f"{done['batches']:,} batches; periodic close "
        f"{'ran ' + format(done['closes'], ',') + ' times' if done['close_task'] else 'absent'}; "
        f"{result['alarm_rows']:,} alarm rows, {len(incidents):,} incidents created "
        f"({result['incidents_auto_closed']:,} closed by the desk). Replay "
        f"{done['seconds']:.0f} s ({done['batches'] / max(done['seconds'], 1e-9):.0f} batches/s); "
        f"split at second {split:,}."
    )
    for name, part in parts.items():
        print_part(name, part)
    out = args.json or RESULTS / f"alarm-replay-{time.strftime('%Y%m%d-%H%M%S')}-{args.db}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    log(f"wrote {out}")
    return 0


def _commit() -> str:
    import subprocess

    try:
        return subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


if __name__ == "__main__":
    raise SystemExit(main())
