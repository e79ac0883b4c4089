"""Naming the likeliest first cause among a group of alarms, free of Django.

Each alarm of a group is scored on a few signals, most likely root first:

- *timing*: how long after the group's first alarm it started (the first
  one leads);
- *topology*: how many of the group's other alarmed elements sit below its
  element in the upstream tree (an upstream failure explains the alarms
  beneath it);
- *type prior*: how often its type came first in the groups of this
  network's history it was part of;
- *precedence*: how strongly its type precedes the group's other types on
  the same element in history, within a window chosen from the data
  (`netdesk.noc.rootcause.learning`).

`rank` orders the alarms by a weighted sum of these signals (`Weights`;
only what the desk has learned is used), ties by start, and words the
evidence for the top alarm. `bench/alarm_grouping_eval.py` measures each
signal alone and combined against an expert causal graph on two real logs
(docs/alarm-grouping-eval.md, section "Root cause"), which is how the
default weights were chosen.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Signal names, as stored in `Weights` and in a learned model's JSON.
TIMING = "timing"
TOPOLOGY = "topology"
PRIOR = "prior"
PRECEDENCE = "precedence"
SIGNALS = (TIMING, TOPOLOGY, PRIOR, PRECEDENCE)

# Precedence counts are damped by this many sightings each way, so a pair
# seen once or twice says little.
PRECEDENCE_DAMPING = 1.0


@dataclass(frozen=True, slots=True)
class GroupAlarm:
    """One alarm of a group: an id the caller knows it by, its type, the
    element it was raised on (any key the upstream map uses; None when
    unknown), when it started (seconds), and the element's name for the
    evidence (the element key when not given)."""

    key: Any
    kind: str
    element: Any
    start: float
    place: str = ""


@dataclass(frozen=True)
class History:
    """What a network's past alarms say about alarm types.

    `firsts[t]`: groups (incidents) in which an alarm of type t came first
    (a same-second tie shares the credit); `seen[t]`: groups with at least
    two types that t was part of. `follows[(a, b)]`: alarms of type a
    followed on the same element by one of type b, strictly later and at
    most `window` seconds after it."""

    window: float
    firsts: Mapping[str, float] = field(default_factory=dict)
    seen: Mapping[str, int] = field(default_factory=dict)
    follows: Mapping[tuple[str, str], int] = field(default_factory=dict)

    def prior(self, kind: str) -> float:
        """Share of its past groups in which the type came first, pulled
        toward one half when it was seen in few (Laplace)."""
        return (self.firsts.get(kind, 0.0) + 1.0) / (self.seen.get(kind, 0) + 2.0)

    def precedence(self, a: str, b: str) -> float:
        """log of (a then b) over (b then a): positive when a tends to come
        first. Chance co-occurrence is symmetric in time, so no background
        rate is needed. Antisymmetric; 0 for pairs never seen."""
        forward = self.follows.get((a, b), 0)
        backward = self.follows.get((b, a), 0)
        return math.log((forward + PRECEDENCE_DAMPING) / (backward + PRECEDENCE_DAMPING))

    def to_json(self) -> dict[str, Any]:
        return {
            "window": self.window,
            "firsts": dict(self.firsts),
            "seen": dict(self.seen),
            "follows": [[a, b, n] for (a, b), n in sorted(self.follows.items())],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> History:
        try:
            return cls(
                window=float(data["window"]),
                firsts={str(k): float(v) for k, v in data.get("firsts", {}).items()},
                seen={str(k): int(v) for k, v in data.get("seen", {}).items()},
                follows={(str(a), str(b)): int(n) for a, b, n in data.get("follows", [])},
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(
                f"root-cause history: {error!r} in {sorted(data)}; expected window, "
                "firsts, seen and follows"
            ) from error


# Chosen on the two public logs (docs/alarm-grouping-eval.md, "Root cause"):
# the type prior alone is the one signal that beat the best baseline on both
# (hit@1 0.92 and 0.80 against 0.76 and 0.56). Timing, topology position and
# precedence did not on the microwave log, and adding them to the prior
# with fitted weights did not beat the prior there; they break ties only
# through the start order. Without history every score is 0 and the ranking
# is the earliest alarm first.
DEFAULT_WEIGHTS: Mapping[str, float] = {PRIOR: 1.0}


@dataclass(frozen=True)
class Weights:
    """How much each signal counts. Signals without history (no prior, no
    precedence yet) count 0 whatever their weight."""

    values: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))

    def of(self, signal: str) -> float:
        return float(self.values.get(signal, 0.0))

    def to_json(self) -> dict[str, float]:
        return {name: self.of(name) for name in SIGNALS}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Weights:
        unknown = sorted(set(data) - set(SIGNALS))
        if unknown:
            raise ValueError(
                f"root-cause weights: unknown signal(s) {', '.join(unknown)}; "
                f"accepted: {', '.join(SIGNALS)}"
            )
        return cls({name: float(value) for name, value in data.items()})


# An element's upstream elements, nearest first; None when the topology
# does not know the element.
Ancestors = Callable[[Any], Sequence[Any] | None]


@dataclass(frozen=True)
class Signals:
    """The signals of one alarm within its group, each larger = likelier root."""

    delay: float  # seconds after the group's first alarm
    below: int  # other alarmed elements of the group below its element
    elements: int  # other alarmed elements of the group (0: its element is not placed)
    prior: float | None  # share of past groups its type came first in (smoothed)
    precedence: float | None  # mean precedence of its type over the others'
    precedes: int  # how many of the group's other types it tends to precede
    firsts: float = 0.0  # past groups its type came first in
    seen: int = 0  # past groups with other types its type was in

    def value(self, signal: str) -> float:
        if signal == TIMING:
            return -math.log1p(max(self.delay, 0.0))
        if signal == TOPOLOGY:
            return self.below / self.elements if self.elements else 0.0
        if signal == PRIOR:
            return math.log(self.prior / (1.0 - self.prior)) if self.prior is not None else 0.0
        if signal == PRECEDENCE:
            return self.precedence if self.precedence is not None else 0.0
        raise ValueError(f"unknown signal {signal!r}; accepted: {', '.join(SIGNALS)}")


def group_signals(
    alarms: Sequence[GroupAlarm],
    *,
    history: History | None = None,
    ancestors: Ancestors | None = None,
) -> list[Signals]:
    """The signals of every alarm of the group, in the given order."""
    if not alarms:
        return []
    first = min(a.start for a in alarms)
    # Elements the topology places (ancestors known, possibly none: a root).
    up_of: dict[Any, Sequence[Any]] = {}
    if ancestors is not None:
        for alarm in alarms:
            if alarm.element is not None and alarm.element not in up_of:
                found = ancestors(alarm.element)
                if found is not None:
                    up_of[alarm.element] = found
    below_of: dict[Any, int] = {}
    for element, ups in up_of.items():
        for up in ups:
            if up in up_of and up != element:
                below_of[up] = below_of.get(up, 0) + 1
    kinds = list(dict.fromkeys(a.kind for a in alarms))
    prec: dict[str, float] = {}
    ahead: dict[str, int] = {}
    if history is not None and len(kinds) > 1:
        for kind in kinds:
            values = [history.precedence(kind, other) for other in kinds if other != kind]
            prec[kind] = sum(values) / len(values)
            ahead[kind] = sum(v > 0 for v in values)
    result = []
    for alarm in alarms:
        others = len(up_of) - 1 if alarm.element in up_of else 0
        result.append(
            Signals(
                delay=alarm.start - first,
                below=below_of.get(alarm.element, 0),
                elements=others,
                prior=history.prior(alarm.kind) if history is not None else None,
                firsts=history.firsts.get(alarm.kind, 0.0) if history is not None else 0.0,
                seen=history.seen.get(alarm.kind, 0) if history is not None else 0,
                precedence=prec.get(alarm.kind),
                precedes=ahead.get(alarm.kind, 0),
            )
        )
    return result


def score(signals: Signals, weights: Weights) -> float:
    return sum(weights.of(name) * signals.value(name) for name in SIGNALS if weights.of(name))


@dataclass(frozen=True)
class Ranking:
    """The group's alarms, likeliest root first, with the top one's evidence."""

    alarms: tuple[GroupAlarm, ...]
    signals: tuple[Signals, ...]
    evidence: str

    @property
    def top(self) -> GroupAlarm | None:
        return self.alarms[0] if self.alarms else None


def rank(
    alarms: Sequence[GroupAlarm],
    *,
    weights: Weights | None = None,
    history: History | None = None,
    ancestors: Ancestors | None = None,
) -> Ranking:
    """Order the group's alarms by the weighted signals (highest first), then
    by start, then as given."""
    chosen = weights or Weights()
    found = group_signals(alarms, history=history, ancestors=ancestors)
    order = sorted(range(len(alarms)), key=lambda i: (-score(found[i], chosen), alarms[i].start, i))
    ranked = tuple(alarms[i] for i in order)
    signals = tuple(found[i] for i in order)
    evidence = describe(ranked, signals, weights=chosen) if ranked else ""
    return Ranking(alarms=ranked, signals=signals, evidence=evidence)


def _seconds(value: float) -> str:
    if value < 120:
        return f"{value:.0f} s"
    if value < 7200:
        return f"{value / 60:.0f} min"
    return f"{value / 3600:.1f} h"


def describe(
    ranked: Sequence[GroupAlarm],
    signals: Sequence[Signals],
    *,
    weights: Weights | None = None,
) -> str:
    """The top alarm's evidence in words, e.g. "LinkDown on mw-12 came first
    (12 s before the rest), is upstream of 5 of the 7 other alarmed elements
    and this type came first in 64% of the 25 past incidents with other alarm
    types it was in". Precedence is
    worded only where it is weighed: on its own it misled on one real log."""
    top, own = ranked[0], signals[0]
    where = top.place or ("" if top.element is None else str(top.element))
    label = f"{top.kind} on {where}" if where else top.kind
    if len(ranked) == 1:
        return f"{label} is the incident's only alarm."
    later = [a.start for a in ranked[1:]]
    lead = min(later) - top.start
    parts: list[str] = []
    if own.delay == 0 and lead > 0:
        parts.append(f"came first ({_seconds(lead)} before the rest)")
    elif own.delay == 0:
        parts.append("came first (in the same second as others)")
    else:
        parts.append(f"started {_seconds(own.delay)} after the first alarm")
    if own.elements:
        if own.below:
            parts.append(f"is upstream of {own.below} of the {own.elements} other alarmed elements")
        else:
            parts.append(f"is upstream of none of the {own.elements} other alarmed elements")
    if own.prior is not None and own.seen:
        parts.append(
            f"this type came first in {own.firsts / own.seen:.0%} of the {own.seen} past "
            f"incident{'s' if own.seen > 1 else ''} with other alarm types it was in"
        )
    elif own.prior is not None:
        parts.append("this type has not been in a past incident with other alarm types")
    if own.precedence is not None and own.precedes and weights and weights.of(PRECEDENCE):
        kinds = len({a.kind for a in ranked}) - 1
        parts.append(f"it usually precedes {own.precedes} of the {kinds} other alarm types here")
    text = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    return f"{label} {text}."
