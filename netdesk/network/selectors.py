"""Reads of the network inventory. `topology()` is the dependency forest
(every element with its upstream) held in memory, so impact analysis can
walk a customer's path to the core or everything under a failed element
without a query per step."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from netdesk.core.memo import Memo, data_changed
from netdesk.network.models import Area, Link, NetworkElement


@dataclass(frozen=True)
class Topology:
    """The upstream forest at one moment. `parent` holds every element
    (None for the roots); `children` only elements that have some."""

    parent: dict[int, int | None]
    children: dict[int, list[int]] = field(repr=False)

    def __contains__(self, element_id: object) -> bool:
        return element_id in self.parent

    def __len__(self) -> int:
        return len(self.parent)

    def upstream(self, element_id: int) -> int | None:
        return self.parent.get(element_id)

    def ancestors(self, element_id: int) -> list[int]:
        """The element's upstreams, nearest first, up to its root. Importers
        refuse loops, but an edit by hand could still make one: the walk
        stops where it would go round again."""
        found: list[int] = []
        seen = {element_id}
        current = self.parent.get(element_id)
        while current is not None and current not in seen:
            found.append(current)
            seen.add(current)
            current = self.parent.get(current)
        return found

    def path_to_root(self, element_id: int) -> list[int]:
        """The element itself, then its ancestors."""
        return [element_id, *self.ancestors(element_id)]

    def subtree(self, element_ids: Iterable[int]) -> set[int]:
        """The given elements and everything that depends on them, at any depth."""
        found: set[int] = set()
        stack = [element_id for element_id in element_ids]
        while stack:
            current = stack.pop()
            if current in found:
                continue
            found.add(current)
            stack.extend(self.children.get(current, ()))
        return found

    def below_within(self, element_ids: Iterable[int], hops: int) -> set[int]:
        """The given elements and those at most `hops` below them."""
        found = set(element_ids)
        level = list(found)
        for _ in range(hops):
            level = [c for e in level for c in self.children.get(e, ()) if c not in found]
            found.update(level)
        return found

    def roots(self) -> list[int]:
        return [element_id for element_id, up in self.parent.items() if up is None]

    def depth(self, element_id: int) -> int:
        return len(self.ancestors(element_id))


def build_topology() -> Topology:
    """One query over (id, upstream_id), no model instances. Read in id order
    so children lists come out the same on every database and every run."""
    parent: dict[int, int | None] = {}
    children: dict[int, list[int]] = {}
    rows = NetworkElement.objects.order_by("id").values_list("id", "upstream_id")
    for element_id, upstream_id in rows.iterator(chunk_size=20_000):
        parent[element_id] = upstream_id
        if upstream_id is not None:
            siblings = children.get(upstream_id)
            if siblings is None:
                children[upstream_id] = [element_id]
            else:
                siblings.append(element_id)
    return Topology(parent=parent, children=children)


_forest: Memo[Topology] = Memo(build_topology, depends_on=[NetworkElement])


def topology() -> Topology:
    """The forest, built again after any change to the elements (in any
    process: `netdesk.core.memo`). Treat it as read-only: it is shared."""
    return _forest.get()


def build_neighbours() -> dict[int, frozenset[int]]:
    """One query over the links' two ends. A link counts both ways; an
    element without links is absent."""
    found: dict[int, set[int]] = {}
    rows = Link.objects.order_by().values_list("a_element_id", "b_element_id")
    for a, b in rows.iterator(chunk_size=20_000):
        if a == b:
            continue
        found.setdefault(a, set()).add(b)
        found.setdefault(b, set()).add(a)
    return {element_id: frozenset(ends) for element_id, ends in found.items()}


_neighbours: Memo[dict[int, frozenset[int]]] = Memo(
    build_neighbours, depends_on=[Link, NetworkElement]
)


def neighbours() -> Mapping[int, frozenset[int]]:
    """Each element's direct neighbours over the links (the mesh beside the
    upstream tree: a microwave hop's far end, a ring's next node), built
    again after any change to links or elements, like `topology()`. Shared:
    read-only."""
    return _neighbours.get()


def topology_changed() -> None:
    """The inventory changed (elements added, renamed, moved upstream or to
    another area; areas added or renamed; links added, moved or removed):
    every process builds the forest, the links' adjacency and what it keeps
    per element or area again. Every write to elements, areas or links
    calls this, in its transaction."""
    data_changed(NetworkElement, Area, Link)
