"""The complaint-spike detector on hand-made networks and traffic.

The network of these tests (element ids; every element in area 100 except
the second tree, which serves area 200 as well):

    core 1 ── agg 2 ─┬─ olt 3 ─┬─ port 5
                     │         └─ port 6
                     └─ olt 4 ─── port 7
    core 10 ── olt 11 ── port 12
"""

import random
from datetime import UTC, datetime, timedelta

import pytest

from netdesk.noc.spikes.baselines import Baseline, baseline_learn
from netdesk.noc.spikes.detector import Complaint, SpikeDetector
from netdesk.noc.spikes.places import AREA, PathIndex, area_node, element_node
from netdesk.noc.spikes.scoring import (
    HOURS_OF_WEEK,
    SpikeSettings,
    dismissal_offset,
    hour_of_week,
    poisson_tail_score,
)

UPSTREAM = {1: None, 2: 1, 3: 2, 4: 2, 5: 3, 6: 3, 7: 4, 10: None, 11: 10, 12: 11}
SETTINGS = SpikeSettings()
# Expected complaints per 15-minute bucket: busier the nearer the core.
MEANS = {
    1: 0.05,
    2: 0.04,
    3: 0.02,
    4: 0.02,
    5: 0.01,
    6: 0.01,
    7: 0.02,
    10: 0.03,
    11: 0.03,
    12: 0.03,
}
MONDAY_EVENING = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)


def ancestors(element_id):
    found, current = [], UPSTREAM[element_id]
    while current is not None:
        found.append(current)
        current = UPSTREAM[current]
    return found


def baseline(means=None, area_means=None, profile=None):
    nodes = {element_node(e): m for e, m in (means or MEANS).items()}
    nodes.update({area_node(a): m for a, m in (area_means or {100: 0.08, 200: 0.03}).items()})
    return Baseline(
        bucket_minutes=15,
        profile=profile or (1.0,) * HOURS_OF_WEEK,
        means=nodes,
        floor=SETTINGS.floor_per_week / SETTINGS.buckets_per_week,
    )


def detector(settings=SETTINGS, **kwargs):
    return SpikeDetector(
        baseline=kwargs.pop("baseline", None) or baseline(),
        paths=PathIndex(ancestors),
        tz=UTC,
        settings=settings,
        **kwargs,
    )


class Feed:
    """Numbers tickets and customers so each test only says where and when."""

    def __init__(self, spikes):
        self.spikes = spikes
        self.ticket = 0
        self.raised = []
        self.outcomes = []

    def complaint(self, minute, element, *, customer=None, area=100, start=MONDAY_EVENING):
        self.ticket += 1
        outcome = self.spikes.observe(
            Complaint(
                ticket_id=self.ticket,
                at=start + timedelta(minutes=minute),
                customer_id=customer if customer is not None else 1000 + self.ticket,
                element_id=element,
                area_id=area,
            )
        )
        self.outcomes.append(outcome)
        self.raised.extend(outcome.raised)
        return outcome

    def burst(self, elements, minutes, **kwargs):
        for minute, element in zip(minutes, elements, strict=True):
            self.complaint(minute, element, **kwargs)


# the score ---------------------------------------------------------------


def test_score_is_zero_when_nothing_is_unusual():
    assert poisson_tail_score(0, 2.0) == 0.0
    assert poisson_tail_score(2, 2.0) == 0.0


def test_score_matches_the_poisson_tail():
    # P(X ≥ 3 | λ = 0.1) = 1 − e^-0.1 (1 + 0.1 + 0.005) ≈ 1.547e-4
    assert poisson_tail_score(3, 0.1) == pytest.approx(3.8105, abs=1e-3)
    # Far in the tail of a large expectation, where a naive 1 − CDF would cancel out.
    assert poisson_tail_score(200, 50.0) > 50
    assert poisson_tail_score(12, 3.0) > poisson_tail_score(11, 3.0) > poisson_tail_score(11, 4.0)


def test_dismissals_raise_the_threshold_step_by_step_up_to_a_cap():
    assert [dismissal_offset(n, SETTINGS) for n in range(7)] == [0, 1, 2, 3, 4, 4, 4]


# the baseline ------------------------------------------------------------


def test_baseline_learns_the_hour_of_week_and_keeps_a_floor():
    """Given eight weeks in which port 5 has a complaint every evening at 19:00
    and some Thursday nights, the evening expects more than the night, and an
    element with no history still expects the floor."""
    since = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
    until = since + timedelta(weeks=8)
    paths = PathIndex(ancestors)
    history = []
    for day in range(56):
        evening = since + timedelta(days=day, hours=19, minutes=5)
        history.append((evening, paths.nodes(5, 100)))
        if day % 7 == 3:  # Thursday nights
            history.append((since + timedelta(days=day, hours=3), paths.nodes(5, 100)))
    learned = baseline_learn(history, since=since, until=until, tz=UTC, settings=SETTINGS)
    port, core, quiet = element_node(5), element_node(1), element_node(12)
    evening_monday, night_monday = 19, 3
    assert learned.rate(port, evening_monday) > 5 * learned.rate(port, night_monday)
    assert learned.rate(core, evening_monday) == learned.rate(port, evening_monday)
    assert learned.rate(quiet, evening_monday) == pytest.approx(
        learned.floor * learned.profile[evening_monday]
    )
    # A week's expectations add up to what history showed.
    week = sum(learned.rate(port, h) * 4 for h in range(HOURS_OF_WEEK))
    assert week == pytest.approx(len(history) / 8, rel=0.05)


def test_hour_of_week_is_local_time():
    from zoneinfo import ZoneInfo

    sunday_late_utc = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # Monday 00:30 in Berlin
    assert hour_of_week(sunday_late_utc, UTC) == 6 * 24 + 23
    assert hour_of_week(sunday_late_utc, ZoneInfo("Europe/Berlin")) == 0


# detection and attribution -----------------------------------------------


def every(minutes, count, start=0):
    return [start + minutes * i for i in range(count)]


def test_burst_under_one_port_names_that_port():
    """Given complaints from ten customers on port 5 within half an hour,
    when the duration gate has run, one suspected outage names port 5."""
    feed = Feed(detector())
    feed.burst([5] * 10, every(3, 10))
    assert len(feed.raised) == 1
    spike = feed.raised[0]
    assert spike.node == element_node(5)
    assert spike.fired == element_node(5)
    # Hot at the 4th complaint (minute 9), raised at the first one 10 minutes later.
    assert spike.at == MONDAY_EVENING + timedelta(minutes=21)
    assert spike.complaints == spike.customers == 8
    assert set(spike.ticket_ids) == set(range(1, 9))
    assert spike.score >= spike.threshold


def test_burst_over_both_ports_of_an_olt_names_the_olt():
    feed = Feed(detector())
    feed.burst([5, 6] * 5, every(3, 10))
    assert [s.node for s in feed.raised] == [element_node(3)]


def test_burst_over_both_olts_names_the_aggregation_switch():
    feed = Feed(detector())
    feed.burst([5, 7, 6, 7] * 3, every(2.5, 12))
    assert [s.node for s in feed.raised] == [element_node(2)]


def test_most_complaints_under_one_port_still_name_the_port():
    """Eleven of twelve complaints under port 5 and one stray one on port 6:
    port 5 holds at least 80 % of the excess, the smallest explanation."""
    feed = Feed(detector(baseline=baseline(means={**MEANS, 3: 0.01})))
    feed.burst([5, 5, 5, 6, 5, 5, 5, 5, 5, 5, 5, 5], every(2.5, 12))
    assert [s.node for s in feed.raised] == [element_node(5)]


def test_complaints_spread_over_unrelated_trees_name_the_area():
    """Complaints in area 100 under both core routers, neither of which holds
    most of them: only the area explains them."""
    feed = Feed(detector())
    feed.burst([5, 12, 7, 12] * 3, every(2.5, 12))
    assert [s.node for s in feed.raised] == [area_node(100)]
    assert feed.raised[0].node.kind == AREA
    assert feed.raised[0].top == area_node(100)


def test_duration_gate_holds_a_short_burst_back():
    """Six complaints within three minutes, then silence: nothing is raised
    while the gate runs, nor when only the clock moves past it; the excess
    must persist, so the next complaint under the port raises it."""
    spikes = detector()
    feed = Feed(spikes)
    feed.burst([5] * 6, every(0.5, 6))
    assert feed.raised == []
    assert spikes.advance(MONDAY_EVENING + timedelta(minutes=12)) == ()
    feed.complaint(13, 12, area=200)  # elsewhere: no evidence for port 5
    assert feed.raised == []
    feed.complaint(14, 5)
    assert [s.node for s in feed.raised] == [element_node(5)]


def test_without_persistence_the_clock_alone_ends_the_gate():
    spikes = detector(SpikeSettings(persist_by_complaint=False))
    Feed(spikes).burst([5] * 6, every(0.5, 6))
    assert spikes.advance(MONDAY_EVENING + timedelta(minutes=8)) == ()
    raised = spikes.advance(MONDAY_EVENING + timedelta(minutes=12))
    assert [s.node for s in raised] == [element_node(5)]


def test_one_customer_calling_again_and_again_is_not_an_outage():
    feed = Feed(detector())
    feed.burst([5] * 10, every(3, 10), customer=42)
    assert feed.raised == []


def test_the_same_ticket_counts_once():
    spikes = detector()
    complaint = Complaint(1, MONDAY_EVENING, 1001, 5, 100)
    spikes.observe(complaint)
    spikes.observe(complaint)
    assert spikes.reading(element_node(5)).complaints == 1


def test_complaints_older_than_the_window_are_ignored():
    spikes = detector()
    spikes.observe(Complaint(1, MONDAY_EVENING, 1001, 5, 100))
    spikes.observe(Complaint(2, MONDAY_EVENING - timedelta(hours=2), 1002, 5, 100))
    assert spikes.reading(element_node(5)).complaints == 1


def test_the_time_of_day_decides_what_is_unusual():
    """Port 7 expects many complaints in the evening and almost none at
    night: the same burst is normal at 19:00 and an outage at 03:00."""
    profile = tuple(2.0 if 17 <= h % 24 <= 22 else 0.05 for h in range(HOURS_OF_WEEK))
    busy = baseline(
        means={**MEANS, 7: 1.0, 4: 1.0, 2: 1.0, 1: 1.0}, area_means={100: 1.0}, profile=profile
    )
    evening = Feed(detector(baseline=busy))
    evening.burst([7] * 10, every(3, 10))
    night = Feed(detector(baseline=busy))
    night.burst([7] * 10, every(3, 10), start=MONDAY_EVENING.replace(hour=3))
    assert evening.raised == []
    assert [s.node for s in night.raised] == [element_node(7)]


def test_complaints_after_the_raise_join_it():
    feed = Feed(detector())
    feed.burst([5] * 8, every(3, 8))
    later = feed.complaint(25, 5)
    assert later.raised == ()
    assert later.joined == element_node(5)
    assert len(feed.raised) == 1


def test_a_spreading_outage_widens_to_the_olt():
    """Port 5 goes first; then port 6 complains as well: a second suspected
    outage names the OLT and says it widens the port's."""
    feed = Feed(detector())
    feed.burst([5] * 8, every(3, 8))
    feed.burst([6] * 10, every(2, 10, start=24))
    assert [s.node for s in feed.raised] == [element_node(5), element_node(3)]
    assert feed.raised[1].widens == (element_node(5),)


def test_episode_ends_when_the_node_quietens_and_a_new_burst_raises_again():
    feed = Feed(detector())
    feed.burst([5] * 8, every(3, 8))
    feed.burst([5] * 8, every(3, 8, start=300))
    assert [s.node for s in feed.raised] == [element_node(5), element_node(5)]


def test_a_raised_threshold_needs_a_stronger_burst():
    """After four dismissals port 5's threshold is 4 higher: the burst that
    raised before is not enough; a louder one still is."""
    offsets = {element_node(5): dismissal_offset(4, SETTINGS)}
    quiet = Feed(detector(threshold_offsets=offsets))
    quiet.burst([5] * 8, every(3, 8))
    assert quiet.raised == []
    assert quiet.spikes.threshold_for(element_node(5)) == SETTINGS.threshold + 4
    loud = Feed(detector(threshold_offsets=offsets))
    loud.burst([5] * 14, every(1.5, 14))
    assert [s.node for s in loud.raised] == [element_node(5)]


def test_normal_traffic_raises_nothing():
    """Four weeks of complaints at exactly the baseline rate on every port:
    no suspected outage."""
    rng = random.Random(7)
    learned_from = MONDAY_EVENING - timedelta(weeks=8)
    paths = PathIndex(ancestors)
    ports = {5: 0.04, 6: 0.04, 7: 0.1, 12: 0.1}  # complaints per bucket
    history: list[tuple[datetime, int]] = []
    traffic: list[tuple[datetime, int]] = []
    for start, sink in ((learned_from, history), (MONDAY_EVENING, traffic)):
        for bucket in range(4 * 24 * 7 * (8 if sink is history else 4)):
            for port, rate in ports.items():
                for _ in range(_poisson(rng, rate)):
                    at = start + timedelta(minutes=15 * bucket + rng.uniform(0, 15))
                    sink.append((at, port))
    learned = baseline_learn(
        ((at, paths.nodes(port, 100)) for at, port in history),
        since=learned_from,
        until=MONDAY_EVENING,
        tz=UTC,
        settings=SETTINGS,
    )
    feed = Feed(detector(baseline=learned))
    for at, port in sorted(traffic):
        feed.complaint((at - MONDAY_EVENING) / timedelta(minutes=1), port)
    assert len(traffic) > 500
    assert feed.raised == []


def _poisson(rng, rate):
    count, limit, product = 0, pow(2.718281828459045, -rate), rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count
