"""Time-window alarm grouping and root-cause ranking on hand-made alarms."""

import itertools
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.alarm_grouping import (
    AlarmEvent,
    AlarmGroup,
    DeviceAffinity,
    device_affinity_learn,
    group_alarms,
    precedence_learn,
    rank_earliest,
    rank_learned,
    ranked_kinds,
    same_device,
)


def alarm(kind: str, device: str, start: float) -> AlarmEvent:
    return AlarmEvent(kind=kind, device=device, start=start)


def starts(groups: list[AlarmGroup]) -> list[list[float]]:
    return [[a.start for a in g.alarms] for g in groups]


# Grouping


def test_time_window_chains_alarms_and_splits_on_a_gap() -> None:
    alarms = [alarm("a", "d1", t) for t in (100, 0, 50, 400, 455)]
    groups = group_alarms(alarms, 60)
    # 0 → 100 is more than the window, but 50 chains them.
    assert starts(groups) == [[0, 50, 100], [400, 455]]
    assert groups[0].start == 0
    assert groups[0].last_start == 100
    assert len(groups[0]) == 3


def test_window_is_inclusive_and_zero_groups_only_simultaneous_alarms() -> None:
    alarms = [alarm("a", "d1", 0), alarm("b", "d2", 0), alarm("c", "d3", 60)]
    assert starts(group_alarms(alarms, 60)) == [[0, 0, 60]]
    assert starts(group_alarms(alarms, 0)) == [[0, 0], [60]]
    assert starts(group_alarms(alarms, 59.9)) == [[0, 0], [60]]


def test_same_device_keeps_interleaved_devices_apart() -> None:
    alarms = [
        alarm("a", "d1", 0),
        alarm("b", "d2", 10),
        alarm("c", "d1", 20),
        alarm("d", "d2", 30),
    ]
    assert len(group_alarms(alarms, 60)) == 1
    groups = group_alarms(alarms, 60, related=same_device)
    assert [g.devices for g in groups] == [["d1"], ["d2"]]
    assert [g.kinds for g in groups] == [["a", "c"], ["b", "d"]]


def test_a_device_is_always_related_to_itself() -> None:
    alarms = [alarm("a", "d1", 0), alarm("b", "d1", 30)]
    assert len(group_alarms(alarms, 60, related=lambda _a, _b: False)) == 1


def test_affinity_joins_related_devices_only() -> None:
    affinity = DeviceAffinity(frozenset({frozenset(("d1", "d2"))}))
    alarms = [alarm("a", "d1", 0), alarm("b", "d2", 10), alarm("c", "d3", 20)]
    groups = group_alarms(alarms, 60, related=affinity.related)
    assert [g.devices for g in groups] == [["d1", "d2"], ["d3"]]


def test_chaining_through_another_device_merges_groups() -> None:
    # d1 and d3 are unrelated, but both are related to d2, which alarms
    # between them: one group.
    affinity = DeviceAffinity(frozenset({frozenset(("d1", "d2")), frozenset(("d2", "d3"))}))
    alarms = [alarm("a", "d1", 0), alarm("c", "d3", 5), alarm("b", "d2", 10)]
    groups = group_alarms(alarms, 60, related=affinity.related)
    assert [sorted(g.devices) for g in groups] == [["d1", "d2", "d3"]]


def test_empty_input_and_negative_window() -> None:
    assert group_alarms([], 60) == []
    with pytest.raises(ValueError, match="must not be negative"):
        group_alarms([alarm("a", "d1", 0)], -1)


def _brute_force(
    alarms: list[AlarmEvent], window: float, pairs: set[frozenset[str]]
) -> set[frozenset[AlarmEvent]]:
    """Single linkage by comparing every pair: the definition itself."""
    parent = list(range(len(alarms)))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i, j in itertools.combinations(range(len(alarms)), 2):
        a, b = alarms[i], alarms[j]
        related = a.device == b.device or frozenset((a.device, b.device)) in pairs
        if abs(a.start - b.start) <= window and related:
            parent[find(i)] = find(j)
    groups: dict[int, list[AlarmEvent]] = {}
    for i, a in enumerate(alarms):
        groups.setdefault(find(i), []).append(a)
    return {frozenset(g) for g in groups.values()}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from("abc"), st.sampled_from(["d1", "d2", "d3", "d4"]), st.integers(0, 600)
        ),
        max_size=25,
        unique_by=lambda t: (t[1], t[2], t[0]),
    ),
    st.sampled_from([0, 30, 60, 200]),
    st.sets(
        st.sampled_from([frozenset(p) for p in itertools.combinations(["d1", "d2", "d3", "d4"], 2)])
    ),
)
def test_grouping_matches_single_linkage(rows, window, pairs) -> None:
    alarms = [alarm(k, d, t) for k, d, t in rows]
    affinity = DeviceAffinity(frozenset(pairs))
    groups = group_alarms(alarms, window, related=affinity.related)
    assert sum(len(g) for g in groups) == len(alarms)
    assert {frozenset(g.alarms) for g in groups} == _brute_force(alarms, window, set(pairs))
    assert [g.start for g in groups] == sorted(g.start for g in groups)


def test_device_affinity_finds_devices_that_alarm_together() -> None:
    history = []
    for i in range(30):
        t = i * 10_000
        history += [alarm("a", "d1", t), alarm("b", "d2", t + 20)]
        history.append(alarm("c", "d3", t + 5_000))  # regular, but never near d1/d2
    affinity = device_affinity_learn(history, 60, min_count=20, min_lift=5)
    assert affinity.pairs == {frozenset(("d1", "d2"))}
    assert affinity.related("d2", "d1")
    assert affinity.related("d3", "d3")
    assert not affinity.related("d1", "d3")
    assert device_affinity_learn([], 60).pairs == frozenset()


# Precedence learning


def test_precedence_counts_follow_within_window_on_the_same_device() -> None:
    history = []
    for i in range(10):
        t = i * 10_000
        history += [alarm("link", "d1", t), alarm("bgp", "d1", t + 30)]
    history += [alarm("bgp", "d2", 500_000), alarm("link", "d2", 500_010)]  # once reversed
    history += [alarm("link", "d3", 600_000), alarm("bgp", "d4", 600_010)]  # other device
    history += [alarm("link", "d5", 700_000), alarm("bgp", "d5", 700_000)]  # same second
    history += [alarm("link", "d6", 800_000), alarm("bgp", "d6", 800_100)]  # too late
    model = precedence_learn(history, 60)
    assert model.follows[("link", "bgp")] == 10
    assert model.follows[("bgp", "link")] == 1
    assert model.counts == {"link": 14, "bgp": 14}
    assert model.precedence("link", "bgp") == pytest.approx(math.log(11 / 2))
    assert model.precedence("bgp", "link") == pytest.approx(-model.precedence("link", "bgp"))
    assert model.precedence("link", "unknown") == 0.0
    assert model.lift("link", "bgp") > 5
    assert model.lift("link", "unknown") == 1.0

    across = precedence_learn(history, 60, same_device=False)
    assert across.follows[("link", "bgp")] == 11


def test_precedence_counts_each_alarm_once_per_following_type() -> None:
    history = [alarm("a", "d1", 0), alarm("b", "d1", 10), alarm("b", "d1", 20)]
    history.append(alarm("a", "d1", 30))  # a → (nothing after); b, b → a
    model = precedence_learn(history, 60)
    assert model.follows == {("a", "b"): 1, ("b", "a"): 2}


def test_learned_edges_need_support_lift_and_direction() -> None:
    history = []
    for i in range(20):
        t = i * 100_000
        history += [alarm("x", "d1", t), alarm("y", "d1", t + 10), alarm("z", "d1", t + 50_000)]
    history += [alarm("z", "d1", 3_000_000), alarm("x", "d1", 3_000_020)]
    model = precedence_learn(history, 60)
    assert model.edges(min_count=5, min_lift=2) == [("x", "y")]
    # One sighting: the prior halves its lift, so it passes only a lower bar.
    assert ("z", "x") not in model.edges(min_count=1, min_lift=2)
    assert model.edges(min_count=1, min_lift=1.5) == [("x", "y"), ("z", "x")]


# Ranking


def test_rank_earliest_keeps_given_order_for_ties() -> None:
    alarms = [alarm("b", "d1", 5), alarm("c", "d1", 0), alarm("a", "d1", 0)]
    assert ranked_kinds(rank_earliest(alarms)) == ["c", "a", "b"]


def test_rank_learned_puts_the_usual_leader_first_even_when_it_started_later() -> None:
    history = []
    for i in range(20):
        t = i * 10_000
        history += [
            alarm("power", "d1", t),
            alarm("link", "d1", t + 5),
            alarm("bgp", "d1", t + 20),
        ]
    model = precedence_learn(history, 60)
    # Polling saw the link and BGP alarms before the power alarm this time.
    incident = [alarm("bgp", "d7", 100), alarm("link", "d7", 101), alarm("power", "d7", 102)]
    assert ranked_kinds(rank_learned(incident, model)) == ["power", "link", "bgp"]
    assert ranked_kinds(rank_earliest(incident)) == ["bgp", "link", "power"]
    assert model.strength("power", ["power", "link", "bgp"]) > 0
    assert model.strength("bgp", ["power", "link", "bgp"]) < 0


def test_rank_learned_falls_back_to_start_for_unknown_types() -> None:
    model = precedence_learn([], 60)
    alarms = [alarm("q", "d1", 9), alarm("p", "d1", 3), alarm("q", "d1", 1)]
    assert [a.start for a in rank_learned(alarms, model)] == [1, 3, 9]
    assert rank_learned([], model) == []


# Reading the logs' .npy files


def test_npy_matrix_reads_c_and_fortran_order(tmp_path: Path) -> None:
    import numpy

    from bench.alarm_grouping_eval import read_npy_matrix

    matrix = numpy.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]], dtype=numpy.int64)
    numpy.save(tmp_path / "c.npy", matrix)
    numpy.save(tmp_path / "f.npy", numpy.asfortranarray(matrix))
    assert numpy.load(tmp_path / "f.npy").flags["F_CONTIGUOUS"]
    expected = [[0, 1, 0], [0, 0, 1], [1, 0, 0]]
    assert read_npy_matrix(tmp_path / "c.npy") == expected
    assert read_npy_matrix(tmp_path / "f.npy") == expected
    numpy.save(tmp_path / "v.npy", numpy.zeros(3))
    with pytest.raises(ValueError, match="2-D"):
        read_npy_matrix(tmp_path / "v.npy")


# The fixed root-cause protocol (bench/root_cause_protocol.py)


def test_network_from_adjacency_roots_the_tree_at_the_best_connected_device() -> None:
    from bench.root_cause_protocol import network_from_adjacency

    # 1 is linked to 0, 2 and 3; 3 to 4.
    matrix = [[0] * 5 for _ in range(5)]
    for a, b in [(0, 1), (1, 2), (1, 3), (3, 4)]:
        matrix[a][b] = 1  # one direction only: links are undirected
    network = network_from_adjacency(matrix)
    assert network.parent == {"1": None, "0": "1", "2": "1", "3": "1", "4": "3"}
    assert network.depth["4"] == 2
    assert network.ancestors("4") == ["3", "1"]
    assert network.related("3", "4")
    assert network.related("4", "3")
    assert not network.related("0", "4")
    assert max(network.closeness, key=lambda d: network.closeness[d]) == "1"


def test_protocol_scores_hit_at_1_hit_at_3_and_mrr_against_the_graph() -> None:
    from bench.root_cause_protocol import by_key, evaluate, informative

    reach = {("a", "b"), ("a", "c"), ("b", "c")}  # a → b → c
    groups = [
        AlarmGroup((alarm("b", "d", 0), alarm("a", "d", 5), alarm("c", "d", 9))),
        AlarmGroup((alarm("a", "d", 0), alarm("c", "d", 5))),
        AlarmGroup((alarm("x", "d", 0), alarm("y", "d", 5))),  # unrelated: not informative
    ]
    cases = informative(groups, reach)
    assert len(cases) == 2
    earliest = evaluate(cases, by_key(lambda a: a.start), [0])
    assert earliest["hit@1"] == 0.5
    assert earliest["hit@3"] == 1.0
    assert earliest["mrr"] == pytest.approx((1 / 2 + 1) / 2)


def test_prior_learned_from_history_beats_earliest_when_the_order_flips() -> None:
    from bench.root_cause_protocol import grouping_sensitivity, sensitivity_table

    # a causes b. In the first half a comes first; in the second half the
    # symptom b is logged 10 s before its cause.
    alarms = []
    for n in range(20):
        t = n * 10_000
        first, second = ("a", "b") if n < 10 else ("b", "a")
        alarms += [alarm(first, "d1", t), alarm(second, "d1", t + 10)]
    rows = grouping_sensitivity(alarms, {("a", "b")}, network=None, seeds=[0], windows=(60.0,))
    by_grouping = {r["grouping"]: r for r in rows}
    device = by_grouping["same device"]
    assert device["groups"] == 10
    assert device["type prior"] == 1.0
    assert device["earliest first"] == 0.0
    assert "| same device | 60 | 10 | 0.000 |" in sensitivity_table(rows)
