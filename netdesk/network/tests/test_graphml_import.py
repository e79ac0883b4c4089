"""`netdesk inventory import graphml`: Topology Zoo style files become
elements with sites, links, and an upstream tree derived from the mesh."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from netdesk.network.forest import find_loops
from netdesk.network.models import Area, Link, NetworkElement

pytestmark = pytest.mark.django_db

# The Internet Topology Zoo, when the shared data sits beside the project.
ZOO = Path(__file__).resolve().parents[3].parent / "shared/data/topology"

# A ring Hub–North–East–South–West–Hub with a spoke Hub–East, a second
# "North" (a duplicate label), a parallel edge, a node with a bad latitude,
# and an island of two nodes not connected to the rest.
MESH = """<?xml version="1.0" encoding="utf-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key attr.name="label" attr.type="string" for="node" id="d1"/>
  <key attr.name="Latitude" attr.type="double" for="node" id="d2"/>
  <key attr.name="Longitude" attr.type="double" for="node" id="d3"/>
  <key attr.name="type" attr.type="string" for="node" id="d4"/>
  <key attr.name="LinkType" attr.type="string" for="edge" id="d5"/>
  <key attr.name="LinkLabel" attr.type="string" for="edge" id="d6"/>
  <key attr.name="LinkSpeedRaw" attr.type="double" for="edge" id="d7"/>
  <key attr.name="key" attr.type="int" for="edge" id="d8"/>
  <key attr.name="Network" attr.type="string" for="graph" id="d9"/>
  <graph edgedefault="undirected">
    <data key="d9">Testnet</data>
    <node id="0"><data key="d1">Hub</data><data key="d2">52.5</data><data key="d3">13.4</data><data key="d4">PoP</data></node>
    <node id="1"><data key="d1">North</data><data key="d2">54.3</data><data key="d3">10.1</data></node>
    <node id="2"><data key="d1">East</data><data key="d2">51.0</data><data key="d3">14.9</data></node>
    <node id="3"><data key="d1">South</data><data key="d2">400</data><data key="d3">11.5</data></node>
    <node id="4"><data key="d1">West</data><data key="d2">51.4</data><data key="d3">7.0</data></node>
    <node id="5"><data key="d1">North</data><data key="d2">54.8</data><data key="d3">9.4</data></node>
    <node id="6"><data key="d1">Island A</data></node>
    <node id="7"><data key="d1">Island B</data></node>
    <edge source="0" target="1"><data key="d5">Fibre</data><data key="d6">10GE</data><data key="d7">10000000000</data><data key="d8">0</data></edge>
    <edge source="1" target="2"><data key="d5">Fiber</data><data key="d8">0</data></edge>
    <edge source="2" target="3"><data key="d5">Wireless</data><data key="d8">0</data></edge>
    <edge source="3" target="4"><data key="d5">DS-3</data><data key="d7">45000000</data><data key="d8">0</data></edge>
    <edge source="4" target="0"><data key="d8">0</data></edge>
    <edge source="0" target="2"><data key="d8">0</data></edge>
    <edge source="0" target="2"><data key="d8">1</data></edge>
    <edge source="1" target="5"><data key="d8">0</data></edge>
    <edge source="6" target="7"><data key="d8">0</data></edge>
    <edge source="7" target="99"><data key="d8">0</data></edge>
  </graph>
</graphml>
"""


def run_import(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("inventory", "import", "graphml", str(path), *args, "--no-progress", stdout=out)
    return out.getvalue()


def upstream_names() -> dict[str, str | None]:
    return {
        element.name: element.upstream.name if element.upstream else None
        for element in NetworkElement.objects.select_related("upstream")
    }


@pytest.fixture
def mesh(tmp_path: Path) -> Path:
    path = tmp_path / "testnet.graphml"
    path.write_text(MESH, encoding="utf-8")
    return path


def test_nodes_edges_and_a_tree_from_the_busiest_node(mesh):
    output = run_import(mesh)

    # Hub has the most links (4, the parallel edge counted), so it is the root;
    # East hangs off Hub directly, not round the ring; South is two hops away
    # either way and hangs off the neighbour reached first (West, by file order).
    # The island's nodes tie on links: the first in the file is its root.
    assert upstream_names() == {
        "Hub": None,
        "North": "Hub",
        "East": "Hub",
        "West": "Hub",
        "South": "West",
        "North [5]": "North",
        "Island A": None,
        "Island B": "Island A",
    }
    hub = NetworkElement.objects.get(name="Hub")
    assert (hub.kind, hub.role, hub.latitude, hub.longitude) == ("core_router", "PoP", 52.5, 13.4)
    assert hub.area is not None
    assert hub.area.name == "Hub"
    assert hub.area.parent is not None
    assert hub.area.parent.name == "Testnet"
    south = NetworkElement.objects.get(name="South")
    assert south.latitude is None
    assert south.area is not None
    assert south.area.latitude is None
    assert Link.objects.count() == 9
    first = Link.objects.get(a_element=hub, b_element__name="North")
    assert (first.kind, first.name, first.capacity_mbps) == ("fibre", "10GE", 10000)
    assert Link.objects.get(b_element=south, a_element__name="East").kind == "microwave"
    assert Link.objects.filter(a_element=hub, b_element__name="East").count() == 2
    assert "roots Hub, Island A" in output
    assert "edge end not imported" in output
    assert "latitude not accepted" in output
    assert "name taken: renamed" in output


def test_a_chosen_root_and_a_chosen_kind(mesh):
    run_import(mesh, "--root", "West", "--kind-default", "PoP Router")
    names = upstream_names()
    assert names["West"] is None
    assert names["Hub"] == "West"
    assert names["South"] == "West"
    assert set(NetworkElement.objects.values_list("kind", flat=True)) == {"pop_router"}


def test_reimport_updates_in_place_and_a_new_root_moves_the_tree(mesh):
    run_import(mesh)
    counts = (Area.objects.count(), NetworkElement.objects.count(), Link.objects.count())
    again = run_import(mesh)
    assert (Area.objects.count(), NetworkElement.objects.count(), Link.objects.count()) == counts
    assert "elements    created 0, updated 0, unchanged 8" in again

    moved = run_import(mesh, "--root", "South")
    assert upstream_names()["Hub"] in ("West", "East")
    assert "elements    created 0, updated" in moved
    parent = dict(NetworkElement.objects.values_list("id", "upstream_id"))
    assert find_loops(parent) == []


def test_a_name_held_by_another_source_is_not_taken_over(mesh):
    NetworkElement.objects.create(name="Hub", kind="olt", source="csv", external_id="HUB-1")
    run_import(mesh)
    assert NetworkElement.objects.get(name="Hub").kind == "olt"
    assert NetworkElement.objects.get(name="Hub [0]").kind == "core_router"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<graphml><graph>", "not well-formed XML"),
        ("<svg xmlns='http://www.w3.org/2000/svg'/>", "root element is <svg>"),
        ("<graphml xmlns='http://graphml.graphdrawing.org/xmlns'/>", "holds no <graph>"),
    ],
)
def test_a_file_that_is_not_graphml_fails_before_writing(tmp_path, text, message):
    path = tmp_path / "broken.graphml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        run_import(path)
    assert not Area.objects.exists()


def test_an_unknown_root_or_kind_fails_before_writing(mesh):
    with pytest.raises(CommandError, match="--root 'Atlantis': no node"):
        run_import(mesh, "--root", "Atlantis")
    with pytest.raises(CommandError, match="--kind-default"):
        run_import(mesh, "--kind-default", "!!")
    assert not NetworkElement.objects.exists()


@pytest.mark.skipif(not ZOO.is_dir(), reason="the Topology Zoo files are not on this machine")
def test_real_topology_zoo_files_import_as_forests():
    for name in ("Abilene", "Kdl", "BeyondTheNetwork", "Ntelos"):
        output = run_import(ZOO / f"{name}.graphml")
        assert "Skipped: nothing." in output or "skipped" in output
    parent = dict(NetworkElement.objects.values_list("id", "upstream_id"))
    assert find_loops(parent) == []
    assert NetworkElement.objects.count() > 754


def test_a_label_too_long_for_a_name_is_shortened_and_reported(tmp_path):
    long_label = "Frankfurt " + "Interxion " * 14  # 150 characters
    path = tmp_path / "long.graphml"
    path.write_text(
        MESH.replace('<data key="d1">Hub</data>', f'<data key="d1">{long_label}</data>'),
        encoding="utf-8",
    )

    output = run_import(path)

    hub = NetworkElement.objects.get(name=long_label[:100])
    assert hub.area is not None
    assert hub.area.name == long_label[:100]
    shortened = [line for line in output.splitlines() if "label over 100" in line]
    assert len(shortened) == 1
    assert "node 0" in shortened[0]
