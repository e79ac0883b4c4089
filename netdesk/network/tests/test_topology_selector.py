"""The cached upstream forest that impact analysis walks."""

from __future__ import annotations

import time

import pytest
from django.db import connection

from netdesk.core.models import DataVersion
from netdesk.network.models import ElementKind, NetworkElement
from netdesk.network.selectors import build_topology, topology, topology_changed

pytestmark = pytest.mark.django_db


def _element(name: str, upstream: NetworkElement | None = None) -> NetworkElement:
    return NetworkElement.objects.create(name=name, kind=ElementKind.OLT, upstream=upstream)


def test_ancestors_nearest_first_and_subtree_of_several_elements():
    core = _element("core")
    agg = _element("agg", core)
    olt = _element("olt", agg)
    cpe = _element("cpe", olt)
    other = _element("other-agg", core)
    lonely = _element("lonely")
    forest = topology()
    assert forest.ancestors(cpe.id) == [olt.id, agg.id, core.id]
    assert forest.ancestors(core.id) == []
    assert forest.path_to_root(olt.id) == [olt.id, agg.id, core.id]
    assert forest.subtree([agg.id]) == {agg.id, olt.id, cpe.id}
    assert forest.subtree([olt.id, other.id]) == {olt.id, cpe.id, other.id}
    assert forest.parent[lonely.id] is None
    assert set(forest.roots()) == {core.id, lonely.id}
    assert forest.children[core.id] == sorted([agg.id, other.id])


def test_walks_stop_on_a_loop_made_by_hand():
    a = _element("a")
    b = _element("b", a)
    NetworkElement.objects.filter(pk=a.pk).update(upstream=b)
    forest = topology()
    assert forest.ancestors(a.id) == [b.id]
    assert forest.subtree([a.id]) == {a.id, b.id}


def test_cached_until_topology_changed_is_called():
    core = _element("core")
    first = topology()
    _element("agg", core)
    assert topology() is first
    assert len(topology()) == 1
    topology_changed()
    assert len(topology()) == 2


def test_an_element_added_by_another_process_is_seen_at_once():
    core = _element("core")
    assert len(topology()) == 1
    _element("agg", core)
    # What the other process's topology_changed() leaves in the database.
    DataVersion.objects.filter(label="network.NetworkElement").update(token="elsewhere")
    assert len(topology()) == 2


def _insert_elements(rows: list[tuple[int, str, str, int | None]]) -> None:
    """Plain INSERTs (portable SQL): model instances would make the set-up,
    not the forest, the slow part of the test."""
    table = connection.ops.quote_name(NetworkElement._meta.db_table)
    columns = "id, name, kind, upstream_id, role, vendor, model, source, external_id"
    sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, '', '', '', '', '')"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def test_builds_a_hundred_thousand_elements_well_under_a_second():
    # core → 50 aggregation → 1,000 OLTs → the rest as CPEs.
    rows: list[tuple[int, str, str, int | None]] = [(1, "core", "core_router", None)]
    rows += [(2 + n, f"agg{n}", "aggregation_switch", 1) for n in range(50)]
    rows += [(100 + n, f"olt{n}", "olt", 2 + n % 50) for n in range(1000)]
    cpes = 100_000 - len(rows)
    rows += [(2000 + n, f"cpe{n}", "cpe", 100 + n % 1000) for n in range(cpes)]
    _insert_elements(rows)
    started = time.perf_counter()
    forest = build_topology()
    seconds = time.perf_counter() - started
    assert len(forest) == 100_000
    assert seconds < 0.8, f"building the forest took {seconds:.2f} s"
    assert forest.ancestors(2000) == [100, 2, 1]
    olts_under_agg0 = {n for n in range(1000) if n % 50 == 0}
    cpes_under_agg0 = sum(1 for n in range(cpes) if n % 1000 in olts_under_agg0)
    assert len(forest.subtree([2])) == 1 + len(olts_under_agg0) + cpes_under_agg0
