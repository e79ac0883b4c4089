"""Learning a network's alarm history for the root-cause ranking, free of
Django: type priors from past groups (incidents), precedence between types
on the same element, and the precedence window chosen from the data.

The window: for each candidate, count for every pair of types how often
one follows the other on the same element within it, both ways. A pair
whose order is causal shows a surplus one way; chance co-occurrence adds to
both ways alike. The squared surplus over the total, (f - b)^2 / (f + b),
is the sign test's chi-square: it grows while a larger window still
catches true followers and shrinks once it mostly adds chance pairs. The
window with the largest sum over pairs carries the most order evidence.
No labels are needed, so the desk can choose it from its own alarms.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from netdesk.noc.rootcause.ranking import GroupAlarm, History

# Candidate windows in seconds: from a polling cycle to an hour.
WINDOW_CANDIDATES: tuple[float, ...] = (10, 20, 30, 60, 120, 300, 600, 900, 1800, 3600)


@dataclass(frozen=True)
class WindowChoice:
    window: float
    evidence: dict[float, float]  # window -> order evidence (sum of chi-square)


def follows_count(alarms: Iterable[GroupAlarm], window: float) -> Counter[tuple[str, str]]:
    """For each ordered type pair (a, b): alarms of a followed on the same
    element by at least one b starting strictly later and at most `window`
    seconds after. Same-second starts give no order."""
    return follows_by_window(alarms, [window])[float(window)]


def follows_by_window(
    alarms: Iterable[GroupAlarm], windows: Sequence[float]
) -> dict[float, Counter[tuple[str, str]]]:
    """`follows_count` for several windows in one pass over the alarms."""
    if not windows:
        return {}
    widest = max(windows)
    counts: dict[float, Counter[tuple[str, str]]] = {float(w): Counter() for w in windows}
    streams: dict[object, list[GroupAlarm]] = defaultdict(list)
    for alarm in sorted(alarms, key=lambda a: a.start):
        streams[alarm.element].append(alarm)
    for stream in streams.values():
        for i, alarm in enumerate(stream):
            # How soon each other type first follows this alarm. By index: a
            # slice would copy the rest of the stream for every alarm.
            soonest: dict[str, float] = {}
            for j in range(i + 1, len(stream)):
                other = stream[j]
                delay = other.start - alarm.start
                if delay > widest:
                    break
                if delay > 0 and other.kind != alarm.kind and other.kind not in soonest:
                    soonest[other.kind] = delay
            for kind, delay in soonest.items():
                for window, counter in counts.items():
                    if delay <= window:
                        counter[(alarm.kind, kind)] += 1
    return counts


def order_evidence(follows: Counter[tuple[str, str]]) -> float:
    """Sum over unordered type pairs of (f - b)^2 / (f + b)."""
    total = 0.0
    for (a, b), forward in follows.items():
        if a < b or (b, a) not in follows:
            backward = follows.get((b, a), 0)
            if forward + backward:
                total += (forward - backward) ** 2 / (forward + backward)
    return total


def window_choose(
    alarms: Sequence[GroupAlarm], candidates: Sequence[float] = WINDOW_CANDIDATES
) -> WindowChoice:
    """The candidate window whose counts carry the most order evidence (the
    smallest on a tie); the first candidate when there is none at all."""
    if not candidates:
        raise ValueError("window candidates: none given; expected at least one window in seconds")
    counts = follows_by_window(alarms, candidates)
    evidence = {window: order_evidence(follows) for window, follows in counts.items()}
    best = max(evidence.values())
    window = min(w for w, value in evidence.items() if value == best)
    return WindowChoice(window=window, evidence=evidence)


def priors_count(groups: Iterable[Sequence[GroupAlarm]]) -> tuple[dict[str, float], dict[str, int]]:
    """For each type: in how many groups with two types or more it came
    first (a same-second tie shares the credit), and how many it was in."""
    firsts: dict[str, float] = defaultdict(float)
    seen: dict[str, int] = defaultdict(int)
    for group in groups:
        kinds = {a.kind for a in group}
        if len(kinds) < 2:
            continue
        start = min(a.start for a in group)
        leaders = {a.kind for a in group if a.start == start}
        for kind in leaders:
            firsts[kind] += 1.0 / len(leaders)
        for kind in kinds:
            seen[kind] += 1
    return dict(firsts), dict(seen)


def history_learn(
    groups: Sequence[Sequence[GroupAlarm]],
    *,
    window: float | None = None,
    candidates: Sequence[float] = WINDOW_CANDIDATES,
) -> tuple[History, WindowChoice | None]:
    """Priors from the groups and precedence from all their alarms, with
    the window chosen from the data unless given."""
    alarms = [alarm for group in groups for alarm in group]
    choice = None
    if window is None:
        choice = window_choose(alarms, candidates)
        window = choice.window
    firsts, seen = priors_count(groups)
    follows = follows_count(alarms, window)
    return History(window=window, firsts=firsts, seen=seen, follows=dict(follows)), choice
