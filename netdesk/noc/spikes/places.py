"""The places the detector counts complaints at: elements and areas, and
each element's path to the core."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

ELEMENT = "element"
AREA = "area"


class Node(NamedTuple):
    """An element or an area, as the detector counts them."""

    kind: str  # ELEMENT or AREA
    id: int


def element_node(element_id: int) -> Node:
    return Node(ELEMENT, element_id)


def area_node(area_id: int) -> Node:
    return Node(AREA, area_id)


class PathIndex:
    """The nodes a complaint counts toward: its access element, every element
    upstream of it (nearest first) and its area. Paths are cached per element;
    build a new index when the topology changes."""

    def __init__(self, ancestors: Callable[[int], Sequence[int]]) -> None:
        self._ancestors = ancestors
        self._elements: dict[int, tuple[Node, ...]] = {}
        self._with_area: dict[tuple[int | None, int | None], tuple[Node, ...]] = {}

    def elements(self, element_id: int) -> tuple[Node, ...]:
        path = self._elements.get(element_id)
        if path is None:
            path = (element_node(element_id), *map(element_node, self._ancestors(element_id)))
            self._elements[element_id] = path
        return path

    def nodes(self, element_id: int | None, area_id: int | None) -> tuple[Node, ...]:
        key = (element_id, area_id)
        found = self._with_area.get(key)
        if found is None:
            found = self.elements(element_id) if element_id is not None else ()
            if area_id is not None:
                found = (*found, area_node(area_id))
            if len(self._with_area) > 200_000:
                self._with_area.clear()
            self._with_area[key] = found
        return found

    def depth(self, node: Node) -> int:
        """Elements: hops to their root (deeper is smaller). Areas: -1, above any element."""
        return len(self.elements(node.id)) - 1 if node.kind == ELEMENT else -1

    def level(self, node: Node) -> int | None:
        """The level of the network tree a node sits at: 0 for a root (the
        core), one more per hop below it; None for an area (areas are a level
        of their own, beside the elements)."""
        return len(self.elements(node.id)) - 1 if node.kind == ELEMENT else None

    def covers(self, upper: Node, node: Node) -> bool:
        """Whether `node` is `upper` or lies below it (elements only)."""
        return node.kind == ELEMENT and upper.kind == ELEMENT and upper in self.elements(node.id)
