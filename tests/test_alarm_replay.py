"""The 24V replay's pieces on tiny hand-made inputs: adjacency `.npy` files
(C and Fortran order) to GraphML the real importer reads, the causal-pair
metrics, the batch plan, and a short replay through the real intake."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from django.utils import timezone

from bench.alarm_replay import (
    ACTIVE,
    EPOCH,
    OUTCOMES,
    Clock,
    batches,
    product_labels,
    read_log,
    replay,
    topology_import,
)
from bench.replay_metrics import (
    LogAlarm,
    causal_pairs,
    grouping_figures,
    pair_recall,
    purity,
    spread,
)
from bench.replay_topology import (
    CausalGraph,
    graphml_text,
    matrix_load,
    neighbours_of,
    undirected_edges,
)
from netdesk.network.models import Link, NetworkElement

# A path 0 - 1 - 2 and a spoke 1 - 3; the (1, 3) entry only one way round.
SQUARE = [[0, 1, 0, 0], [1, 0, 1, 1], [0, 1, 0, 0], [0, 0, 0, 0]]


def save(tmp_path: Path, name: str, matrix: list[list[int]], *, fortran: bool) -> Path:
    array = np.array(matrix, dtype=np.int64, order="F" if fortran else "C")
    path = tmp_path / name
    np.save(path, np.asfortranarray(array) if fortran else np.ascontiguousarray(array))
    return path


# Matrices and GraphML


@pytest.mark.parametrize("fortran", [True, False])
def test_an_asymmetric_matrix_round_trips_in_either_order(tmp_path, fortran):
    matrix = [[0, 1, 1], [0, 0, 1], [0, 0, 0]]
    path = save(tmp_path, "dag.npy", matrix, fortran=fortran)
    header = path.read_bytes()[:128].decode("latin1")
    assert f"'fortran_order': {fortran}" in header
    assert matrix_load(path) == matrix


def test_a_matrix_that_is_not_square_is_refused_by_name(tmp_path):
    path = tmp_path / "odd.npy"
    np.save(path, np.zeros((2, 3), dtype=np.int64))
    with pytest.raises(ValueError, match=r"odd\.npy: expected a square matrix"):
        matrix_load(path)


def test_a_float_matrix_is_refused(tmp_path):
    path = tmp_path / "float.npy"
    np.save(path, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="expected integers"):
        matrix_load(path)


def test_links_are_undirected_once_each_without_self_links():
    matrix = [row[:] for row in SQUARE]
    matrix[2][2] = 1
    assert undirected_edges(matrix) == [(0, 1), (1, 2), (1, 3)]
    assert neighbours_of(4, undirected_edges(matrix)) == {0: {1}, 1: {0, 2, 3}, 2: {1}, 3: {1}}


def test_graphml_escapes_the_network_name():
    text = graphml_text(1, [], network="A & B <24V>")
    assert "A &amp; B &lt;24V&gt;" in text
    assert '<node id="dev-0"><data key="d0">dev-0</data></node>' in text


@pytest.mark.django_db
def test_a_four_device_adjacency_imports_through_the_real_command(tmp_path):
    path = save(tmp_path, "Topology.npy", SQUARE, fortran=True)
    assert topology_import(path, "tiny", tmp_path) == (4, 3)
    elements = {e.name: e for e in NetworkElement.objects.select_related("upstream")}
    assert sorted(elements) == ["dev-0", "dev-1", "dev-2", "dev-3"]
    # The busiest device is the root of the derived upstream tree.
    assert elements["dev-1"].upstream is None
    assert {n: e.upstream.name for n, e in elements.items() if e.upstream} == {
        "dev-0": "dev-1",
        "dev-2": "dev-1",
        "dev-3": "dev-1",
    }
    ends = {frozenset((link.a_element.name, link.b_element.name)) for link in Link.objects.all()}
    assert ends == {
        frozenset(p) for p in [("dev-0", "dev-1"), ("dev-1", "dev-2"), ("dev-1", "dev-3")]
    }
    assert topology_import(path, "tiny", tmp_path) == (4, 3)
    assert NetworkElement.objects.count() == 4  # matched again, not duplicated


# The causal graph and the metrics


def test_the_causal_graph_reaches_through_paths_and_refuses_a_cycle():
    graph = CausalGraph([[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    assert graph.edges == {("0", "1"), ("1", "2")}
    assert graph.reach == {("0", "1"), ("1", "2"), ("0", "2")}
    assert frozenset(("2", "0")) in graph.related
    with pytest.raises(ValueError, match="cycle"):
        CausalGraph([[0, 1], [1, 0]])


def alarm(kind: str, device: int, start: int, end: int | None = None) -> LogAlarm:
    return LogAlarm(kind, device, start, start if end is None else end)


NEAR = neighbours_of(4, undirected_edges(SQUARE))
EDGES = {("a", "b")}


def test_causal_pairs_need_the_edge_the_window_and_a_near_device():
    alarms = [
        alarm("b", 0, 0),  # same second as the cause below: still its effect
        alarm("a", 1, 0),
        alarm("b", 2, 10),  # neighbour of 1
        alarm("b", 3, 20),  # neighbour of 1, not of 0
        alarm("a", 0, 30),
        alarm("b", 2, 40),  # a neighbour of 1, not of 0
        alarm("b", 0, 400),  # too late for any cause
        alarm("a", 0, 500),  # the edge runs a → b, not back
    ]
    assert causal_pairs(alarms, EDGES, NEAR, 300) == [(1, 0), (1, 2), (1, 3), (1, 5)]
    assert causal_pairs(alarms, EDGES, NEAR, 5) == [(1, 0)]


def test_causal_pairs_want_sorted_alarms():
    with pytest.raises(ValueError, match="sorted"):
        causal_pairs([alarm("a", 0, 5), alarm("b", 0, 1)], EDGES, NEAR, 60)


def test_pair_recall_counts_pairs_in_one_group_and_never_unlabelled_ones():
    pairs = [(0, 1), (1, 2), (2, 3)]
    assert pair_recall(["x", "x", "y", "y"], pairs) == pytest.approx(2 / 3)
    assert pair_recall([None, None, None, None], pairs) == 0.0
    assert pair_recall(["x"] * 4, []) is None


def test_purity_weighs_pairs_of_different_types_by_their_counts():
    related = {frozenset(("a", "b"))}
    # Group 1: a, a, b → two a-b pairs, both related. Group 2: a, c, c → two a-c pairs.
    labels = [1, 1, 1, 2, 2, 2, None]
    kinds = ["a", "a", "b", "a", "c", "c", "b"]
    assert purity(labels, kinds, related) == (0.5, 4)
    assert purity([1, 1], ["a", "a"], related) == (None, 0)
    with pytest.raises(ValueError, match="one label per alarm"):
        purity([1], ["a", "b"], related)


def test_spread_and_grouping_figures():
    assert spread([]) == {"median": 0.0, "p90": 0.0, "max": 0.0}
    assert spread([float(v) for v in range(1, 11)]) == {"median": 5.5, "p90": 9.0, "max": 10.0}
    alarms = [alarm("a", 0, 0, 5), alarm("b", 1, 10), alarm("a", 2, 50, 70), alarm("c", 3, 99)]
    figures = grouping_figures(alarms, ["x", "x", "y", None])
    assert figures["groups"] == 2
    assert figures["alarms_grouped"] == 3
    assert figures["size_alarms"] == {"median": 1.5, "p90": 2.0, "max": 2.0}
    assert figures["size_elements"] == {"median": 1.5, "p90": 2.0, "max": 2.0}
    assert figures["span_seconds"] == {"median": 15.0, "p90": 20.0, "max": 20.0}


# The replay


def test_the_batch_plan_clears_earlier_alarms_first_and_momentary_ones_last():
    alarms = [alarm("a", 0, 0, 10), alarm("b", 1, 10), alarm("c", 2, 10, 12)]
    assert batches(alarms) == {
        0: [(True, 0)],
        10: [(False, 0), (True, 1), (True, 2), (False, 1)],
        12: [(False, 2)],
    }
    # Held a second, a momentary alarm clears in the next second's batch.
    assert batches(alarms, momentary_seconds=1)[11] == [(False, 1)]


def test_the_log_is_read_in_start_order_and_limited(tmp_path):
    path = tmp_path / "Alarm.csv"
    path.write_text(
        "alarm_id,device_id,start_timestamp,end_timestamp\n5,1,30,30\n3,0,10,12\n4,2,99,99\n",
        encoding="utf-8",
    )
    assert read_log(path, None) == [alarm("3", 0, 10, 12), alarm("5", 1, 30), alarm("4", 2, 99)]
    assert read_log(path, 31) == [alarm("3", 0, 10, 12), alarm("5", 1, 30)]


def test_an_unreadable_row_stops_the_replay_naming_its_line(tmp_path):
    path = tmp_path / "Alarm.csv"
    path.write_text("alarm_id,device_id,start_timestamp,end_timestamp\n1,x,0,0\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="line 2"):
        read_log(path, None)


@pytest.mark.django_db
def test_a_short_replay_through_the_real_intake(tmp_path):
    topology_import(save(tmp_path, "Topology.npy", SQUARE, fortran=False), "tiny", tmp_path)
    # A lasting alarm on the root opens an incident; one on its neighbour a
    # minute later is in it while it is active.
    alarms = [alarm("0", 1, 0, 600), alarm("1", 2, 60, 700)]
    real_now = timezone.now
    with Clock() as clock:
        done = replay(alarms, clock, tail_minutes=0, progress_every=1000)
        assert timezone.now() == clock.now
    assert timezone.now is real_now
    assert done["batches"] == 4
    assert done["ended_at"] >= EPOCH + timedelta(seconds=700)
    assert set(done["outcome"]) <= set(OUTCOMES)
    assert done["outcome"][0] == ACTIVE
    assert all(
        done["incident_at_intake"][i] is not None
        for i, o in enumerate(done["outcome"])
        if o == ACTIVE
    )
    labels, incidents = product_labels(done)
    assert labels[0] is not None
    assert labels[0] in incidents
