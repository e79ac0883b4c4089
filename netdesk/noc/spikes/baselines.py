"""What each place usually brings: baselines learned from past complaints."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from netdesk.noc.spikes.places import Node
from netdesk.noc.spikes.scoring import HOURS_OF_WEEK, SpikeSettings, hour_of_week


@dataclass(frozen=True)
class Baseline:
    """Expected complaints per bucket. Nodes with enough history have a
    rate for each hour of the week (`shapes`); the others their weekly mean
    times the desk-wide `profile` (mean 1). Nothing drops below `floor`
    times the profile."""

    bucket_minutes: int
    profile: tuple[float, ...]
    means: Mapping[Node, float] = field(default_factory=dict)
    shapes: Mapping[Node, tuple[float, ...]] = field(default_factory=dict)
    floor: float = 0.0

    @classmethod
    def empty(cls, settings: SpikeSettings) -> Baseline:
        """What a desk without history expects: the floor, flat over the week."""
        return cls(
            bucket_minutes=settings.bucket_minutes,
            profile=(1.0,) * HOURS_OF_WEEK,
            floor=settings.floor_per_week / settings.buckets_per_week,
        )

    def rate(self, node: Node, how: int) -> float:
        shape = self.shapes.get(node)
        rate = shape[how] if shape is not None else self.means.get(node, 0.0) * self.profile[how]
        floor = self.floor * self.profile[how]
        return rate if rate > floor else floor


def baseline_learn(
    complaints: Iterable[tuple[datetime, Sequence[Node]]],
    *,
    since: datetime,
    until: datetime,
    tz: tzinfo,
    settings: SpikeSettings,
) -> Baseline:
    """Learn the baseline from past complaints (their time and the nodes each
    counts toward) seen between `since` and `until`."""
    bucket = settings.bucket_seconds
    first = math.ceil(since.timestamp() / bucket)
    last = math.floor(until.timestamp() / bucket)
    exposure = [0] * HOURS_OF_WEEK  # buckets observed per hour of the week
    for number in range(first, last):
        exposure[hour_of_week(datetime.fromtimestamp(number * bucket, UTC), tz)] += 1
    buckets = max(sum(exposure), 1)

    desk_by_hour = [0] * HOURS_OF_WEEK
    node_by_hour: Counter[tuple[Node, int]] = Counter()
    node_total: Counter[Node] = Counter()
    for at, nodes in complaints:
        if not since <= at < until:
            continue
        how = hour_of_week(at, tz)
        desk_by_hour[how] += 1
        for node in nodes:
            node_by_hour[node, how] += 1
            node_total[node] += 1

    k = settings.smoothing_buckets
    desk_mean = sum(desk_by_hour) / buckets
    if desk_mean > 0:
        profile = tuple(
            (desk_by_hour[h] + k * desk_mean) / (exposure[h] + k) / desk_mean
            for h in range(HOURS_OF_WEEK)
        )
    else:
        profile = (1.0,) * HOURS_OF_WEEK
    means = {node: total / buckets for node, total in node_total.items()}
    shapes = {
        node: tuple(
            (node_by_hour[node, h] + k * means[node] * profile[h]) / (exposure[h] + k)
            for h in range(HOURS_OF_WEEK)
        )
        for node, total in node_total.items()
        if total >= settings.min_shape_complaints
    }
    return Baseline(
        bucket_minutes=settings.bucket_minutes,
        profile=profile,
        means=means,
        shapes=shapes,
        floor=settings.floor_per_week / settings.buckets_per_week,
    )
