"""Device adjacency matrices (`.npy`, as the PCIC 2021 / gCastle topology
logs ship them) to GraphML the inventory import reads, and the labelled
causal graph between alarm types. Free of Django.

The matrices are read with `numpy.load`, which honours the file's
`fortran_order` flag (the 24V log stores `DAG.npy` in Fortran order and
`Topology.npy` in C order); a hand parser that ignored the flag would read
the causal graph transposed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import numpy as np

# `A[i][j] = 1` in DAG.npy: alarm type i causes type j (gCastle's orientation,
# checked against the 18V log's time order in docs/alarm-grouping-eval.md).


def matrix_load(path: Path) -> list[list[int]]:
    """A square 0/1 (or count) matrix from a `.npy` file, C or Fortran order."""
    array = np.load(path, allow_pickle=False)
    if array.ndim != 2 or array.shape[0] != array.shape[1]:
        raise ValueError(f"{path.name}: expected a square matrix, got shape {array.shape}")
    if not np.issubdtype(array.dtype, np.integer) and not np.issubdtype(array.dtype, np.bool_):
        raise ValueError(f"{path.name}: expected integers or booleans, got {array.dtype}")
    return [[int(v) for v in row] for row in array.tolist()]


def device_name(device: int | str) -> str:
    """The element name (and GraphML node id) a log's device id becomes."""
    return f"dev-{device}"


def undirected_edges(matrix: Sequence[Sequence[int]]) -> list[tuple[int, int]]:
    """Each device pair linked in either direction, once, as (low, high);
    self-links are no links."""
    size = len(matrix)
    return [(i, j) for i in range(size) for j in range(i + 1, size) if matrix[i][j] or matrix[j][i]]


def neighbours_of(size: int, edges: Iterable[tuple[int, int]]) -> dict[int, set[int]]:
    """Device → its direct neighbours."""
    found: dict[int, set[int]] = {i: set() for i in range(size)}
    for a, b in edges:
        found[a].add(b)
        found[b].add(a)
    return found


def graphml_text(size: int, edges: Iterable[tuple[int, int]], *, network: str) -> str:
    """An undirected GraphML graph: nodes `dev-<i>` labelled the same, one
    edge per linked pair, and the network's name."""
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">',
        '  <key attr.name="label" attr.type="string" for="node" id="d0"/>',
        '  <key attr.name="LinkType" attr.type="string" for="edge" id="d1"/>',
        '  <key attr.name="Network" attr.type="string" for="graph" id="d2"/>',
        '  <graph edgedefault="undirected">',
        f'    <data key="d2">{escape(network)}</data>',
    ]
    for i in range(size):
        name = device_name(i)
        lines.append(f'    <node id={quoteattr(name)}><data key="d0">{escape(name)}</data></node>')
    for a, b in edges:
        lines.append(
            f"    <edge source={quoteattr(device_name(a))} target={quoteattr(device_name(b))}>"
            '<data key="d1">Wireless</data></edge>'
        )
    lines += ["  </graph>", "</graphml>", ""]
    return "\n".join(lines)


def graphml_write(matrix_path: Path, out: Path, *, network: str) -> tuple[int, int]:
    """Convert an adjacency `.npy` to GraphML at `out`; (devices, links)."""
    matrix = matrix_load(matrix_path)
    edges = undirected_edges(matrix)
    out.write_text(graphml_text(len(matrix), edges, network=network), encoding="utf-8")
    return len(matrix), len(edges)


class CausalGraph:
    """The labelled graph between alarm types (names are the matrix indices
    as strings, as Alarm.csv writes them)."""

    def __init__(self, matrix: Sequence[Sequence[int]]) -> None:
        size = len(matrix)
        self.size = size
        self.edges = {(str(i), str(j)) for i in range(size) for j in range(size) if matrix[i][j]}
        reach = [[bool(v) for v in row] for row in matrix]
        for k in range(size):  # Warshall
            for i in range(size):
                if reach[i][k]:
                    for j in range(size):
                        reach[i][j] = reach[i][j] or reach[k][j]
        if any(reach[i][i] for i in range(size)):
            raise ValueError("the labelled graph has a cycle")
        self.reach = {(str(i), str(j)) for i in range(size) for j in range(size) if reach[i][j]}
        # Unordered: one type explains the other, whichever way round.
        self.related = {frozenset(pair) for pair in self.reach}
