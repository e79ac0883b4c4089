"""One protocol for root-cause ranking on every real alarm log: learn on the
first half (time order), score the second, against the expert causal graph
of alarm types. Used by `alarm_grouping_eval.py`; the method and figures are
in docs/alarm-grouping-eval.md, section "Root cause".

Groups: single linkage within GROUP_WINDOW seconds (`group_alarms`) over
related devices: the same device, or, where the log comes with a device
topology, a direct neighbour. Ground truth as in the rest of the eval: the
top type is right when no other type of the group is its DAG ancestor;
only groups where the DAG relates some pair of their types count.

Rankings (each a list of the group's types, likeliest root first):

- baselines: earliest first, most frequent type in the history half,
  random (each averaged over seeds; ties broken by a shuffle);
- topology (with a topology only): upstream first in a tree derived from
  the adjacency by breadth-first search from the best-connected device (as
  the GraphML importer does), upstream of the most alarmed elements of the
  group, and plain closeness and degree centrality;
- type priors, precedence with the window chosen from the data
  (`netdesk.noc.rootcause.learning`) and at fixed 60 s and 900 s;
- combinations of the product's signals (`netdesk.noc.rootcause.ranking`):
  a logistic scorer fitted on the history half's groups, and the product's
  default weights.
"""

from __future__ import annotations

import random
import statistics
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bench.alarm_grouping import AlarmEvent, AlarmGroup, group_alarms, same_device
from netdesk.network.forest import spanning_forest
from netdesk.noc.rootcause.learning import WINDOW_CANDIDATES, history_learn
from netdesk.noc.rootcause.ranking import (
    DEFAULT_WEIGHTS,
    PRECEDENCE,
    SIGNALS,
    TOPOLOGY,
    GroupAlarm,
    History,
    Weights,
    group_signals,
    rank,
)

GROUP_WINDOW = 300.0

# A ranking: the group's alarms (already shuffled) and a seeded random
# source -> its types in order.
Ranker = Callable[[list[AlarmEvent], random.Random], list[str]]


@dataclass
class Network:
    """The device topology: neighbours, a BFS tree and centralities."""

    neighbours: dict[str, set[str]]
    parent: dict[str, str | None]
    depth: dict[str, int]
    closeness: dict[str, float]

    def related(self, a: str, b: str) -> bool:
        return a == b or b in self.neighbours.get(a, ())

    def ancestors(self, device: Any) -> list[Any]:
        found: list[Any] = []
        current = self.parent.get(device)
        while current is not None and current not in found:
            found.append(current)
            current = self.parent.get(current)
        return found


def network_from_adjacency(matrix: Any) -> Network:
    """Devices are the matrix's indices as strings, as in Alarm.csv."""
    size = len(matrix)
    neighbours: dict[str, set[str]] = {str(i): set() for i in range(size)}
    for i in range(size):
        for j in range(size):
            if i != j and (matrix[i][j] or matrix[j][i]):
                neighbours[str(i)].add(str(j))
    nodes = [str(i) for i in range(size)]
    adjacency = {n: sorted(neighbours[n], key=int) for n in nodes}
    parent, _roots = spanning_forest(nodes, adjacency)
    depth = {n: 0 for n in nodes}
    for n in nodes:
        current, d = parent.get(n), 0
        while current is not None:
            d += 1
            current = parent.get(current)
        depth[n] = d
    closeness: dict[str, float] = {}
    for n in nodes:  # BFS from every device: closeness within its component
        seen = {n: 0}
        queue = deque([n])
        while queue:
            u = queue.popleft()
            for v in adjacency[u]:
                if v not in seen:
                    seen[v] = seen[u] + 1
                    queue.append(v)
        total = sum(seen.values())
        closeness[n] = (len(seen) - 1) ** 2 / ((size - 1) * total) if total else 0.0
    return Network(neighbours=neighbours, parent=parent, depth=depth, closeness=closeness)


def as_group(alarms: Sequence[AlarmEvent]) -> list[GroupAlarm]:
    return [
        GroupAlarm(key=i, kind=a.kind, element=a.device, start=a.start)
        for i, a in enumerate(alarms)
    ]


def kinds_of(alarms: Sequence[AlarmEvent]) -> list[str]:
    return list(dict.fromkeys(a.kind for a in alarms))


def by_key(key: Callable[[AlarmEvent], Any]) -> Ranker:
    """Stable sort by `key` (smaller first): ties keep the shuffled order."""
    return lambda alarms, _rng: kinds_of(sorted(alarms, key=key))


def at_random(alarms: list[AlarmEvent], rng: random.Random) -> list[str]:
    kinds = kinds_of(alarms)
    rng.shuffle(kinds)
    return kinds


def by_weights(weights: Weights, history: History | None, network: Network | None) -> Ranker:
    def ranker(alarms: list[AlarmEvent], _rng: random.Random) -> list[str]:
        ranked = rank(
            as_group(alarms),
            weights=weights,
            history=history,
            ancestors=network.ancestors if network else None,
        )
        return list(dict.fromkeys(a.kind for a in ranked.alarms))

    return ranker


@dataclass
class Score:
    groups: int = 0
    hit1: float = 0.0
    hit3: float = 0.0
    rr: float = 0.0

    def row(self) -> dict[str, float]:
        n = self.groups or 1
        return {"hit@1": self.hit1 / n, "hit@3": self.hit3 / n, "mrr": self.rr / n}


def roots_among(reach: set[tuple[str, str]], kinds: Sequence[str]) -> set[str]:
    return {t for t in kinds if not any((u, t) in reach for u in kinds if u != t)}


def informative(
    groups: Sequence[AlarmGroup], reach: set[tuple[str, str]]
) -> list[tuple[AlarmGroup, set[str]]]:
    found = []
    for group in groups:
        kinds = group.kinds
        if len(kinds) < 2:
            continue
        roots = roots_among(reach, kinds)
        if len(roots) < len(kinds):
            found.append((group, roots))
    return found


def evaluate(
    cases: Sequence[tuple[AlarmGroup, set[str]]], ranker: Ranker, seeds: Sequence[int]
) -> dict[str, Any]:
    runs = []
    for seed in seeds:
        rng = random.Random(seed)
        score = Score()
        for group, roots in cases:
            alarms = list(group.alarms)
            rng.shuffle(alarms)
            order = ranker(alarms, rng)
            first = next(i for i, k in enumerate(order) if k in roots)
            score.groups += 1
            score.hit1 += first == 0
            score.hit3 += first < 3
            score.rr += 1.0 / (1 + first)
        runs.append(score.row())
    out: dict[str, Any] = {"groups": len(cases), "seeds": len(seeds)}
    for metric in ("hit@1", "hit@3", "mrr"):
        values = [r[metric] for r in runs]
        out[metric] = statistics.fmean(values)
        out[metric + "_sd"] = statistics.stdev(values) if len(values) > 1 else 0.0
    return out


def signal_rows(
    cases: Sequence[tuple[AlarmGroup, set[str]]], history: History, network: Network | None
) -> tuple[list[list[float]], list[int]]:
    """One row per alarm: the product's signals, and whether its type is a root."""
    rows: list[list[float]] = []
    labels: list[int] = []
    for group, roots in cases:
        signals = group_signals(
            as_group(group.alarms),
            history=history,
            ancestors=network.ancestors if network else None,
        )
        for alarm, own in zip(group.alarms, signals, strict=True):
            rows.append([own.value(name) for name in SIGNALS])
            labels.append(int(alarm.kind in roots))
    return rows, labels


def fit_weights(
    cases: Sequence[tuple[AlarmGroup, set[str]]], history: History, network: Network | None
) -> Weights:
    """A logistic scorer over the signals, on the history half's groups.
    Signals are standardised for the fit and the weights brought back to
    the raw scale (the offset does not change an order)."""
    from sklearn.linear_model import LogisticRegression

    rows, labels = signal_rows(cases, history, network)
    columns = list(zip(*rows, strict=True))
    means = [statistics.fmean(c) for c in columns]
    sds = [statistics.pstdev(c) or 1.0 for c in columns]
    scaled = [[(v - m) / s for v, m, s in zip(row, means, sds, strict=True)] for row in rows]
    model = LogisticRegression(C=1.0, max_iter=1000).fit(scaled, labels)
    coefficients = model.coef_[0]
    return Weights(
        {name: float(c / s) for name, c, s in zip(SIGNALS, coefficients, sds, strict=True)}
    )


def window_on_held_out_slice(
    history_groups: Sequence[AlarmGroup], reach: set[tuple[str, str]]
) -> tuple[float, dict[float, float]]:
    """The precedence window with the best hit@1 on the last quarter of the
    history half, learned on the three quarters before it (the labelled
    graph is read on the history half only)."""
    cut = len(history_groups) * 3 // 4
    fit = [as_group(g.alarms) for g in history_groups[:cut]]
    cases = informative(history_groups[cut:], reach)
    scores = {}
    for window in WINDOW_CANDIDATES:
        history = history_learn(fit, window=window)[0]
        ranker = by_weights(Weights({PRECEDENCE: 1.0}), history, None)
        scores[window] = evaluate(cases, ranker, [0])["hit@1"]
    best = max(scores.values())
    return min(w for w, v in scores.items() if v == best), scores


def protocol_run(
    alarms: Sequence[AlarmEvent],
    reach: set[tuple[str, str]],
    *,
    network: Network | None,
    seeds: Sequence[int],
) -> dict[str, Any]:
    """Every ranking on the second half's informative groups."""
    ordered = sorted(alarms, key=lambda a: a.start)
    split = ordered[len(ordered) // 2].start
    history_alarms = [a for a in ordered if a.start < split]
    test_alarms = [a for a in ordered if a.start >= split]
    related = network.related if network else same_device
    history_groups = group_alarms(history_alarms, GROUP_WINDOW, related=related)
    test_groups = group_alarms(test_alarms, GROUP_WINDOW, related=related)
    learned, choice = history_learn([as_group(g.alarms) for g in history_groups])
    assert choice is not None
    fixed = {
        w: history_learn([as_group(g.alarms) for g in history_groups], window=w)[0]
        for w in (60.0, 900.0)
    }
    held_window, held_scores = window_on_held_out_slice(history_groups, reach)
    held = history_learn([as_group(g.alarms) for g in history_groups], window=held_window)[0]
    # How much history the prior needs: learned from the last share of the
    # history half only.
    recent = {
        share: history_learn(
            [
                as_group(g.alarms)
                for g in history_groups[-max(1, int(len(history_groups) * share)) :]
            ],
            window=learned.window,
        )[0]
        for share in (0.02, 0.1, 0.25)
    }
    # The desk learns from its incidents, which its own correlation forms:
    # the prior learned from other groupings of the same history shows how
    # much that matters.
    other_groupings = {
        "same device only": same_device,
        "a plain time window, every device": None,
    }
    if network is None:
        other_groupings.pop("same device only")
    priors_from = {
        name: history_learn(
            [as_group(g.alarms) for g in group_alarms(history_alarms, GROUP_WINDOW, related=rel)],
            window=learned.window,
        )[0]
        for name, rel in other_groupings.items()
    }
    frequency = Counter(a.kind for a in history_alarms)
    cases = informative(test_groups, reach)
    fitted = fit_weights(informative(history_groups, reach), learned, network)
    only = {name: Weights({name: 1.0}) for name in SIGNALS}

    rankers: list[tuple[str, str, Ranker, Sequence[int]]] = [
        ("baseline", "earliest first (timing alone)", by_key(lambda a: a.start), seeds),
        ("baseline", "most frequent type", by_key(lambda a: (-frequency[a.kind], a.start)), seeds),
        ("baseline", "random", at_random, seeds),
    ]
    if network is not None:
        rankers += [
            (
                "topology",
                "upstream first (BFS tree depth)",
                by_key(lambda a: (network.depth.get(a.device, 99), a.start)),
                seeds,
            ),
            (
                "topology",
                "upstream of most alarmed elements",
                by_weights(only[TOPOLOGY], None, network),
                seeds,
            ),
            (
                "topology",
                "closeness centrality",
                by_key(lambda a: (-network.closeness.get(a.device, 0.0), a.start)),
                seeds,
            ),
            (
                "topology",
                "degree centrality",
                by_key(lambda a: (-len(network.neighbours.get(a.device, ())), a.start)),
                seeds,
            ),
        ]
    rankers += [
        (
            "learned",
            "type prior (came first in its history groups)",
            by_weights(only["prior"], learned, None),
            seeds,
        ),
        (
            "learned",
            f"precedence, window from the data ({learned.window:.0f} s)",
            by_weights(only["precedence"], learned, None),
            seeds,
        ),
        (
            "learned",
            f"precedence, window chosen on a held-out slice ({held_window:.0f} s)",
            by_weights(only["precedence"], held, None),
            seeds,
        ),
        (
            "learned",
            "precedence, fixed 60 s",
            by_weights(only["precedence"], fixed[60.0], None),
            seeds,
        ),
        (
            "learned",
            "precedence, fixed 900 s",
            by_weights(only["precedence"], fixed[900.0], None),
            seeds,
        ),
        (
            "combined",
            "logistic over the signals, fitted on the history half",
            by_weights(fitted, learned, network),
            seeds,
        ),
        (
            "combined",
            "the product's ranking (netdesk.noc.rootcause defaults)",
            by_weights(Weights(dict(DEFAULT_WEIGHTS)), learned, network),
            seeds,
        ),
    ]
    rankers += [
        (
            "learned",
            f"type prior from the last {share:.0%} of the history half "
            f"({max(1, int(len(history_groups) * share)):,} groups)",
            by_weights(only["prior"], history, None),
            seeds,
        )
        for share, history in recent.items()
    ]
    rankers += [
        (
            "learned",
            f"type prior learned from groups by {name} ({GROUP_WINDOW:.0f} s)",
            by_weights(only["prior"], history, None),
            seeds,
        )
        for name, history in priors_from.items()
    ]
    results = []
    for family, name, ranker, runs in rankers:
        row = evaluate(cases, ranker, runs)
        results.append({"family": family, "method": name, **row})
    return {
        "split_second": split,
        "history_alarms": len(history_alarms),
        "test_alarms": len(test_alarms),
        "grouping": (
            f"same device or direct neighbour within {GROUP_WINDOW:.0f} s"
            if network
            else f"same device within {GROUP_WINDOW:.0f} s"
        ),
        "history_groups": len(history_groups),
        "test_groups": len(test_groups),
        "informative_test_groups": len(cases),
        "window_chosen": learned.window,
        "window_held_out": held_window,
        "window_held_out_hit_at_1": {f"{w:.0f}": round(v, 3) for w, v in held_scores.items()},
        "window_evidence": {f"{w:.0f}": round(v, 1) for w, v in choice.evidence.items()},
        "fitted_weights": fitted.to_json(),
        "results": results,
    }


def protocol_table(run: Mapping[str, Any]) -> str:
    results = run["results"]
    best = max(
        (r for r in results if r["family"] == "baseline"), key=lambda r: (r["hit@1"], r["mrr"])
    )
    lines = [
        f"Grouping: {run['grouping']}; {run['informative_test_groups']:,} informative groups "
        f"of {run['test_groups']:,} in the second half. Precedence window chosen from the "
        f"history half: {run['window_chosen']:.0f} s (order evidence by window: "
        + ", ".join(f"{w} s {v:,.0f}" for w, v in run["window_evidence"].items())
        + ").",
        "",
        "| family | ranking | hit@1 | hit@3 | MRR | beats best baseline |",
        "|---|---|---:|---:|---:|---|",
    ]
    for r in results:
        beats = (
            "—"
            if r["family"] == "baseline"
            else ("yes" if r["hit@1"] > best["hit@1"] and r["mrr"] > best["mrr"] else "no")
        )
        sd = f" ± {r['hit@1_sd']:.3f}" if r["seeds"] > 1 and r["hit@1_sd"] >= 0.0005 else ""
        lines.append(
            f"| {r['family']} | {r['method']} | {r['hit@1']:.3f}{sd} | {r['hit@3']:.3f} | "
            f"{r['mrr']:.3f} | {beats} |"
        )
    weights = ", ".join(f"{k} {v:+.3f}" for k, v in run["fitted_weights"].items())
    lines += ["", f"Fitted weights (raw scale): {weights}. Best baseline: {best['method']}."]
    return "\n".join(lines)


def grouping_sensitivity(
    alarms: Sequence[AlarmEvent],
    reach: set[tuple[str, str]],
    *,
    network: Network | None,
    seeds: Sequence[int],
    windows: Sequence[float] = (60.0, 300.0),
) -> list[dict[str, Any]]:
    """The type prior against the baselines when it is learned and scored on
    the same grouping, for other groupings than the protocol's: the desk
    learns from its own incidents and ranks inside them."""
    ordered = sorted(alarms, key=lambda a: a.start)
    split = ordered[len(ordered) // 2].start
    history_alarms = [a for a in ordered if a.start < split]
    test_alarms = [a for a in ordered if a.start >= split]
    frequency = Counter(a.kind for a in history_alarms)
    groupings: dict[str, Callable[[str, str], bool] | None] = {"same device": same_device}
    if network is not None:
        groupings["same device or neighbour"] = network.related
    groupings["time window, every device"] = None
    rows = []
    for name, related in groupings.items():
        for window in windows:
            history_groups = group_alarms(history_alarms, window, related=related)
            cases = informative(group_alarms(test_alarms, window, related=related), reach)
            learned = history_learn([as_group(g.alarms) for g in history_groups], window=60.0)[0]
            row: dict[str, Any] = {"grouping": name, "window": window, "groups": len(cases)}
            for method, ranker in (
                ("earliest first", by_key(lambda a: a.start)),
                ("most frequent type", by_key(lambda a: (-frequency[a.kind], a.start))),
                ("random", at_random),
                ("type prior", by_weights(Weights({"prior": 1.0}), learned, None)),
            ):
                row[method] = evaluate(cases, ranker, seeds)["hit@1"] if cases else None
            rows.append(row)
    return rows


def sensitivity_table(rows: Sequence[Mapping[str, Any]]) -> str:
    lines = [
        "| grouping | window s | informative groups | earliest first | most frequent type "
        "| random | type prior |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        cells = [
            "—" if r[m] is None else f"{r[m]:.3f}"
            for m in ("earliest first", "most frequent type", "random", "type prior")
        ]
        lines.append(
            f"| {r['grouping']} | {r['window']:.0f} | {r['groups']:,} | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines)
