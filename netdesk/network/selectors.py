"""Reads of the network inventory. `topology()` is the dependency forest
(every element with its upstream) held in memory, so impact analysis can
walk a customer's path to the core or everything under a failed element
without a query per step."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from time import monotonic

from netdesk.network.models import NetworkElement

# Another process's import shows up here at the latest this long after it
# committed; an import in this process calls topology_changed() at once.
TOPOLOGY_CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class Topology:
    """The upstream forest at one moment. `parent` holds every element
    (None for the roots); `children` only elements that have some."""

    parent: dict[int, int | None]
    children: dict[int, list[int]] = field(repr=False)
    built_at: float = 0.0

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

    def roots(self) -> list[int]:
        return [element_id for element_id, up in self.parent.items() if up is None]

    def depth(self, element_id: int) -> int:
        return len(self.ancestors(element_id))


def build_topology() -> Topology:
    """One query over (id, upstream_id), no model instances."""
    parent: dict[int, int | None] = {}
    children: dict[int, list[int]] = {}
    rows = NetworkElement.objects.order_by().values_list("id", "upstream_id")
    for element_id, upstream_id in rows.iterator(chunk_size=20_000):
        parent[element_id] = upstream_id
        if upstream_id is not None:
            siblings = children.get(upstream_id)
            if siblings is None:
                children[upstream_id] = [element_id]
            else:
                siblings.append(element_id)
    return Topology(parent=parent, children=children, built_at=monotonic())


_cache: tuple[int, Topology] | None = None
# Bumped by topology_changed(): a forest read while an import was committing
# carries the older number and is not used afterwards.
_generation = 0
_lock = threading.Lock()


def _usable(cached: tuple[int, Topology] | None) -> Topology | None:
    if cached is None:
        return None
    generation, forest = cached
    if generation != _generation or monotonic() - forest.built_at >= TOPOLOGY_CACHE_SECONDS:
        return None
    return forest


def topology() -> Topology:
    """The cached forest, rebuilt when older than TOPOLOGY_CACHE_SECONDS or
    after topology_changed(). Treat it as read-only: it is shared."""
    global _cache
    forest = _usable(_cache)
    if forest is not None:
        return forest
    # One thread rebuilds; the others wait and take its result.
    with _lock:
        forest = _usable(_cache)
        if forest is None:
            generation = _generation
            forest = build_topology()
            _cache = (generation, forest)
        return forest


def topology_changed() -> None:
    """Forget the cached forest; the next topology() reads it again. Every
    write to elements or their upstreams calls this (importers, services)."""
    global _cache, _generation
    _generation += 1
    _cache = None
