"""Matching imported rows to stored elements: by source and external id,
taking over hand-made records by name, never two rows onto one record."""

from __future__ import annotations

import pytest

from netdesk.network.import_report import ImportReport
from netdesk.network.models import NetworkElement
from netdesk.network.services import TreeRow, elements_import

pytestmark = pytest.mark.django_db


def row(key: str, name: str, parent: str | None = None, **extra: object) -> TreeRow:
    return TreeRow(
        key=key,
        label=name,
        reference=f"row {key}",
        parent=parent,
        values={"kind": "olt"},
        external_id=key,
        **extra,  # type: ignore[arg-type]
    )


def run(rows: list[TreeRow], source: str = "inventory:a") -> tuple[dict[str, int], ImportReport]:
    report = ImportReport()
    ids = elements_import(
        rows=rows, source=source, fields=["kind"], upstream_by_name=False, report=report
    )
    return ids, report


def test_a_hand_made_element_is_taken_over_once_and_only_once():
    hand_made = NetworkElement.objects.create(name="sw1", kind="other")
    ids, report = run([row("d1", "sw1"), row("d2", "sw1", other_labels=("sw1 (site 2)",))])

    assert ids["d1"] == hand_made.pk
    hand_made.refresh_from_db()
    assert (hand_made.kind, hand_made.source, hand_made.external_id) == ("olt", "inventory:a", "d1")
    assert NetworkElement.objects.get(pk=ids["d2"]).name == "sw1 (site 2)"
    assert report.counts["element"] == {"created": 1, "updated": 1, "unchanged": 0}


def test_an_element_of_another_source_keeps_its_name():
    NetworkElement.objects.create(name="sw1", kind="other", source="inventory:b", external_id="7")
    ids, report = run([row("d1", "sw1")])
    assert "d1" not in ids
    assert report.skips == {("element", "name already used"): 1}
    assert report.skip_examples[("element", "name already used")] == ["row d1"]


def test_renames_follow_the_external_id():
    ids, _ = run([row("d1", "old-name")])
    ids_again, report = run([row("d1", "new-name")])
    assert ids_again == ids
    assert NetworkElement.objects.get(pk=ids["d1"]).name == "new-name"
    assert report.counts["element"]["updated"] == 1


def test_a_skipped_parent_takes_new_rows_below_it_but_not_stored_ones():
    ids, _ = run([row("core", "core"), row("agg", "agg", "core")])
    broken = row("core", "core", problem=("kind not accepted", "'!!'"))
    _, report = run([broken, row("agg", "agg", "core"), row("new", "new", "gone-too")])
    assert report.skips[("element", "kind not accepted")] == 1
    assert report.skips[("element", "upstream not found")] == 1
    # The stored aggregation switch keeps hanging off the stored core.
    assert NetworkElement.objects.get(pk=ids["agg"]).upstream_id == ids["core"]

    fresh = row("fresh-core", "fresh-core", problem=("kind not accepted", "'!!'"))
    _, report = run([fresh, row("fresh-agg", "fresh-agg", "fresh-core")])
    assert report.skips[("element", "upstream skipped")] == 1
    assert not NetworkElement.objects.filter(name__startswith="fresh").exists()
