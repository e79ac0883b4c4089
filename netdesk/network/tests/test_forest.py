"""The graph helpers behind upstream trees: loops, trees from meshes, depth."""

from __future__ import annotations

from netdesk.network.forest import breadth_first_tree, depth_order, find_loops, spanning_forest


def test_find_loops_reports_each_loop_once_and_ignores_trees():
    parent = {1: None, 2: 1, 3: 2, 10: 11, 11: 12, 12: 10, 13: 12, 20: 20}
    loops = find_loops(parent)
    assert sorted(sorted(loop) for loop in loops) == [[10, 11, 12], [20]]


def test_find_loops_walks_a_long_chain_without_recursion():
    chain: dict[int, int | None] = {n: n + 1 for n in range(200_000)}
    chain[200_000] = None
    assert find_loops(chain) == []
    chain[200_000] = 0
    assert len(find_loops(chain)[0]) == 200_001


def test_breadth_first_tree_hangs_each_node_off_a_nearest_neighbour():
    # A ring of six with a chord 0–3: node 4 is two hops from 0 either way.
    mesh = {0: [1, 5, 3], 1: [0, 2], 2: [1, 3], 3: [2, 4, 0], 4: [3, 5], 5: [4, 0]}
    parent = breadth_first_tree(mesh, [0])
    assert parent == {0: None, 1: 0, 5: 0, 3: 0, 2: 1, 4: 5}


def test_spanning_forest_gives_each_unconnected_part_its_own_busiest_root():
    nodes = ["a", "b", "c", "x", "y", "z"]
    mesh = {"a": ["b"], "b": ["a", "c"], "c": ["b"], "x": ["y"], "y": ["x", "z"], "z": ["y"]}
    parent, roots = spanning_forest(nodes, mesh, ["a"])
    assert roots == ["a", "y"]
    assert parent["c"] == "b"
    assert parent["x"] == "y"
    assert parent["y"] is None


def test_depth_order_counts_only_parents_inside_the_set():
    parent = {"a": None, "b": "a", "c": "b", "d": "stored"}
    assert depth_order(parent, ["b", "c", "d"]) == {"b": 0, "c": 1, "d": 0}
