"""The areas as the status page shows them: a tree read once per change to
the areas (`netdesk.core.memo`), the page's components built from it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from netdesk.core.memo import Memo
from netdesk.network.models import Area
from netdesk.noc.statuspage.public import Component, public_id
from netdesk.noc.statuspage.states import OPERATIONAL

AREA_NAMES_IN_TITLE = 3


class AreaTree:
    """Every area by id with its name and sub-areas."""

    def __init__(self, rows: list[tuple[int, str, int | None]]) -> None:
        self.names = {pk: name for pk, name, _ in rows}
        self.children: dict[int, list[int]] = defaultdict(list)
        self.top: list[int] = []
        for pk, _, parent_id in rows:
            if parent_id is None or parent_id not in self.names:
                self.top.append(pk)
            else:
                self.children[parent_id].append(pk)

    def with_descendants(self, pks: Iterable[int]) -> set[int]:
        found: set[int] = set()
        stack = [pk for pk in pks if pk in self.names]
        while stack:
            pk = stack.pop()
            if pk in found:
                continue  # a loop in the data must not hang the page
            found.add(pk)
            stack.extend(self.children.get(pk, ()))
        return found

    def title(self, prefix: str, pks: set[int]) -> str:
        names = sorted(self.names[pk] for pk in pks if pk in self.names)
        if not names:
            return prefix
        shown = ", ".join(names[:AREA_NAMES_IN_TITLE])
        more = len(names) - AREA_NAMES_IN_TITLE
        return f"{prefix} in {shown}" + (f" and {more} more" if more > 0 else "")


def components_of(tree: AreaTree) -> list[Component]:
    components: list[Component] = []
    position = 0
    for top in tree.top:
        position += 1
        component = Component(
            id=public_id("area", top),
            name=tree.names[top],
            status=OPERATIONAL,
            position=position,
            covers=tree.with_descendants([top]),
        )
        for child in tree.children.get(top, ()):
            position += 1
            component.children.append(
                Component(
                    id=public_id("area", child),
                    name=tree.names[child],
                    status=OPERATIONAL,
                    position=position,
                    group_id=component.id,
                    covers=tree.with_descendants([child]),
                )
            )
        components.append(component)
    return components


def leaves_of(components: list[Component]) -> list[Component]:
    return [leaf for c in components for leaf in (c.children or [c])]


def areas_by_owner(rows: Iterable[tuple[int, int | None]]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = defaultdict(set)
    for owner, area_id in rows:
        if area_id is not None:
            found[owner].add(area_id)
    return found


def _tree_build() -> AreaTree:
    return AreaTree(
        list(Area.objects.order_by("name", "pk").values_list("pk", "name", "parent_id"))
    )


# The public page is polled hard during an outage; areas change with imports.
_tree: Memo[AreaTree] = Memo(_tree_build, depends_on=[Area])


def area_tree() -> AreaTree:
    """The areas as of their last change. Shared: treat it as read-only."""
    return _tree.get()
