"""How unusual a count of complaints is: the settings, the Poisson tail
score, the feedback from dismissals, the hour of the week."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, tzinfo

HOURS_OF_WEEK = 7 * 24
LN10 = math.log(10.0)


@dataclass(frozen=True)
class SpikeSettings:
    bucket_minutes: int = 15
    window_buckets: int = 4
    # −log10 of the tail probability: 6 is one chance in a million per test.
    threshold: float = 6.0
    release_threshold: float = 2.0
    min_complaints: int = 3
    min_customers: int = 3
    hold_minutes: float = 10.0
    # The excess must persist: after the hold, another complaint under the
    # node (not just the clock) is needed before it is raised.
    persist_by_complaint: bool = True
    explain_share: float = 0.8
    noise_sigmas: float = 2.0
    # A node with little or no history still expects this many a week.
    floor_per_week: float = 0.5
    # Pseudo-buckets of the prior a node's hour-of-week estimate is shrunk toward.
    smoothing_buckets: float = 32.0
    # Nodes with fewer complaints in history keep only their weekly mean.
    min_shape_complaints: int = 50
    dismissal_step: float = 1.0
    dismissal_cap: float = 4.0
    # The threshold of each level of the network tree (index 0 = the core),
    # for levels that need another than `threshold`; areas use
    # `area_threshold` when set.
    level_thresholds: tuple[float, ...] = ()
    area_threshold: float | None = None
    # A raised place over a node raises what the node is expected to bring
    # by the place's own excess, so a clear local spike under a wide wave
    # raises its own outage. False: a raised place masks everything below it
    # (the rule before levels; kept for comparison in the bench).
    local_spikes_under_waves: bool = True
    # Low-confidence hints: one complaint from an access element that never
    # had one. At most `hints_per_window` in one window, desk-wide: a wave of
    # first complaints from quiet places is a wave, not hundreds of hints.
    hints: bool = True
    hints_per_window: int = 3

    def base_threshold(self, level: int | None) -> float:
        """The threshold at a level of the tree (None: an area), before feedback."""
        if level is None:
            return self.threshold if self.area_threshold is None else self.area_threshold
        if 0 <= level < len(self.level_thresholds):
            return self.level_thresholds[level]
        return self.threshold

    @property
    def bucket_seconds(self) -> int:
        return self.bucket_minutes * 60

    @property
    def window_seconds(self) -> float:
        return float(self.window_buckets * self.bucket_seconds)

    @property
    def buckets_per_week(self) -> int:
        return HOURS_OF_WEEK * 60 // self.bucket_minutes


def dismissal_offset(dismissals: int, settings: SpikeSettings) -> float:
    """How much a node's threshold rises after `dismissals` recent dismissals
    (since its last confirmed outage): one step each, up to the cap."""
    return min(settings.dismissal_cap, settings.dismissal_step * max(dismissals, 0))


def poisson_tail_score(count: int, expected: float) -> float:
    """−log10 P(X ≥ count) for X ~ Poisson(expected); 0 when count is not
    above the expectation (nothing unusual)."""
    if count <= 0 or count <= expected:
        return 0.0
    if expected <= 0.0:
        return math.inf
    log_first = -expected + count * math.log(expected) - math.lgamma(count + 1)
    # The tail is the first term times 1 + λ/(k+1) + λ²/((k+1)(k+2)) + ...
    total, term, i = 1.0, 1.0, count
    while True:
        i += 1
        ratio = expected / i
        term *= ratio
        total += term
        if term < 1e-12 * total:
            break
        if i - count >= 200:  # bound the rest by a geometric series
            total += term * ratio / (1.0 - ratio)
            break
    return max(0.0, -(log_first + math.log(total)) / LN10)


def score_below(count: int, expected: float, threshold: float) -> bool:
    """Cheap refusal: the tail is at least its first term, so when that term
    alone is likelier than the threshold allows, the score is below it."""
    if count <= expected:
        return True
    if expected <= 0.0:
        return False
    log_first = -expected + count * math.log(expected) - math.lgamma(count + 1)
    return -log_first / LN10 < threshold


def hour_of_week(at: datetime, tz: tzinfo) -> int:
    local = at.astimezone(tz)
    return local.weekday() * 24 + local.hour
