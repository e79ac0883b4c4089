"""Writing a batch of imported rows of a self-referencing inventory table
(areas with their parent, elements with their upstream) so that
re-importing updates instead of duplicating and the parent links stay a
forest.

How a row finds its record: by (source, external_id) when the row has an
external id, else by its label (an area's code, an element's name). A row
with an external id may take over a record of the same label that has no
external id yet (loaded by hand or from a CSV). A label that belongs to a
different record is a conflict: the row's `other_labels` are tried, then
the row is skipped.

Parents are given as the key of another row of the same import, or, where
`parent_by_label` is set, as the label of a record already stored. A row
whose parent is skipped (and not stored already), cannot be found, or whose
parent chain comes back to itself is skipped with that reason, and so are
the new rows below it. Everything is written in one transaction: other
readers never see a half-changed forest."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction

from netdesk.core.bulk import model_field
from netdesk.network.forest import depth_order, find_loops
from netdesk.network.import_report import ImportReport, progress_bar
from netdesk.network.models import Area, NetworkElement

WRITE_BATCH = 5000
UPDATE_BATCH = 1000


@dataclass(slots=True)
class TreeRow:
    """One imported row. `values` holds the other fields, keyed by model
    field name, already checked (foreign keys as ids). A row the reader
    already found wrong carries `problem` (reason, detail) so rows under it
    are reported too."""

    key: str
    label: str
    reference: str
    parent: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    external_id: str = ""
    other_labels: tuple[str, ...] = ()
    raw: Mapping[str, Any] | list[Any] | None = None
    problem: tuple[str, str] | None = None


@dataclass(frozen=True)
class TreeTable:
    """Which table and fields a tree import writes."""

    model: type[Area] | type[NetworkElement]
    record: str  # the word used in reports: "area", "element"
    label_field: str  # "code", "name"
    parent_field: str  # "parent", "upstream"
    label_max_length: int


@dataclass(slots=True)
class _Stored:
    id: int
    label: str
    source: str
    external_id: str
    parent_id: int | None
    values: tuple[Any, ...]


@dataclass(slots=True)
class _Plan:
    row: TreeRow
    stored: _Stored | None
    label: str
    adopt: bool = False
    parent_key: str | None = None  # a row of this import
    parent_id: int | None = None  # a stored record
    new_id: int | None = None


def _attname(model: type[models.Model], name: str) -> str:
    return model_field(model, name).attname


class _TreeImport:
    def __init__(
        self,
        table: TreeTable,
        *,
        source: str,
        fields: Sequence[str],
        sets_parent: bool,
        parent_by_label: bool,
        report: ImportReport,
        progress: bool,
    ) -> None:
        self.table = table
        self.model = table.model
        # Either table's manager; typed loosely so one code path serves both.
        self.manager: models.Manager[Any] = table.model._default_manager
        self.source = source
        self.fields = tuple(fields)
        self.attnames = tuple(_attname(self.model, name) for name in self.fields)
        self.sets_parent = sets_parent
        self.parent_by_label = parent_by_label
        self.report = report
        self.progress = progress
        self.parent_attname = _attname(self.model, table.parent_field)
        self.plans: dict[str, _Plan] = {}
        self.skipped: dict[str, _Stored | None] = {}  # key → the stored record, if any
        self.matched: set[int] = set()  # stored records some row already took
        self.skipped_new: list[str] = []  # keys whose rows below must go too
        self.ids: dict[str, int] = {}

    # -- reading what is stored ---------------------------------------------

    def load(self) -> None:
        label, parent = self.table.label_field, self.parent_attname
        columns = ("id", label, "source", "external_id", parent, *self.attnames)
        self.by_id: dict[int, _Stored] = {}
        self.by_label: dict[str, int] = {}
        self.by_external: dict[str, int] = {}
        rows = self.model._default_manager.order_by().values_list(*columns)
        for pk, name, source, external_id, parent_id, *values in rows.iterator(chunk_size=20_000):
            stored = _Stored(pk, name, source, external_id, parent_id, tuple(values))
            self.by_id[pk] = stored
            self.by_label[name] = pk
            if external_id and source == self.source:
                self.by_external[external_id] = pk

    # -- matching rows to records -------------------------------------------

    def skip(self, row: TreeRow, reason: str, detail: str, stored: _Stored | None) -> None:
        self.report.skip(self.table.record, row.reference, reason, detail, row.raw)
        self.skipped[row.key] = stored
        if stored is None:
            self.skipped_new.append(row.key)

    def match(self, rows: Sequence[TreeRow]) -> None:
        claimed: dict[str, str] = {}  # label → key of the row that takes it
        record = self.table.record
        for row in rows:
            if row.key in self.plans or row.key in self.skipped:
                self.report.skip(
                    record, row.reference, f"{record} repeated in the import", row.key, row.raw
                )
                continue
            stored, adopt = self._find(row)
            if stored is not None and stored.id in self.matched:
                if not adopt:
                    self.report.skip(
                        record,
                        row.reference,
                        f"{record} repeated in the import",
                        f"same record as an earlier row ({row.external_id or row.label})",
                        row.raw,
                    )
                    continue
                # Another row took that record over already: this one is new.
                stored, adopt = None, False
            if row.problem is not None:
                self.skip(row, row.problem[0], row.problem[1], stored)
                continue
            label = self._free_label(row, stored, claimed)
            if label is None:
                owner = self.by_id.get(self.by_label.get(row.label, -1))
                whose = (
                    f"by {owner.source} {owner.external_id}"
                    if owner is not None and owner.source
                    else "by another record"
                    if owner is not None
                    else "by another row of this import"
                )
                self.skip(
                    row,
                    f"{self.table.label_field} already used",
                    f"{row.label!r} is used {whose}",
                    stored,
                )
                continue
            if label != row.label:
                self.report.note(
                    record, f"{self.table.label_field} taken: renamed", f"{row.reference} → {label}"
                )
            claimed[label] = row.key
            if stored is not None:
                self.matched.add(stored.id)
            self.plans[row.key] = _Plan(row, stored, label, adopt)

    def _find(self, row: TreeRow) -> tuple[_Stored | None, bool]:
        if row.external_id:
            pk = self.by_external.get(row.external_id)
            if pk is not None:
                return self.by_id[pk], False
            pk = self.by_label.get(row.label)
            if pk is not None and not self.by_id[pk].external_id:
                return self.by_id[pk], True
            return None, False
        pk = self.by_label.get(row.label)
        return (self.by_id[pk], False) if pk is not None else (None, False)

    def _free_label(
        self, row: TreeRow, stored: _Stored | None, claimed: dict[str, str]
    ) -> str | None:
        for label in (row.label, *row.other_labels):
            if len(label) > self.table.label_max_length or label in claimed:
                continue
            owner = self.by_label.get(label)
            if owner is None or (stored is not None and owner == stored.id):
                return label
        return None

    # -- parents ------------------------------------------------------------

    def resolve_parents(self) -> None:
        if not self.sets_parent:
            return
        for key, plan in list(self.plans.items()):
            wanted = plan.row.parent
            if wanted is None or wanted == "":
                continue
            if wanted in self.plans:
                plan.parent_key = wanted
            elif wanted in self.skipped:
                stored = self.skipped[wanted]
                if stored is None:
                    self._drop(key, f"{self.table.parent_field} skipped", wanted)
                else:
                    plan.parent_id = stored.id
            elif self.parent_by_label and wanted in self.by_label:
                plan.parent_id = self.by_label[wanted]
            else:
                self._drop(key, f"{self.table.parent_field} not found", wanted)
        self._drop_below_skipped()

    def _drop(self, key: str, reason: str, detail: str) -> None:
        plan = self.plans.pop(key)
        self.skip(plan.row, reason, detail, plan.stored)

    def _drop_below_skipped(self) -> None:
        """New rows hanging (at any depth) off a row that was skipped and is
        not stored have nothing to hang off: skip them, naming the cause.
        Stored rows under it keep their stored parent instead."""
        children: dict[str, list[str]] = {}
        for key, plan in self.plans.items():
            if plan.parent_key is not None:
                children.setdefault(plan.parent_key, []).append(key)
        while self.skipped_new:
            gone = self.skipped_new.pop()
            for child in children.pop(gone, []):
                below = self.plans.get(child)
                if below is None:
                    continue
                plan = below
                if plan.stored is not None:
                    plan.parent_key = None
                    plan.parent_id = plan.stored.parent_id
                    self.report.note(
                        self.table.record,
                        f"{self.table.parent_field} skipped: kept the stored one",
                        plan.row.reference,
                    )
                    continue
                self._drop(child, f"{self.table.parent_field} skipped", gone)

    def refuse_loops(self) -> None:
        """The forest after this import must be free of loops. Rows that
        would close one are skipped; repeated until none is left, since a
        skipped stored row falls back to its stored parent."""
        if not self.sets_parent:
            return
        noted_stored_loops = False
        while True:
            node_of = {
                key: plan.stored.id if plan.stored is not None else -(index + 1)
                for index, (key, plan) in enumerate(self.plans.items())
            }
            key_of = {node: key for key, node in node_of.items()}
            parent: dict[int, int | None] = {pk: s.parent_id for pk, s in self.by_id.items()}
            for key, plan in self.plans.items():
                parent[node_of[key]] = (
                    node_of[plan.parent_key] if plan.parent_key is not None else plan.parent_id
                )
            loops = find_loops(parent)
            ours = [loop for loop in loops if any(node in key_of for node in loop)]
            if not noted_stored_loops:
                noted_stored_loops = True
                for loop in loops:
                    if loop not in ours:
                        # Made by hand before this import; not this import's to mend.
                        shown = " → ".join(self._label_of(node, key_of) for node in loop[:5])
                        self.report.note(self.table.record, "loop already stored", shown)
            if not ours:
                return
            for loop in ours:
                names = [self._label_of(node, key_of) for node in loop]
                path = " → ".join([*names, names[0]])
                for node in loop:
                    member = key_of.get(node)
                    if member is not None and member in self.plans:
                        self._drop(member, f"{self.table.parent_field} would make a loop", path)
            self._drop_below_skipped()

    def _label_of(self, node: int, key_of: Mapping[int, str]) -> str:
        key = key_of.get(node)
        if key is not None and key in self.plans:
            return self.plans[key].label
        return self.by_id[node].label if node in self.by_id else str(node)

    # -- writing ------------------------------------------------------------

    def write(self) -> None:
        record = self.table.record
        new = [key for key, plan in self.plans.items() if plan.stored is None]
        changed = [key for key, plan in self.plans.items() if plan.stored and self._changed(plan)]
        unchanged = len(self.plans) - len(new) - len(changed)
        bar = progress_bar(f"{record}s", total=len(new) + len(changed), enabled=self.progress)
        with bar, transaction.atomic():
            self._create(new, bar)
            self._update(changed, bar)
        for key, plan in self.plans.items():
            self.ids[key] = self._id_of(plan)
        for key, stored in self.skipped.items():
            if stored is not None:
                self.ids.setdefault(key, stored.id)
        self.report.count(record, "created", len(new))
        self.report.count(record, "updated", len(changed))
        self.report.count(record, "unchanged", unchanged)

    def _values(self, plan: _Plan) -> tuple[Any, ...]:
        values = plan.row.values
        if plan.stored is None:
            return tuple(values.get(name) for name in self.fields)
        return tuple(
            values.get(name, current)
            for name, current in zip(self.fields, plan.stored.values, strict=True)
        )

    @staticmethod
    def _id_of(plan: _Plan) -> int:
        """The record's id: stored, or given by the insert."""
        found = plan.stored.id if plan.stored is not None else plan.new_id
        assert found is not None, "a new row's parent is inserted before the row"
        return found

    def _parent_value(self, plan: _Plan) -> int | None:
        if plan.parent_key is not None:
            return self._id_of(self.plans[plan.parent_key])
        return plan.parent_id

    def _changed(self, plan: _Plan) -> bool:
        stored = plan.stored
        assert stored is not None
        if plan.adopt or plan.label != stored.label or self._values(plan) != stored.values:
            return True
        if not self.sets_parent:
            return False
        if plan.parent_key is not None:
            parent_plan = self.plans[plan.parent_key]
            return parent_plan.stored is None or parent_plan.stored.id != stored.parent_id
        return plan.parent_id != stored.parent_id

    def _instance(self, plan: _Plan) -> Area | NetworkElement:
        stored = plan.stored
        instance = self.model()
        if stored is not None:
            instance.pk = stored.id
        setattr(instance, self.table.label_field, plan.label)
        if stored is None or plan.adopt:
            instance.source, instance.external_id = self.source, plan.row.external_id
        else:
            instance.source, instance.external_id = stored.source, stored.external_id
        for attname, value in zip(self.attnames, self._values(plan), strict=True):
            if value is not None or stored is not None:
                setattr(instance, attname, value)
        if self.sets_parent:
            setattr(instance, self.parent_attname, self._parent_value(plan))
        elif stored is not None:
            setattr(instance, self.parent_attname, stored.parent_id)
        return instance

    def _create(self, keys: list[str], bar: Any) -> None:
        """Parents before children: a level at a time, so every new row's
        parent already has its id when the row is inserted."""
        parent_of = {key: self.plans[key].parent_key for key in keys}
        depth = depth_order(parent_of, keys)
        levels: dict[int, list[str]] = {}
        for key in keys:
            levels.setdefault(depth[key], []).append(key)
        for level in sorted(levels):
            members = levels[level]
            for start in range(0, len(members), WRITE_BATCH):
                batch = members[start : start + WRITE_BATCH]
                instances = [self._instance(self.plans[key]) for key in batch]
                self.manager.bulk_create(instances, batch_size=WRITE_BATCH)
                for key, instance in zip(batch, instances, strict=True):
                    self.plans[key].new_id = instance.pk
                bar.update(len(batch))

    def _update(self, keys: list[str], bar: Any) -> None:
        columns = [self.table.label_field, "source", "external_id", *self.fields]
        if self.sets_parent:
            columns.append(self.table.parent_field)
        for start in range(0, len(keys), UPDATE_BATCH):
            batch = keys[start : start + UPDATE_BATCH]
            instances = [self._instance(self.plans[key]) for key in batch]
            self.manager.bulk_update(instances, columns, batch_size=UPDATE_BATCH)
            bar.update(len(batch))


def tree_import(
    *,
    table: TreeTable,
    rows: Sequence[TreeRow],
    source: str,
    fields: Sequence[str],
    sets_parent: bool,
    parent_by_label: bool,
    report: ImportReport,
    progress: bool = False,
) -> dict[str, int]:
    """Create or update the rows' records; returns the id of every row's
    record by row key (rows skipped but already stored included)."""
    work = _TreeImport(
        table,
        source=source,
        fields=fields,
        sets_parent=sets_parent,
        parent_by_label=parent_by_label,
        report=report,
        progress=progress,
    )
    work.load()
    work.match(rows)
    work.resolve_parents()
    work.refuse_loops()
    work.write()
    return work.ids
