"""Graph helpers for the upstream forest, free of the database: finding
loops in a parent map, and deriving a tree from a mesh by breadth-first
search. Walks are iterative: a chain of 100,000 elements must not hit
Python's recursion limit."""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

N = TypeVar("N", bound=Hashable)

_ON_PATH = 1
_DONE = 2


def find_loops(parent: Mapping[N, N | None]) -> list[list[N]]:
    """Every loop of a parent map once, as the nodes in walking order
    (a → parent(a) → ... back to a). Linear in the size of the map."""
    state: dict[N, int] = {}
    loops: list[list[N]] = []
    for start in parent:
        if start in state:
            continue
        path: list[N] = []
        node: N | None = start
        while node is not None and node not in state:
            state[node] = _ON_PATH
            path.append(node)
            node = parent.get(node)
        if node is not None and state[node] == _ON_PATH:
            loops.append(path[path.index(node) :])
        for visited in path:
            state[visited] = _DONE
    return loops


def breadth_first_tree(adjacency: Mapping[N, Sequence[N]], roots: Iterable[N]) -> dict[N, N | None]:
    """Parent of every node reachable from the roots: the neighbour it was
    first reached from, so each node hangs off one of the nearest nodes to a
    root (fewest hops). Roots map to None; unreachable nodes are absent."""
    parent: dict[N, N | None] = {}
    queue: deque[N] = deque()
    for root in roots:
        if root not in parent:
            parent[root] = None
            queue.append(root)
    while queue:
        node = queue.popleft()
        for neighbour in adjacency.get(node, ()):
            if neighbour not in parent:
                parent[neighbour] = node
                queue.append(neighbour)
    return parent


def spanning_forest(
    nodes: Sequence[N], adjacency: Mapping[N, Sequence[N]], preferred_roots: Sequence[N] = ()
) -> tuple[dict[N, N | None], list[N]]:
    """A tree per connected part of a mesh. The preferred roots go first;
    every part they do not reach gets its own root: its node with the most
    neighbours (the first in `nodes` order on a tie). Returns the parent map
    and the roots used."""
    parent = breadth_first_tree(adjacency, preferred_roots)
    roots = [root for root in preferred_roots if parent.get(root, 0) is None]
    degree_order = sorted(
        range(len(nodes)), key=lambda index: (-len(adjacency.get(nodes[index], ())), index)
    )
    for index in degree_order:
        node = nodes[index]
        if node in parent:
            continue
        part = breadth_first_tree(adjacency, [node])
        parent.update(part)
        roots.append(node)
    return parent, roots


def depth_order(parent: Mapping[N, N | None], nodes: Iterable[N]) -> dict[N, int]:
    """Depth of each given node, counting only parents that are themselves
    among the given nodes (a parent outside counts as a root). The map must
    be free of loops."""
    wanted = set(nodes)
    depth: dict[N, int] = {}
    for start in wanted:
        if start in depth:
            continue
        chain: list[N] = []
        node: N | None = start
        while node is not None and node in wanted and node not in depth:
            chain.append(node)
            node = parent.get(node)
        base = depth[node] + 1 if node is not None and node in depth else 0
        for offset, member in enumerate(reversed(chain)):
            depth[member] = base + offset
    return depth
