"""How well a grouping of alarms (the desk's incidents, or a plain time or
device window) agrees with a labelled causal graph between alarm types, and
the size and time figures of a grouping. Free of Django.

A grouping is a label per alarm: alarms with the same label are in one
group; `None` is an alarm in no group (it pairs with nothing).

- *Causal pairs*: ordered alarm pairs (a, b) where the graph has the edge
  type(a) → type(b), b starts 0..`window` seconds after a, and b is on a's
  device or a direct neighbour of it. These are the pairs the log's
  generating process (a topological Hawkes process: an alarm excites its
  effects on the same and neighbouring devices) can have linked.
- *Pair recall*: the share of causal pairs that the grouping puts in one
  group.
- *Purity*: over every unordered pair of alarms of different types in one
  group, the share whose types the graph relates (a directed path either
  way). Grouping everything into one group gives the chance level
  (`purity` of constant labels), reported beside it.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping, Sequence, Set
from dataclasses import dataclass

Label = Hashable | None


@dataclass(frozen=True, slots=True)
class LogAlarm:
    """One line of the alarm log: type, device, start and end second."""

    kind: str
    device: int
    start: int
    end: int


def causal_pairs(
    alarms: Sequence[LogAlarm],
    edges: Set[tuple[str, str]],
    neighbours: Mapping[int, Set[int]],
    window: float,
) -> list[tuple[int, int]]:
    """Index pairs (i, j) of `alarms` (sorted by start) as the module
    docstring defines them."""
    starts = [a.start for a in alarms]
    if any(b < a for a, b in itertools.pairwise(starts)):
        raise ValueError("alarms must be sorted by start")
    found: list[tuple[int, int]] = []
    # Alarms of the same second may be in either order in the file, so each
    # alarm looks back over its second as well as forward over the window.
    first_of_second = 0
    for i, cause in enumerate(alarms):
        if alarms[first_of_second].start != cause.start:
            first_of_second = i
        near = neighbours.get(cause.device, set())
        j = first_of_second
        while j < len(alarms) and alarms[j].start - cause.start <= window:
            effect = alarms[j]
            if (
                j != i
                and (cause.kind, effect.kind) in edges
                and (effect.device == cause.device or effect.device in near)
            ):
                found.append((i, j))
            j += 1
    return found


def pair_recall(labels: Sequence[Label], pairs: Sequence[tuple[int, int]]) -> float | None:
    """Share of `pairs` whose two alarms carry the same (non-None) label."""
    if not pairs:
        return None
    together = sum(1 for i, j in pairs if labels[i] is not None and labels[i] == labels[j])
    return together / len(pairs)


def purity(
    labels: Sequence[Label], kinds: Sequence[str], related: Set[frozenset[str]]
) -> tuple[float | None, int]:
    """(share of same-group pairs of different types that `related` holds,
    how many such pairs). Counted per group from its type counts, so a
    group of 10,000 alarms costs no more than its types."""
    if len(labels) != len(kinds):
        raise ValueError("one label per alarm")
    per_group: dict[Hashable, Counter[str]] = defaultdict(Counter)
    for label, kind in zip(labels, kinds, strict=True):
        if label is not None:
            per_group[label][kind] += 1
    pairs = hits = 0
    for counts in per_group.values():
        kinds_here = sorted(counts)
        for x, a in enumerate(kinds_here):
            for b in kinds_here[x + 1 :]:
                n = counts[a] * counts[b]
                pairs += n
                if frozenset((a, b)) in related:
                    hits += n
    return (hits / pairs if pairs else None), pairs


def spread(values: Sequence[float]) -> dict[str, float]:
    """Median, 90th percentile (nearest rank) and maximum; zeros when empty."""
    if not values:
        return {"median": 0.0, "p90": 0.0, "max": 0.0}
    ordered = sorted(values)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    p90 = ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]
    return {"median": float(median), "p90": float(p90), "max": float(ordered[-1])}


def grouping_figures(alarms: Sequence[LogAlarm], labels: Sequence[Label]) -> dict[str, object]:
    """Groups (singletons included, unlabelled alarms excluded), their sizes in
    alarms and devices, and their spans from first start to last end."""
    members: dict[Hashable, list[LogAlarm]] = defaultdict(list)
    for alarm, label in zip(alarms, labels, strict=True):
        if label is not None:
            members[label].append(alarm)
    sizes = [len(m) for m in members.values()]
    devices = [len({a.device for a in m}) for m in members.values()]
    spans = [max(a.end for a in m) - min(a.start for a in m) for m in members.values()]
    return {
        "groups": len(members),
        "alarms_grouped": sum(sizes),
        "size_alarms": spread(sizes),
        "size_elements": spread(devices),
        "span_seconds": spread(spans),
    }
