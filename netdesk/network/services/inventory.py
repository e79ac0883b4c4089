"""Writes of imported inventory: areas, elements and links. Readers of
each source (CSV, GraphML, NetBox) turn what they read into rows; these
functions match the rows to stored records, write them, and count what
they did in the import report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from netdesk.network.import_report import ImportReport, progress_bar
from netdesk.network.models import Area, Link, NetworkElement
from netdesk.network.selectors import topology_changed
from netdesk.network.services.tree import TreeRow, TreeTable, tree_import

AREA_TABLE = TreeTable(Area, "area", "code", "parent", label_max_length=40)
ELEMENT_TABLE = TreeTable(NetworkElement, "element", "name", "upstream", label_max_length=120)

AREA_FIELDS = ("name", "latitude", "longitude")
ELEMENT_FIELDS = (
    "kind",
    "area",
    "management_ip",
    "role",
    "vendor",
    "model",
    "latitude",
    "longitude",
)
LINK_FIELDS = ("a_element", "a_port", "b_element", "b_port", "kind", "name", "capacity_mbps")
LINK_BATCH = 5000


def areas_import(
    *,
    rows: Sequence[TreeRow],
    source: str,
    fields: Sequence[str] = AREA_FIELDS,
    sets_parent: bool = True,
    parent_by_code: bool = True,
    report: ImportReport,
    progress: bool = False,
) -> dict[str, int]:
    """Create or update areas (row label = code, parent = a row key or a
    stored code). Returns area ids by row key."""
    ids = tree_import(
        table=AREA_TABLE,
        rows=rows,
        source=source,
        fields=fields,
        sets_parent=sets_parent,
        parent_by_label=parent_by_code,
        report=report,
        progress=progress,
    )
    topology_changed()  # the status page's areas
    return ids


def elements_import(
    *,
    rows: Sequence[TreeRow],
    source: str,
    fields: Sequence[str] = ELEMENT_FIELDS,
    sets_upstream: bool = True,
    upstream_by_name: bool = True,
    report: ImportReport,
    progress: bool = False,
) -> dict[str, int]:
    """Create or update elements (row label = name, parent = upstream as a
    row key or a stored element's name). Upstreams that would loop are
    refused. Returns element ids by row key."""
    ids = tree_import(
        table=ELEMENT_TABLE,
        rows=rows,
        source=source,
        fields=fields,
        sets_parent=sets_upstream,
        parent_by_label=upstream_by_name,
        report=report,
        progress=progress,
    )
    # Every process builds its forest and impact index again; on a dry run
    # the outer transaction rolls this back with the elements.
    topology_changed()
    return ids


@dataclass(slots=True)
class LinkRow:
    """One imported link, its ends already resolved to element ids. The
    key (its external id) makes re-import update it."""

    key: str
    reference: str
    a_element: int
    b_element: int
    a_port: str = ""
    b_port: str = ""
    kind: str = "other"
    name: str = ""
    capacity_mbps: int | None = None
    raw: Mapping[str, Any] | list[Any] | None = None

    def values(self) -> tuple[Any, ...]:
        return (
            self.a_element,
            self.a_port,
            self.b_element,
            self.b_port,
            self.kind,
            self.name,
            self.capacity_mbps,
        )


def links_import(
    *,
    rows: Sequence[LinkRow],
    source: str,
    report: ImportReport,
    progress: bool = False,
) -> None:
    """Create or update links by (source, key), in one transaction."""
    stored: dict[str, tuple[int, tuple[Any, ...]]] = {}
    columns = ("external_id", "id", "a_element_id", "a_port", "b_element_id", "b_port")
    for external_id, pk, *values in (
        Link.objects.filter(source=source)
        .exclude(external_id="")
        .values_list(*columns, "kind", "name", "capacity_mbps")
        .iterator(chunk_size=20_000)
    ):
        stored[external_id] = (pk, tuple(values))
    seen: set[str] = set()
    new: list[Link] = []
    changed: list[Link] = []
    unchanged = 0
    for row in rows:
        if row.key in seen:
            report.skip("link", row.reference, "link repeated in the import", row.key, row.raw)
            continue
        seen.add(row.key)
        if row.a_element == row.b_element:
            report.skip("link", row.reference, "link from an element to itself", "", row.raw)
            continue
        found = stored.get(row.key)
        if found is not None and found[1] == row.values():
            unchanged += 1
            continue
        link = Link(
            pk=found[0] if found else None,
            a_element_id=row.a_element,
            a_port=row.a_port,
            b_element_id=row.b_element,
            b_port=row.b_port,
            kind=row.kind,
            name=row.name,
            capacity_mbps=row.capacity_mbps,
            source=source,
            external_id=row.key,
        )
        (changed if found else new).append(link)
    bar = progress_bar("links", total=len(new) + len(changed), enabled=progress)
    with bar, transaction.atomic():
        for start in range(0, len(new), LINK_BATCH):
            Link.objects.bulk_create(new[start : start + LINK_BATCH], batch_size=LINK_BATCH)
            bar.update(len(new[start : start + LINK_BATCH]))
        for start in range(0, len(changed), 1000):
            Link.objects.bulk_update(changed[start : start + 1000], LINK_FIELDS, batch_size=1000)
            bar.update(len(changed[start : start + 1000]))
        topology_changed()  # alarm correlation reads the links' adjacency
    report.count("link", "created", len(new))
    report.count("link", "updated", len(changed))
    report.count("link", "unchanged", unchanged)
