"""The complaint-spike detector's levels, waves and hints, on hand-made
networks and traffic.

The national network of the wave tests (element ids; every element in area
100): a core, four cities of two ZIP codes each.

    core 1 ─┬─ city 2 ─┬─ zip 6
            │          └─ zip 7
            ├─ city 3 ── zips 8, 9
            ├─ city 4 ── zips 10, 11
            └─ city 5 ── zips 12, 13
"""

from dataclasses import replace
from datetime import UTC

from netdesk.noc.spikes.baselines import Baseline
from netdesk.noc.spikes.detector import SpikeDetector
from netdesk.noc.spikes.places import PathIndex, area_node, element_node
from netdesk.noc.spikes.scoring import HOURS_OF_WEEK
from netdesk.noc.tests.test_spikes import MEANS, SETTINGS, Feed, baseline, detector, every

NATION = {1: None, 2: 1, 3: 1, 4: 1, 5: 1}
NATION.update({zip_: 2 + (zip_ - 6) // 2 for zip_ in range(6, 14)})
ZIPS = list(range(6, 14))
# Expected complaints per 15-minute bucket: 16 an hour nationally, 2 per ZIP.
NATION_MEANS = {1: 4.0, 2: 1.0, 3: 1.0, 4: 1.0, 5: 1.0} | {zip_: 0.5 for zip_ in ZIPS}


def nation_ancestors(element_id):
    found, current = [], NATION[element_id]
    while current is not None:
        found.append(current)
        current = NATION[current]
    return found


def nation_detector(settings=SETTINGS):
    nodes = {element_node(e): m for e, m in NATION_MEANS.items()}
    nodes[area_node(100)] = 4.0
    return SpikeDetector(
        baseline=Baseline(
            bucket_minutes=15,
            profile=(1.0,) * HOURS_OF_WEEK,
            means=nodes,
            floor=settings.floor_per_week / settings.buckets_per_week,
        ),
        paths=PathIndex(nation_ancestors),
        tz=UTC,
        settings=settings,
    )


def feed_in_order(feed, calls):
    """`calls`: (minute, element) in any order; fed in time order."""
    for minute, element in sorted(calls):
        feed.complaint(minute, element)


def national_wave(minutes=90, per_hour=48):
    """Three times the usual complaints, spread evenly over every ZIP code."""
    step = 60 / per_hour
    return [(i * step, ZIPS[i % len(ZIPS)]) for i in range(int(minutes / step))]


def test_a_national_wave_is_raised_once_at_the_core_and_nothing_below():
    feed = Feed(nation_detector())
    feed_in_order(feed, national_wave())
    assert [spike.node for spike in feed.raised] == [element_node(1)]
    assert feed.raised[0].level == 0
    assert feed.raised[0].wave is None


def test_a_local_spike_under_an_open_national_wave_raises_its_own_outage():
    """Given the wave raised at the core, when one ZIP code brings far more
    than its share of the wave, it raises its own outage at its level,
    judged against its baseline times the wave's ratio."""
    local = [(40 + i * 0.8, 6) for i in range(25)]
    feed = Feed(nation_detector())
    feed_in_order(feed, national_wave() + local)
    places = [spike.node for spike in feed.raised]
    assert places[0] == element_node(1)
    assert element_node(6) in places
    spike = feed.raised[places.index(element_node(6))]
    assert spike.level == 2
    assert spike.wave == element_node(1)
    assert 2.0 < spike.wave_ratio < 6.0
    # What it was held against includes the wave: more than its baseline.
    assert spike.expected > 0.5 * 4
    # Later complaints from that ZIP join the local outage, not the wave.
    assert feed.complaint(70, 6).joined == element_node(6)
    assert feed.complaint(70.5, 8).joined == element_node(1)
    # The rule before levels: the raised core masks everything below it.
    masked = Feed(nation_detector(replace(SETTINGS, local_spikes_under_waves=False)))
    feed_in_order(masked, national_wave() + local)
    assert [spike.node for spike in masked.raised] == [element_node(1)]


def test_without_the_wave_rule_the_same_local_spike_would_need_to_beat_the_wave():
    """The same ZIP carrying only its share of the wave (no local spike) is
    never raised: the wave's ratio is what it is held against."""
    feed = Feed(nation_detector())
    feed_in_order(feed, national_wave(minutes=120, per_hour=80))
    assert [spike.node for spike in feed.raised] == [element_node(1)]


def test_spikes_report_their_level():
    feed = Feed(detector())
    feed.burst([5] * 8, every(3, 8))
    assert [(spike.node, spike.level) for spike in feed.raised] == [(element_node(5), 3)]
    # Two unrelated trees: the area, which is a level of its own (None).
    feed = Feed(detector())
    feed.burst([5, 12, 7, 12] * 3, every(2.5, 12))
    assert [spike.level for spike in feed.raised if spike.node == area_node(100)] == [None]


def test_each_level_has_its_own_threshold():
    """Given a stricter threshold for the PON-port level (3), the same burst
    that named the port names its OLT, whose level keeps the default."""
    strict = replace(SETTINGS, level_thresholds=(6.0, 6.0, 6.0, 30.0))
    spikes = detector(strict)
    assert spikes.threshold_for(element_node(5)) == 30.0
    assert spikes.threshold_for(element_node(3)) == 6.0
    assert spikes.threshold_for(area_node(100)) == 6.0
    feed = Feed(spikes)
    feed.burst([5] * 12, every(2.5, 12))
    assert element_node(5) not in [spike.node for spike in feed.raised]
    assert [spike.level for spike in feed.raised] == [2]
    assert detector(replace(SETTINGS, area_threshold=9.0)).threshold_for(area_node(100)) == 9.0


def quiet_port_baseline():
    """Port 12 never complained in the learning period."""
    return baseline(means={k: v for k, v in MEANS.items() if k != 12})


def test_the_first_complaint_from_a_place_that_never_had_one_is_a_hint():
    feed = Feed(detector(baseline=quiet_port_baseline()))
    hint = feed.complaint(0, 12, area=200).hint
    assert hint is not None
    assert hint.node == element_node(12)
    assert hint.level == 2
    assert hint.ticket_id == feed.ticket
    assert hint.expected < 0.01
    # The second complaint from there is no longer the first.
    assert feed.complaint(5, 12, area=200).hint is None
    # A place the baseline knows gives none.
    assert feed.complaint(6, 5).hint is None
    assert feed.raised == []


def test_hints_are_limited_per_window_and_can_be_turned_off():
    """A wave of first complaints from quiet places gives a few hints per
    window, not one per place."""
    unknown = {k: v for k, v in MEANS.items() if k not in (5, 6, 7, 12)}
    spikes = detector(
        replace(SETTINGS, hints_per_window=2), baseline=baseline(means=unknown, area_means={})
    )
    feed = Feed(spikes)
    hints = [feed.complaint(minute, element).hint for minute, element in enumerate([5, 6, 7, 12])]
    assert [hint is not None for hint in hints] == [True, True, False, False]
    off = Feed(detector(replace(SETTINGS, hints=False), baseline=quiet_port_baseline()))
    assert off.complaint(0, 12).hint is None


def test_a_complaint_inside_a_raised_outage_gives_no_hint():
    feed = Feed(detector(baseline=baseline(means={k: v for k, v in MEANS.items() if k != 6})))
    feed.burst([3] * 10, every(3, 10))
    assert [spike.node for spike in feed.raised] == [element_node(3)]
    outcome = feed.complaint(31, 6)
    assert outcome.joined is not None
    assert outcome.hint is None


def test_the_hint_budget_frees_up_after_a_window():
    unknown = {k: v for k, v in MEANS.items() if k not in (5, 6, 7)}
    feed = Feed(detector(replace(SETTINGS, hints_per_window=1), baseline=baseline(means=unknown)))
    assert feed.complaint(0, 5).hint is not None
    assert feed.complaint(30, 6).hint is None
    later = feed.complaint(61, 7)
    assert later.hint is not None
