"""Alarm grouping and root-cause ranking (bench/alarm_grouping.py) held against
an expert-labelled causal graph of alarm types.

Data: the Huawei PCIC 2021 wireless alarm log published with gcastle
(`18V_55N_Wireless`: `Alarm.csv` and `DAG.npy`, MIT), expected beside the
project at `../shared/data/alarms/18V_55N_Wireless/`. The method and the
figures are in docs/alarm-grouping-eval.md.

    .venv/bin/python bench/alarm_grouping_eval.py [--data DIR] [--windows 60,300,900]
                                                  [--seeds 10] [--support 3]
                                                  [--affinity-count 20] [--affinity-lift 5]
                                                  [--root-cause-only] [--json FILE]

With `--data ../shared/data/alarms/24V_439N_Microwave` the device topology
(`Topology.npy`) is used for the root-cause protocol's grouping and
topology rankings (bench/root_cause_protocol.py).

Prints Markdown tables. Exits 0 with a message when the data is absent.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import math
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.alarm_grouping import (
    AlarmEvent,
    AlarmGroup,
    PrecedenceModel,
    device_affinity_learn,
    group_alarms,
    precedence_learn,
    rank_earliest,
    rank_learned,
    ranked_kinds,
    same_device,
)
from bench.root_cause_protocol import (
    grouping_sensitivity,
    network_from_adjacency,
    protocol_run,
    protocol_table,
    sensitivity_table,
)

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared/data/alarms/18V_55N_Wireless"
FLAP_WINDOW = 15 * 60  # as in netdesk.noc.services.alarms
FLAP_THRESHOLD = 3


# Loading


def read_npy_matrix(path: Path) -> list[list[int]]:
    """A 2-D integer .npy array, in C or Fortran order (the 24V log's files
    are stored in Fortran order), as nested lists."""
    array = numpy.load(path, allow_pickle=False)
    if array.ndim != 2:
        raise ValueError(f"{path.name}: expected a 2-D array, found shape {array.shape}")
    return [[int(v) for v in row] for row in array.tolist()]


def read_alarms(path: Path) -> list[AlarmEvent]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        return [
            AlarmEvent(
                kind=row["alarm_id"],
                device=row["device_id"],
                start=float(row["start_timestamp"]),
                end=float(row["end_timestamp"]),
            )
            for row in csv.DictReader(f)
        ]


# The labelled graph


@dataclass
class Dag:
    """A[i][j] = 1: alarm type i causes type j (gcastle's orientation)."""

    adjacency: list[list[int]]
    edges: set[tuple[str, str]] = field(init=False)
    reach: set[tuple[str, str]] = field(init=False)  # (ancestor, descendant)

    def __post_init__(self) -> None:
        n = len(self.adjacency)
        self.edges = {(str(i), str(j)) for i in range(n) for j in range(n) if self.adjacency[i][j]}
        reach = [[bool(v) for v in row] for row in self.adjacency]
        for k in range(n):  # Warshall
            for i in range(n):
                if reach[i][k]:
                    for j in range(n):
                        reach[i][j] = reach[i][j] or reach[k][j]
        if any(reach[i][i] for i in range(n)):
            raise ValueError("the labelled graph has a cycle")
        self.reach = {(str(i), str(j)) for i in range(n) for j in range(n) if reach[i][j]}

    @property
    def size(self) -> int:
        return len(self.adjacency)

    def roots_among(self, kinds: Sequence[str]) -> set[str]:
        """Types of the group that no other type of the group explains."""
        return {t for t in kinds if not any((u, t) in self.reach for u in kinds if u != t)}


# Metrics


@dataclass
class RankScore:
    pairs: int = 0
    edge_hits: int = 0
    reach_hits: int = 0
    support: Counter[tuple[str, str]] = field(default_factory=Counter)
    informative: int = 0
    hits: int = 0
    strict_hits: int = 0
    rr: float = 0.0
    tied: int = 0
    # informative groups and hits by number of types: "2" or "3+"
    informative_by: Counter[str] = field(default_factory=Counter)
    hits_by: Counter[str] = field(default_factory=Counter)
    hit_list: list[bool] = field(default_factory=list)  # per informative group, in order


Ranker = Callable[[AlarmGroup, random.Random], list[str]]


def score_ranking(
    groups: Sequence[AlarmGroup], dag: Dag, ranker: Ranker, rng: random.Random
) -> RankScore:
    score = RankScore()
    for group in groups:
        kinds = group.kinds
        if len(kinds) < 2:
            continue
        order = ranker(group, rng)
        top = order[0]
        for other in order[1:]:
            score.pairs += 1
            score.edge_hits += (top, other) in dag.edges
            score.reach_hits += (top, other) in dag.reach
            score.support[(top, other)] += 1
        roots = dag.roots_among(kinds)
        if len(roots) == len(kinds):
            continue  # the graph relates none of the types: nothing to rank
        score.informative += 1
        score.hits += top in roots
        bucket = "2" if len(kinds) == 2 else "3+"
        score.informative_by[bucket] += 1
        score.hits_by[bucket] += top in roots
        score.hit_list.append(top in roots)
        score.strict_hits += all((top, other) in dag.reach for other in order[1:])
        score.rr += 1.0 / (1 + next(i for i, k in enumerate(order) if k in roots))
        first = min(a.start for a in group.alarms)
        score.tied += len({a.kind for a in group.alarms if a.start == first}) > 1
    return score


def earliest(group: AlarmGroup, rng: random.Random) -> list[str]:
    # Same-second starts are common; the file's order among them is no
    # evidence, so ties are broken at random (seeded).
    alarms = list(group.alarms)
    rng.shuffle(alarms)
    return ranked_kinds(rank_earliest(alarms))


def at_random(group: AlarmGroup, rng: random.Random) -> list[str]:
    kinds = group.kinds
    rng.shuffle(kinds)
    return kinds


def learned(model: PrecedenceModel) -> Ranker:
    def rank(group: AlarmGroup, _rng: random.Random) -> list[str]:
        return ranked_kinds(rank_learned(group.alarms, model))

    return rank


def mean_sd(values: Sequence[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.fmean(values):.3f} ± {statistics.stdev(values):.3f}"


def pct(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def sign_test(wins: int, losses: int) -> float:
    """Two-sided exact sign test of wins against losses (ties dropped)."""
    n = wins + losses
    if n == 0:
        return 1.0
    k = min(wins, losses)
    tail: float = sum(math.comb(n, i) for i in range(k + 1)) / (1 << n)
    return min(1.0, 2 * tail)


def intake_rows(alarms: Sequence[AlarmEvent]) -> tuple[int, int, int, int]:
    """What NetDesk's intake would keep: one row per (device, type) while it
    fires; a re-fire within 15 minutes of the clear is a flap of the same row.
    Returns (rows, repeats, flaps, rows marked flapping)."""
    by_key: dict[tuple[str, str], list[AlarmEvent]] = defaultdict(list)
    for a in alarms:
        by_key[(a.device, a.kind)].append(a)
    rows = repeats = flaps = flapping = 0
    for stream in by_key.values():
        stream.sort(key=lambda a: a.start)
        clear_at: float | None = None
        row_flaps = 0
        for a in stream:
            end = a.end if a.end is not None else a.start
            if clear_at is not None and a.start <= clear_at:
                repeats += 1
                clear_at = max(clear_at, end)
            elif clear_at is not None and a.start - clear_at <= FLAP_WINDOW:
                flaps += 1
                row_flaps += 1
                flapping += row_flaps == FLAP_THRESHOLD
                clear_at = end
            else:
                rows += 1
                row_flaps = 0
                clear_at = end
    return rows, repeats, flaps, flapping


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--windows", default="60,300,900")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--support", type=int, default=3, help="groups a pair needs to count")
    parser.add_argument("--affinity-count", type=int, default=20)
    parser.add_argument("--affinity-lift", type=float, default=5.0)
    parser.add_argument(
        "--root-cause-only", action="store_true", help="only the fixed root-cause protocol"
    )
    parser.add_argument("--json", type=Path, help="also write the root-cause figures here")
    args = parser.parse_args(argv)
    alarm_file, dag_file = args.data / "Alarm.csv", args.data / "DAG.npy"
    if not (alarm_file.exists() and dag_file.exists()):
        print(f"skipped: {args.data} has no Alarm.csv and DAG.npy (see ../shared/data/DATA.md)")
        return 0
    began = time.monotonic()
    windows = [float(w) for w in args.windows.split(",")]
    seeds = list(range(args.seeds))
    alarms = sorted(read_alarms(alarm_file), key=lambda a: a.start)
    dag = Dag(read_npy_matrix(dag_file))
    n_types = dag.size
    all_pairs = n_types * (n_types - 1)
    sources = sorted(
        (str(j) for j in range(n_types) if not any(dag.adjacency[i][j] for i in range(n_types))),
        key=int,
    )
    sinks = sorted(
        (str(i) for i in range(n_types) if not any(dag.adjacency[i])),
        key=int,
    )
    gaps = sorted(b.start - a.start for a, b in itertools.pairwise(alarms))
    split = alarms[len(alarms) // 2].start
    history = [a for a in alarms if a.start < split]
    test = [a for a in alarms if a.start >= split]

    print("## Data\n")
    print(
        f"{len(alarms):,} alarms, {len({a.kind for a in alarms})} types, "
        f"{len({a.device for a in alarms})} devices over "
        f"{(alarms[-1].start - alarms[0].start) / 86400:.1f} days; labelled graph: "
        f"{len(dag.edges)} edges, {len(dag.reach)} reachable ordered pairs of {all_pairs}; "
        f"sources {', '.join(sources)}; sinks {', '.join(sinks)}. Median gap between "
        f"consecutive alarm starts, network-wide: {gaps[len(gaps) // 2]:.0f} s."
    )
    print(
        f"Split at second {split:.0f}: {len(history):,} alarms to learn from, "
        f"{len(test):,} to evaluate on.\n"
    )
    rows, repeats, flaps, flapping = intake_rows(test)
    print(
        f"NetDesk's intake would keep {rows:,} alarm rows of the {len(test):,} evaluated "
        f"alarms ({repeats:,} repeats while firing, {flaps:,} re-fires within 15 min "
        f"counted as flaps, {flapping:,} rows reaching {FLAP_THRESHOLD} flaps).\n"
    )

    topology_file = args.data / "Topology.npy"
    network = (
        network_from_adjacency(read_npy_matrix(topology_file)) if topology_file.exists() else None
    )
    run = protocol_run(alarms, dag.reach, network=network, seeds=seeds)
    print("## Root cause, fixed protocol (learn on the first half, score the second)\n")
    print(protocol_table(run))
    print()
    sensitivity = grouping_sensitivity(alarms, dag.reach, network=network, seeds=seeds[:3])
    print("\nThe type prior learned and scored on the same grouping, other groupings (hit@1):\n")
    print(sensitivity_table(sensitivity))
    print()
    if args.json:
        args.json.write_text(
            json.dumps({"data": args.data.name, **run, "groupings": sensitivity}, indent=1) + "\n"
        )
    if args.root_cause_only:
        print(f"_{time.monotonic() - began:.0f} s_")
        return 0

    print("## Orientation check\n")
    print("| window s | DAG edges i→j: i precedes j more often | the reverse | equal |")
    print("|---:|---:|---:|---:|")
    for w in windows:
        full = precedence_learn(alarms, w)
        fwd = sum(full.follows.get(e, 0) > full.follows.get(e[::-1], 0) for e in dag.edges)
        back = sum(full.follows.get(e, 0) < full.follows.get(e[::-1], 0) for e in dag.edges)
        print(f"| {w:.0f} | {fwd} | {back} | {len(dag.edges) - fwd - back} |")
    # The largest window's counts, edge by edge, for the discussion.
    by_edge = sorted(dag.edges, key=lambda e: (int(e[0]), int(e[1])))
    against = [e for e in by_edge if full.follows.get(e, 0) < full.follows.get(e[::-1], 0)]
    rare = [e for e in by_edge if full.follows.get(e, 0) + full.follows.get(e[::-1], 0) < 5]
    print(
        f"\nAt {windows[-1]:.0f} s, edges seen the other way round (i then j / j then i): "
        + ", ".join(
            f"{i}→{j} ({full.follows.get((i, j), 0)}/{full.follows.get((j, i), 0)})"
            for i, j in against
        )
    )
    print(
        "Edges seen together fewer than 5 times either way: "
        + ", ".join(
            f"{i}→{j} ({full.follows.get((i, j), 0) + full.follows.get((j, i), 0)})"
            for i, j in rare
        )
    )
    counts = Counter(a.kind for a in alarms)
    print("Alarms per type: " + ", ".join(f"{k}: {counts[k]:,}" for k in sorted(counts, key=int)))
    print()

    stats_rows: list[str] = []
    rank_rows: list[str] = []
    pair_rows: list[str] = []
    graph_rows: list[str] = []
    size_rows: list[str] = []
    paired_rows: list[str] = []
    for w in windows:
        model = precedence_learn(history, w)
        affinity = device_affinity_learn(
            history, w, min_count=args.affinity_count, min_lift=args.affinity_lift
        )
        edges = model.edges()
        graph_rows.append(
            f"| {w:.0f} | {len(edges)} | {pct(sum(e in dag.edges for e in edges), len(edges)):.3f}"
            f" | {pct(sum(e in dag.edges for e in edges), len(dag.edges)):.3f}"
            f" | {pct(sum(e in dag.reach for e in edges), len(edges)):.3f} |"
        )
        modes: list[tuple[str, Callable[[str, str], bool] | None]] = [
            ("time", None),
            ("device", same_device),
            (f"device+affinity ({len(affinity.pairs)} pairs)", affinity.related),
        ]
        for mode, related in modes:
            groups = group_alarms(test, w, related=related)
            sizes = sorted(len(g) for g in groups)
            multi = [g for g in groups if len(g.kinds) >= 2]
            stats_rows.append(
                f"| {mode} | {w:.0f} | {len(groups):,} | {len(test) / len(groups):.2f} | "
                f"{pct(sizes.count(1), len(groups)):.2f} | {sizes[len(sizes) // 2]} | "
                f"{sizes[int(len(sizes) * 0.9)]} | {sizes[-1]:,} | {len(multi):,} | "
                f"{pct(sum(len(g) for g in multi), len(test)):.2f} |"
            )
            rankers: list[tuple[str, Ranker, list[int]]] = [
                ("earliest first", earliest, seeds),
                ("learned precedence", learned(model), [0]),
                ("random", at_random, seeds),
            ]
            by_size: dict[str, list[str]] = {"2": [], "3+": []}
            paired: dict[str, list[bool]] = {}
            for name, ranker, runs in rankers:
                scores = [score_ranking(groups, dag, ranker, random.Random(s)) for s in runs]
                for bucket, cells in by_size.items():
                    cells.append(
                        f"{statistics.fmean(pct(s.hits_by[bucket], s.informative_by[bucket]) for s in scores):.3f}"
                    )
                first = scores[0]
                hit = [pct(s.hits, s.informative) for s in scores]
                mrr = [pct(s.rr, s.informative) for s in scores]
                strict = [pct(s.strict_hits, s.informative) for s in scores]
                p_edge = [pct(s.edge_hits, s.pairs) for s in scores]
                p_reach = [pct(s.reach_hits, s.pairs) for s in scores]
                tied = (
                    f" ({pct(first.tied, first.informative):.0%} tied)"
                    if ranker is earliest
                    else ""
                )
                rank_rows.append(
                    f"| {mode} | {w:.0f} | {name}{tied} | {first.informative:,} | "
                    f"{mean_sd(hit)} | {mean_sd(mrr)} | {mean_sd(strict)} | "
                    f"{mean_sd(p_edge)} | {mean_sd(p_reach)} |"
                )
                distinct = [{p for p, n in s.support.items() if n >= args.support} for s in scores]
                pair_rows.append(
                    f"| {mode} | {w:.0f} | {name} | "
                    f"{statistics.fmean(len(d) for d in distinct):.1f} | "
                    f"{mean_sd([pct(len(d & dag.edges), len(d)) for d in distinct])} | "
                    f"{mean_sd([pct(len(d & dag.edges), len(dag.edges)) for d in distinct])} | "
                    f"{mean_sd([pct(len(d & dag.reach), len(d)) for d in distinct])} | "
                    f"{mean_sd([pct(len(d & dag.reach), len(dag.reach)) for d in distinct])} |"
                )
                paired[name] = first.hit_list
            pairs = list(zip(paired["learned precedence"], paired["earliest first"], strict=True))
            learned_only = sum(a and not b for a, b in pairs)
            earliest_only = sum(b and not a for a, b in pairs)
            paired_rows.append(
                f"| {mode} | {w:.0f} | {learned_only} | {earliest_only} | "
                f"{sign_test(learned_only, earliest_only):.2g} |"
            )
            if not mode.startswith("device+"):
                size_rows.append(
                    f"| {mode} | {w:.0f} | {scores[0].informative_by['2']:,} | "
                    + " | ".join(by_size["2"])
                    + f" | {scores[0].informative_by['3+']:,} | "
                    + " | ".join(by_size["3+"])
                    + " |"
                )

    print("## Groups (evaluation half)\n")
    print(
        "| grouping | window s | groups | alarms/group | singletons | median size | p90 size "
        "| largest | groups with ≥2 types | alarms in them |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(stats_rows))
    print("\n## Root-cause ranking\n")
    print(
        f"Informative groups: ≥2 types, at least one a DAG ancestor of another. "
        f"Seeded rows: mean ± sd over {len(seeds)} seeds.\n"
    )
    print(
        "| grouping | window s | ranking | informative groups | hit@1 | MRR | top is ancestor "
        "of all | top→other is an edge | top→other is reachable |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rank_rows))
    print("\nhit@1 by the number of types in the group (seeded rankings: mean over seeds):\n")
    print(
        "| grouping | window s | groups, 2 types | earliest | learned | random "
        "| groups, 3+ types | earliest | learned | random |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(size_rows))
    print(
        "\nLearned against earliest first on the same groups (earliest: seed 0): groups "
        "only one of them gets right, and the two-sided sign test on those.\n"
    )
    print("| grouping | window s | only learned right | only earliest right | p |")
    print("|---|---:|---:|---:|---:|")
    print("\n".join(paired_rows))
    print(f"\n## Implied pairs (root type → other type) seen in ≥ {args.support} groups\n")
    print(
        f"Chance: {len(dag.edges) / all_pairs:.3f} of ordered pairs are edges, "
        f"{len(dag.reach) / all_pairs:.3f} reachable.\n"
    )
    print(
        "| grouping | window s | ranking | pairs | edge precision | edge recall "
        "| reachable precision | reachable recall |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|")
    print("\n".join(pair_rows))
    print("\n## Learned precedence graph (history half: ≥5 times, lift ≥ 2, forward > back)\n")
    print("| window s | pairs | edge precision | edge recall | reachable precision |")
    print("|---:|---:|---:|---:|---:|")
    print("\n".join(graph_rows))
    print(f"\n_{time.monotonic() - began:.0f} s_")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
