"""Alarm grouping by time and root-cause ranking inside a group, free of
Django. Evaluated by `alarm_grouping_eval.py` (docs/alarm-grouping-eval.md)
as a fallback for where the topology does not relate the alarmed devices (no
inventory, or devices outside it), so `netdesk.noc.services.correlation`
cannot put the alarms under a common failed element.

Grouping (`group_alarms`): single linkage over alarm start times. Two alarms
are *linked* when their starts are at most `window_seconds` apart and their
devices are related; a group is a connected set of linked alarms, so a group
keeps growing while alarms keep chaining within the window. Which devices
are related is the caller's choice:

- every device with every other (`related=None`): the plain time window;
- only the same device (`same_device`);
- the same device or a pair that co-alarms far more often than chance in
  history (`device_affinity_learn`), a stand-in for a missing topology.

A device is always related to itself.

Ranking inside a group, most likely root cause first:

- `rank_earliest`: the alarm that started first (ties keep the given order);
- `rank_learned`: by how strongly each alarm's type precedes the other types
  of the group in history (`precedence_learn`), then by start. Chance
  co-occurrence is symmetric in time, so the log ratio of "A then B" to
  "B then A" counts is a precedence beyond chance without having to model
  the background rate; `lift` gives the co-occurrence strength as well.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

Related = Callable[[str, str], bool]


@dataclass(frozen=True, slots=True)
class AlarmEvent:
    """One alarm: its type, the device it was raised on, and when (seconds)."""

    kind: str
    device: str
    start: float
    end: float | None = None


@dataclass(frozen=True)
class AlarmGroup:
    """Alarms grouped together, in start order."""

    alarms: tuple[AlarmEvent, ...]

    @property
    def start(self) -> float:
        return self.alarms[0].start

    @property
    def last_start(self) -> float:
        return self.alarms[-1].start

    @property
    def kinds(self) -> list[str]:
        """Distinct alarm types, in order of first start."""
        return list(dict.fromkeys(a.kind for a in self.alarms))

    @property
    def devices(self) -> list[str]:
        return list(dict.fromkeys(a.device for a in self.alarms))

    def __len__(self) -> int:
        return len(self.alarms)


def same_device(a: str, b: str) -> bool:
    return a == b


def group_alarms(
    alarms: Iterable[AlarmEvent], window_seconds: float, *, related: Related | None = None
) -> list[AlarmGroup]:
    """Group alarms whose starts chain within `window_seconds` (see the
    module docstring for the rule). Groups come back in order of their first
    start; alarms with the same start keep the given order."""
    if window_seconds < 0:
        raise ValueError("window_seconds must not be negative")
    ordered = sorted(alarms, key=lambda a: a.start)
    parent = list(range(len(ordered)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # Linking a new alarm to the latest alarm of each related device within
    # the window is enough: earlier alarms of that device within the window
    # are already linked to its latest one (same device, closer in time).
    latest: dict[str, tuple[float, int]] = {}
    for index, alarm in enumerate(ordered):
        horizon = alarm.start - window_seconds
        for device in [d for d, (start, _) in latest.items() if start < horizon]:
            del latest[device]
        for device, (_, other) in latest.items():
            if device == alarm.device or related is None or related(device, alarm.device):
                root_a, root_b = find(index), find(other)
                if root_a != root_b:
                    parent[max(root_a, root_b)] = min(root_a, root_b)
        latest[alarm.device] = (alarm.start, index)
    members: dict[int, list[AlarmEvent]] = defaultdict(list)
    for index, alarm in enumerate(ordered):
        members[find(index)].append(alarm)
    return [AlarmGroup(tuple(members[root])) for root in sorted(members)]


@dataclass(frozen=True)
class DeviceAffinity:
    """Device pairs that alarm together far more often than chance."""

    pairs: frozenset[frozenset[str]]

    def related(self, a: str, b: str) -> bool:
        return a == b or frozenset((a, b)) in self.pairs


def device_affinity_learn(
    history: Iterable[AlarmEvent],
    window_seconds: float,
    *,
    min_count: int = 20,
    min_lift: float = 5.0,
) -> DeviceAffinity:
    """Device pairs (a, b) where at least `min_count` alarms of a have an
    alarm of b starting within ±`window_seconds`, and that count is at least
    `min_lift` times what independent alarms at the two devices' average
    rates would give over the history's span."""
    starts: dict[str, list[float]] = defaultdict(list)
    for alarm in history:
        starts[alarm.device].append(alarm.start)
    if not starts:
        return DeviceAffinity(frozenset())
    first = min(min(s) for s in starts.values())
    last = max(max(s) for s in starts.values())
    span = max(last - first, 2 * window_seconds, 1.0)
    devices = sorted(starts)
    for device in devices:
        starts[device].sort()
    pairs: set[frozenset[str]] = set()
    for i, a in enumerate(devices):
        for b in devices[i + 1 :]:
            count = _near_count(starts[a], starts[b], window_seconds)
            # Chance that a given alarm of a has one of b within ±window.
            chance = 1.0 - math.exp(-len(starts[b]) * 2 * window_seconds / span)
            expected = len(starts[a]) * chance
            if count >= min_count and count >= min_lift * expected:
                pairs.add(frozenset((a, b)))
    return DeviceAffinity(frozenset(pairs))


def _near_count(these: Sequence[float], those: Sequence[float], window: float) -> int:
    """How many of `these` (sorted) have one of `those` (sorted) within ±window."""
    count, j = 0, 0
    for t in these:
        while j < len(those) and those[j] < t - window:
            j += 1
        if j < len(those) and those[j] <= t + window:
            count += 1
    return count


@dataclass(frozen=True)
class PrecedenceModel:
    """How often each alarm type is followed by another within a window.

    `follows[(a, b)]`: alarms of type a followed by at least one alarm of
    type b starting strictly later and at most `window` seconds after it
    (on the same device when learned with `same_device`). Alarms starting in
    the same second give no order and count for neither direction.
    `expected[(a, b)]`: that count if b's alarms fell at random times at
    each device's own rate."""

    window: float
    counts: dict[str, int]
    follows: dict[tuple[str, str], int]
    expected: dict[tuple[str, str], float] = field(default_factory=dict)
    prior: float = 1.0

    def precedence(self, a: str, b: str) -> float:
        """log of (a then b) / (b then a), shrunk toward 0 by the prior:
        positive when a tends to come first. Antisymmetric."""
        forward = self.follows.get((a, b), 0)
        backward = self.follows.get((b, a), 0)
        return math.log((forward + self.prior) / (backward + self.prior))

    def lift(self, a: str, b: str) -> float:
        """(a then b) over what chance would give; 1 for unknown pairs."""
        forward = self.follows.get((a, b), 0)
        return (forward + self.prior) / (self.expected.get((a, b), 0.0) + self.prior)

    def strength(self, kind: str, others: Iterable[str]) -> float:
        """How strongly `kind` precedes the other types, summed."""
        return sum(self.precedence(kind, other) for other in others if other != kind)

    def edges(self, *, min_count: int = 5, min_lift: float = 2.0) -> list[tuple[str, str]]:
        """Ordered type pairs that look causal: seen at least `min_count`
        times, `min_lift` times chance, and more often forward than back.
        Strongest precedence first."""
        found = [
            pair
            for pair, n in self.follows.items()
            if n >= min_count and self.lift(*pair) >= min_lift and self.precedence(*pair) > 0
        ]
        return sorted(found, key=lambda p: (-self.precedence(*p), p))


def precedence_learn(
    history: Iterable[AlarmEvent], window_seconds: float, *, same_device: bool = True
) -> PrecedenceModel:
    """Count, for each ordered pair of alarm types, how many alarms of the
    first are followed by the second within `window_seconds`."""
    streams: dict[str, list[AlarmEvent]] = defaultdict(list)
    all_alarms = sorted(history, key=lambda a: a.start)
    for alarm in all_alarms:
        streams[alarm.device if same_device else ""].append(alarm)
    counts = Counter(a.kind for a in all_alarms)
    follows: Counter[tuple[str, str]] = Counter()
    for stream in streams.values():
        for i, alarm in enumerate(stream):
            later: set[str] = set()
            for j in range(i + 1, len(stream)):
                other = stream[j]
                if other.start - alarm.start > window_seconds:
                    break
                if other.start > alarm.start and other.kind != alarm.kind:
                    later.add(other.kind)
            for kind in later:
                follows[(alarm.kind, kind)] += 1
    expected: dict[tuple[str, str], float] = {}
    if all_alarms:
        span = max(all_alarms[-1].start - all_alarms[0].start, window_seconds, 1.0)
        per_stream = [Counter(a.kind for a in s) for s in streams.values()]
        for a in counts:
            for b in counts:
                if a != b:
                    expected[(a, b)] = sum(
                        c[a] * (1.0 - math.exp(-c[b] * window_seconds / span))
                        for c in per_stream
                        if c[a] and c[b]
                    )
    return PrecedenceModel(
        window=window_seconds, counts=dict(counts), follows=dict(follows), expected=expected
    )


def rank_earliest(alarms: Iterable[AlarmEvent]) -> list[AlarmEvent]:
    """Baseline: the alarm that started first is the likeliest root cause."""
    return sorted(alarms, key=lambda a: a.start)


def rank_learned(alarms: Iterable[AlarmEvent], model: PrecedenceModel) -> list[AlarmEvent]:
    """Alarms ordered by how strongly their type precedes the group's other
    types in history (strongest first), then by start. Types the model has
    never seen score 0, so they sit between leaders and followers."""
    items = list(alarms)
    kinds = list(dict.fromkeys(a.kind for a in items))
    score = {kind: model.strength(kind, kinds) for kind in kinds}
    return sorted(items, key=lambda a: (-score[a.kind], a.start))


def ranked_kinds(ranked: Iterable[AlarmEvent]) -> list[str]:
    """The distinct types of a ranked list of alarms, in rank order."""
    return list(dict.fromkeys(a.kind for a in ranked))
