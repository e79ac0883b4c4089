"""Importing a topology from a GraphML file (the format of the Internet
Topology Zoo): nodes become elements, each with a site (an area with the
node's coordinates) under one area for the whole network; edges become links.

GraphML graphs are meshes, but impact analysis needs each element to hang
off one upstream. The upstream tree is derived by breadth-first search from
a root (`root`, by default the node with the most links): every node hangs
off the neighbour it is first reached from, i.e. one of its neighbours
nearest to the root. A part of the graph not connected to the root gets its
own root (its node with the most links). Edge direction is ignored."""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from netdesk.core.errors import ImportFailed
from netdesk.network.forest import spanning_forest
from netdesk.network.import_report import ImportReport, written_unless_dry_run
from netdesk.network.importers import values as check
from netdesk.network.importers.values import RowProblem
from netdesk.network.models import ElementKind, LinkKind, NetworkElement
from netdesk.network.services import LinkRow, TreeRow, areas_import, elements_import, links_import

GRAPHML_NS = "{http://graphml.graphdrawing.org/xmlns}"
SOURCE_PREFIX = "graphml:"
NETWORK_KEY = "network"
CODE_MAX = 40
# Element names hold 120 characters; 20 are left for " [node id]" (see _element_row).
LABEL_MAX = 100
NOT_CODE = re.compile(r"[^A-Z0-9]+")

# LinkType values of the Topology Zoo and what medium they mean.
LINK_TYPES = {
    "fiber": LinkKind.FIBRE,
    "fibre": LinkKind.FIBRE,
    "wireless": LinkKind.MICROWAVE,
    "microwave": LinkKind.MICROWAVE,
    "radio": LinkKind.MICROWAVE,
    "copper": LinkKind.COPPER,
}


@dataclass
class GraphNode:
    id: str
    data: dict[str, str]
    line: int = 0


@dataclass
class GraphEdge:
    source: str
    target: str
    data: dict[str, str]
    position: int


@dataclass
class Graph:
    name: str
    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[GraphEdge] = field(default_factory=list)
    hyperedges: int = 0


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _root(path: Path) -> ET.Element:
    try:
        # The standard library's expat fetches no external entities and
        # (expat ≥ 2.4.1) caps entity expansion, so a hostile file cannot
        # read local files or blow up memory.
        root = ET.parse(path).getroot()  # noqa: S314
    except ET.ParseError as exc:
        raise ImportFailed(f"FILE {path}: not well-formed XML ({exc}).") from exc
    except OSError as exc:
        raise ImportFailed(f"FILE {path}: cannot be read ({exc.strerror}).") from exc
    if _local(root.tag) != "graphml":
        raise ImportFailed(
            f"FILE {path}: the root element is <{_local(root.tag)}>; a GraphML file starts "
            "with <graphml>."
        )
    return root


@dataclass
class _Keys:
    """The file's <key> declarations: attribute names by key id, and the
    defaults each scope (node, edge, graph) starts from."""

    names: dict[str, tuple[str, str]] = field(default_factory=dict)
    defaults: dict[str, dict[str, str]] = field(
        default_factory=lambda: {"node": {}, "edge": {}, "graph": {}}
    )

    @classmethod
    def of(cls, root: ET.Element) -> _Keys:
        keys = cls()
        for key in root.iter():
            if _local(key.tag) != "key":
                continue
            name = key.get("attr.name") or key.get("id") or ""
            scope = key.get("for", "all")
            keys.names[key.get("id", "")] = (name, scope)
            default = next((c for c in key if _local(c.tag) == "default"), None)
            if default is not None and default.text is not None:
                for target in ("node", "edge", "graph") if scope == "all" else (scope,):
                    if target in keys.defaults:
                        keys.defaults[target][name] = default.text.strip()
        return keys

    def data_of(self, element: ET.Element, scope: str) -> dict[str, str]:
        found = dict(self.defaults.get(scope, {}))
        for child in element:
            if _local(child.tag) == "data":
                name = self.names.get(child.get("key", ""), (child.get("key", ""), scope))[0]
                found[name] = (child.text or "").strip()
        return found


def _parse(path: Path) -> Graph:
    """The first graph of the file, with each node's and edge's data by
    attribute name (key defaults applied)."""
    root = _root(path)
    keys = _Keys.of(root)
    graph = next((child for child in root if _local(child.tag) == "graph"), None)
    if graph is None:
        raise ImportFailed(f"FILE {path}: holds no <graph>.")
    graph_data = keys.data_of(graph, "graph")
    parsed = Graph(name=graph_data.get("Network") or graph_data.get("label") or path.stem)
    for position, child in enumerate(graph):
        tag = _local(child.tag)
        if tag == "node":
            parsed.nodes.append(GraphNode(child.get("id", ""), keys.data_of(child, "node")))
        elif tag == "edge":
            parsed.edges.append(
                GraphEdge(
                    child.get("source", ""),
                    child.get("target", ""),
                    keys.data_of(child, "edge"),
                    position,
                )
            )
        elif tag == "hyperedge":
            parsed.hyperedges += 1
    return parsed


def network_code(name: str) -> str:
    """ "Deutsche Telekom" → "DEUTSCHE-TELEKOM", short enough to prefix site codes."""
    return NOT_CODE.sub("-", name.upper()).strip("-")[:24] or "NETWORK"


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:6]


@dataclass(frozen=True)
class GraphmlOptions:
    root: str | None = None
    kind_default: str = ElementKind.CORE_ROUTER.value
    source: str | None = None
    dry_run: bool = False


def import_graphml(
    path: Path, options: GraphmlOptions, *, report: ImportReport, progress: bool = False
) -> dict[str, str]:
    """Import the file; returns facts for the summary (network, source,
    roots used). Raises ImportFailed before writing when the file, the
    root or the default kind cannot be used."""
    try:
        kind_default = check.kind(options.kind_default)
    except RowProblem as problem:
        raise ImportFailed(f"--kind-default: {problem.detail}.") from None
    with report.stage("read"):
        graph = _parse(path)
    # The file's name, not the graph's: the Zoo has several files (years) of
    # one network, and re-importing the same file is what must update.
    source = (options.source or f"{SOURCE_PREFIX}{path.stem}")[:80]
    if not graph.nodes:
        raise ImportFailed(f"FILE {path}: the graph has no nodes.")
    if graph.hyperedges:
        report.note("link", "hyperedges are not imported", f"{graph.hyperedges} in {path.name}")

    nodes = _distinct_nodes(graph, report)
    preferred = [_find_root(options.root, nodes, path)] if options.root else []
    node_ids = [node.id for node in nodes]
    upstream, roots = spanning_forest(node_ids, _adjacency(graph, nodes), preferred)
    labels = {node.id: _label(node, report) for node in nodes}

    code = network_code(graph.name)
    with written_unless_dry_run(options.dry_run):
        with report.stage("areas"):
            area_ids = areas_import(
                rows=_area_rows(graph.name, code, nodes, labels, source, report),
                source=source,
                fields=["name", "latitude", "longitude"],
                parent_by_code=False,
                report=report,
                progress=progress,
            )
        with report.stage("elements"):
            element_ids = elements_import(
                rows=[
                    _element_row(
                        node, labels[node.id], source, upstream, area_ids, kind_default, report
                    )
                    for node in nodes
                ],
                source=source,
                fields=["kind", "area", "role", "latitude", "longitude"],
                sets_upstream=True,
                upstream_by_name=False,
                report=report,
                progress=progress,
            )
        with report.stage("links"):
            links_import(
                rows=_link_rows(graph.edges, element_ids, report),
                source=source,
                report=report,
                progress=progress,
            )
        # Read before a dry run rolls back: the names the roots ended up with.
        root_ids = [element_ids[root] for root in roots if root in element_ids]
        names = dict(NetworkElement.objects.filter(id__in=root_ids).values_list("id", "name"))
    return {
        "network": graph.name,
        "source": source,
        "roots": ", ".join(names.get(pk, "?") for pk in root_ids) or "none",
    }


def _distinct_nodes(graph: Graph, report: ImportReport) -> list[GraphNode]:
    """The nodes to import: those without an id, or with one seen before, are skipped."""
    nodes: list[GraphNode] = []
    known: set[str] = set()
    for number, node in enumerate(graph.nodes, start=1):
        reference = f"node {node.id or f'#{number}'}"
        if not node.id:
            report.skip("element", reference, "node without id", "", node.data)
        elif node.id in known:
            report.skip("element", reference, "element repeated in the import", node.id, node.data)
        else:
            known.add(node.id)
            nodes.append(node)
    return nodes


def _adjacency(graph: Graph, nodes: list[GraphNode]) -> dict[str, list[str]]:
    """Each imported node's neighbours along the edges (self-loops left out)."""
    adjacency: dict[str, list[str]] = {node.id: [] for node in nodes}
    for edge in graph.edges:
        if edge.source in adjacency and edge.target in adjacency and edge.source != edge.target:
            adjacency[edge.source].append(edge.target)
            adjacency[edge.target].append(edge.source)
    return adjacency


def _label(node: GraphNode, report: ImportReport | None = None) -> str:
    """The element's name: its label, short enough to leave room for the
    "[node id]" that tells apart two nodes of the same label."""
    label = (node.data.get("label") or "").strip() or f"node {node.id}"
    if report is None:
        return label[:LABEL_MAX]
    return report.shortened("element", "label", label, LABEL_MAX, f"node {node.id}")


def _find_root(wanted: str, nodes: list[GraphNode], path: Path) -> str:
    for node in nodes:
        if _label(node) == wanted:
            return node.id
    for node in nodes:
        if node.id == wanted:
            return node.id
    sample = ", ".join(sorted(_label(node) for node in nodes)[:10])
    raise ImportFailed(
        f"--root {wanted!r}: no node of {path.name} has that label or id; labels include {sample}."
    )


def _coordinates(node: GraphNode, report: ImportReport) -> tuple[float | None, float | None]:
    try:
        latitude = check.coordinate(node.data.get("Latitude"), field="latitude")
        longitude = check.coordinate(node.data.get("Longitude"), field="longitude")
    except RowProblem as problem:
        report.note("element", f"{problem.reason}: kept without coordinates", f"node {node.id}")
        return None, None
    return latitude, longitude


def _area_rows(
    name: str,
    code: str,
    nodes: list[GraphNode],
    labels: dict[str, str],
    source: str,
    report: ImportReport,
) -> list[TreeRow]:
    """One area for the network, and a site under it per node."""
    suffix = _short_hash(source)
    rows = [
        TreeRow(
            key=NETWORK_KEY,
            label=code,
            reference=f"network {name}",
            values={
                "name": report.shortened("area", "name", name, 120, f"network {name[:40]}"),
                "latitude": None,
                "longitude": None,
            },
            external_id=NETWORK_KEY,
            other_labels=(f"{code}-{suffix}",),
        )
    ]
    for node in nodes:
        latitude, longitude = _coordinates(node, report)
        site = f"{code}-{node.id}"
        if len(site) > CODE_MAX:
            site = f"{code}-{_short_hash(node.id)}"
        rows.append(
            TreeRow(
                key=f"node:{node.id}",
                label=site,
                reference=f"node {node.id}",
                parent=NETWORK_KEY,
                values={"name": labels[node.id], "latitude": latitude, "longitude": longitude},
                external_id=f"node:{node.id}"[:120],
                other_labels=(f"{site[: CODE_MAX - 7]}-{suffix}",),
                raw=node.data,
            )
        )
    return rows


def _element_row(
    node: GraphNode,
    label: str,
    source: str,
    upstream: dict[str, str | None],
    area_ids: dict[str, int],
    kind: str,
    report: ImportReport,
) -> TreeRow:
    """Named by its label; where another element (or another node of the
    same file) has the name already, "label [node id]" is used instead, then
    "label [file node id]", then one with a tag of the source that no other
    source shares."""
    latitude = longitude = None
    try:
        latitude = check.coordinate(node.data.get("Latitude"), field="latitude")
        longitude = check.coordinate(node.data.get("Longitude"), field="longitude")
    except RowProblem:
        pass  # already noted with the node's site
    reference = f"node {node.id}"
    return TreeRow(
        key=node.id,
        label=label,
        reference=f"node {node.id}",
        parent=upstream.get(node.id),
        values={
            "kind": kind,
            "area": area_ids.get(f"node:{node.id}"),
            "role": report.shortened("element", "role", node.data.get("type") or "", 80, reference),
            "latitude": latitude,
            "longitude": longitude,
        },
        external_id=node.id[:120],
        other_labels=tuple(
            f"{label[: 110 - len(tag)]} [{tag}]"
            for tag in (
                node.id,
                f"{source.removeprefix(SOURCE_PREFIX)} {node.id}",
                f"{_short_hash(source)} {node.id}",
            )
        ),
        raw=node.data,
    )


def _link_rows(
    edges: list[GraphEdge], element_ids: dict[str, int], report: ImportReport
) -> list[LinkRow]:
    rows: list[LinkRow] = []
    repeats: dict[tuple[str, str], int] = {}
    for edge in edges:
        reference = f"edge {edge.source}–{edge.target}"
        ends = (edge.source, edge.target)
        missing = [end for end in ends if end not in element_ids]
        if missing:
            report.skip(
                "link",
                reference,
                "edge end not imported",
                f"node {missing[0]!r} is not an imported node",
                edge.data,
            )
            continue
        pair = (min(ends), max(ends))
        # Parallel edges are told apart by their multigraph key, else by order.
        number = repeats.get(pair, 0)
        repeats[pair] = number + 1
        key = f"{pair[0]}-{pair[1]}-{edge.data.get('key') or number}"
        link_type = (edge.data.get("LinkType") or "").strip()
        name = edge.data.get("LinkLabel") or link_type
        rows.append(
            LinkRow(
                key=key[:200],
                reference=reference,
                a_element=element_ids[edge.source],
                b_element=element_ids[edge.target],
                kind=LINK_TYPES.get(link_type.lower(), LinkKind.OTHER).value,
                name=report.shortened("link", "name", name, 120, reference),
                capacity_mbps=_capacity(edge),
                raw=edge.data,
            )
        )
    return rows


def _capacity(edge: GraphEdge) -> int | None:
    """LinkSpeedRaw is in bits per second; below 1 Mbit/s it is left empty."""
    try:
        bits = float(edge.data.get("LinkSpeedRaw") or "")
    except ValueError:
        return None
    return int(bits // 1_000_000) if bits >= 1_000_000 else None
