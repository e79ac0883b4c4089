"""Importing the inventory from CSV files: areas.csv, elements.csv,
links.csv and services.csv (columns in docs/inventory-import.md). Every
header is checked before anything is written; then areas, elements, links
and services are imported in that order, so each file may refer to what
the files before it hold as well as to what is stored already."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netdesk.customers.models import AccessTechnology, Segment, ServiceStatus
from netdesk.customers.services import ServiceRow, customer_services_import
from netdesk.network.import_report import ImportReport, progress_bar, written_unless_dry_run
from netdesk.network.importers import values as check
from netdesk.network.importers.csvfile import CsvFile, CsvLayout
from netdesk.network.importers.values import RowProblem
from netdesk.network.models import Area, LinkKind, NetworkElement
from netdesk.network.services import (
    LinkRow,
    TreeRow,
    areas_import,
    elements_import,
    links_import,
)

SOURCE = "csv"
LINK_KEY_MAX = 200

AREAS = CsvLayout(
    "--areas",
    "area",
    required=("code", "name"),
    optional=("parent", "latitude", "longitude", "external_id"),
)
ELEMENTS = CsvLayout(
    "--elements",
    "element",
    required=("name", "kind"),
    optional=(
        "area",
        "upstream",
        "management_ip",
        "latitude",
        "longitude",
        "role",
        "vendor",
        "model",
        "external_id",
    ),
)
LINKS = CsvLayout(
    "--links",
    "link",
    required=("a_element", "b_element"),
    optional=("a_port", "b_port", "kind", "name", "capacity_mbps", "external_id"),
)
SERVICES = CsvLayout(
    "--services",
    "service",
    required=("service_id", "account_number", "product", "access_technology"),
    optional=(
        "element",
        "port",
        "area",
        "installation_address",
        "status",
        "activated_on",
        "customer_name",
        "segment",
    ),
)
# services.csv column → Service field, for the optional columns that are fields.
SERVICE_COLUMN_FIELDS = {
    "element": "access_element",
    "port": "access_port",
    "area": "area",
    "installation_address": "installation_address",
    "status": "status",
    "activated_on": "activated_on",
}


@dataclass(frozen=True)
class CsvFiles:
    areas: Path | None = None
    elements: Path | None = None
    links: Path | None = None
    services: Path | None = None


def import_csv(
    files: CsvFiles,
    *,
    create_customers: bool = False,
    dry_run: bool = False,
    report: ImportReport,
    progress: bool = False,
) -> None:
    """Check every file's header, then import them in order. Raises
    ImportFailed (nothing of the failing stage written) when a file cannot
    be used at all."""
    opened = {
        layout.record: CsvFile(path, layout)
        for path, layout in (
            (files.areas, AREAS),
            (files.elements, ELEMENTS),
            (files.links, LINKS),
            (files.services, SERVICES),
        )
        if path is not None
    }
    with written_unless_dry_run(dry_run):
        if "area" in opened:
            with report.stage("areas"):
                _areas(opened["area"], report, progress)
        if "element" in opened:
            with report.stage("elements"):
                _elements(opened["element"], report, progress)
        if "link" in opened:
            with report.stage("links"):
                _links(opened["link"], report, progress)
        if "service" in opened:
            with report.stage("services"):
                _services(opened["service"], create_customers, report, progress)


def _reference(file: CsvFile, line: int) -> str:
    return f"{file.path.name} line {line}"


def _areas(file: CsvFile, report: ImportReport, progress: bool) -> None:
    rows: list[TreeRow] = []
    for line, values in file.rows(report):
        reference = _reference(file, line)
        try:
            code = check.text(file.get(values, "code"), field="code", max_length=40, required=True)
        except RowProblem as problem:
            report.skip("area", reference, problem.reason, problem.detail, file.record(values))
            continue
        row = TreeRow(key=code, label=code, reference=reference, raw=file.record(values))
        try:
            row.parent = (file.get(values, "parent") or "").strip() or None
            name = check.text(file.get(values, "name"), field="name", max_length=120)
            row.values = {
                "name": name or code,
                "latitude": check.coordinate(file.get(values, "latitude"), field="latitude"),
                "longitude": check.coordinate(file.get(values, "longitude"), field="longitude"),
            }
            row.external_id = check.text(
                file.get(values, "external_id"), field="external_id", max_length=120
            )
        except RowProblem as problem:
            row.problem = (problem.reason, problem.detail)
        rows.append(row)
    fields = ["name", *[column for column in ("latitude", "longitude") if column in file]]
    areas_import(
        rows=rows,
        source=SOURCE,
        fields=fields,
        sets_parent="parent" in file,
        report=report,
        progress=progress,
    )


def _elements(file: CsvFile, report: ImportReport, progress: bool) -> None:
    area_ids = dict(Area.objects.values_list("code", "id"))
    rows: list[TreeRow] = []
    bar = progress_bar(f"reading {file.path.name}", total=file.lines, enabled=progress)
    with bar:
        for line, values in file.rows(report):
            bar.update(1)
            reference = _reference(file, line)
            try:
                name = check.text(
                    file.get(values, "name"), field="name", max_length=120, required=True
                )
            except RowProblem as problem:
                report.skip(
                    "element", reference, problem.reason, problem.detail, file.record(values)
                )
                continue
            row = TreeRow(key=name, label=name, reference=reference, raw=file.record(values))
            try:
                row.parent = (file.get(values, "upstream") or "").strip() or None
                row.values = _element_values(file, values, area_ids)
                row.external_id = check.text(
                    file.get(values, "external_id"), field="external_id", max_length=120
                )
            except RowProblem as problem:
                row.problem = (problem.reason, problem.detail)
            rows.append(row)
    optional = ("area", "management_ip", "latitude", "longitude", "role", "vendor", "model")
    elements_import(
        rows=rows,
        source=SOURCE,
        fields=["kind", *[column for column in optional if column in file]],
        sets_upstream="upstream" in file,
        upstream_by_name=True,
        report=report,
        progress=progress,
    )


def _element_values(
    file: CsvFile, values: list[str], area_ids: dict[str, int]
) -> dict[str, object]:
    found: dict[str, object] = {"kind": check.kind(file.get(values, "kind"))}
    if "area" in file:
        code = (file.get(values, "area") or "").strip()
        if code and code not in area_ids:
            raise RowProblem("area not found", f"area {code!r} is neither in the file nor stored")
        found["area"] = area_ids.get(code) if code else None
    if "management_ip" in file:
        found["management_ip"] = check.ip_address(file.get(values, "management_ip"))
    for field in ("latitude", "longitude"):
        if field in file:
            found[field] = check.coordinate(file.get(values, field), field=field)
    for field in ("role", "vendor", "model"):
        if field in file:
            found[field] = check.text(file.get(values, field), field=field, max_length=80)
    return found


def _link_key(a: str, a_port: str, b: str, b_port: str, name: str) -> str:
    """Without an external id a link is known by its two ends (either way
    round) and its name; long keys are hashed to fit."""
    ends = sorted([f"{a}:{a_port}", f"{b}:{b_port}"])
    key = f"{ends[0]}|{ends[1]}|{name}"
    if len(key) <= LINK_KEY_MAX:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _links(file: CsvFile, report: ImportReport, progress: bool) -> None:
    element_ids = dict(NetworkElement.objects.values_list("name", "id"))
    rows: list[LinkRow] = []
    for line, values in file.rows(report):
        reference = _reference(file, line)
        try:
            a_name = check.text(
                file.get(values, "a_element"), field="a_element", max_length=120, required=True
            )
            b_name = check.text(
                file.get(values, "b_element"), field="b_element", max_length=120, required=True
            )
            for field, element in (("a_element", a_name), ("b_element", b_name)):
                if element not in element_ids:
                    raise RowProblem(f"{field} not found", f"{field} {element!r} is not stored")
            a_port = check.text(file.get(values, "a_port"), field="a_port", max_length=60)
            b_port = check.text(file.get(values, "b_port"), field="b_port", max_length=60)
            name = check.text(file.get(values, "name"), field="name", max_length=120)
            kind_raw = file.get(values, "kind")
            kind = check.kind(kind_raw) if (kind_raw or "").strip() else LinkKind.OTHER.value
            capacity = check.whole_number(file.get(values, "capacity_mbps"), field="capacity_mbps")
            external_id = check.text(
                file.get(values, "external_id"), field="external_id", max_length=LINK_KEY_MAX
            )
        except RowProblem as problem:
            report.skip("link", reference, problem.reason, problem.detail, file.record(values))
            continue
        rows.append(
            LinkRow(
                key=external_id or _link_key(a_name, a_port, b_name, b_port, name),
                reference=reference,
                a_element=element_ids[a_name],
                b_element=element_ids[b_name],
                a_port=a_port,
                b_port=b_port,
                kind=kind,
                name=name,
                capacity_mbps=capacity,
                raw=file.record(values),
            )
        )
    links_import(rows=rows, source=SOURCE, report=report, progress=progress)


def _services(file: CsvFile, create_customers: bool, report: ImportReport, progress: bool) -> None:
    element_ids = dict(NetworkElement.objects.values_list("name", "id"))
    area_ids = dict(Area.objects.values_list("code", "id"))
    fields = [
        "product",
        "access_technology",
        *[field for column, field in SERVICE_COLUMN_FIELDS.items() if column in file],
    ]
    bar = progress_bar(f"{file.path.name}", total=file.lines, enabled=progress)
    with bar:
        customer_services_import(
            rows=_service_rows(file, element_ids, area_ids, report, bar),
            fields=fields,
            create_customers=create_customers,
            report=report,
        )


class _ServiceColumns:
    """Checks one services.csv row into a ServiceRow. The hot loop of a
    million-row import, so columns are looked up by position once."""

    def __init__(
        self, file: CsvFile, element_ids: dict[str, int], area_ids: dict[str, int]
    ) -> None:
        self.element_ids, self.area_ids = element_ids, area_ids
        self.technology = check.Choice(
            field="access_technology", choices=list(AccessTechnology.choices), default=""
        )
        self.status = check.Choice(
            field="status", choices=list(ServiceStatus.choices), default=ServiceStatus.ACTIVE.value
        )
        self.segment = check.Choice(
            field="segment", choices=list(Segment.choices), default=Segment.RESIDENTIAL.value
        )
        at = file.index
        self.service_id_at, self.account_at = at["service_id"], at["account_number"]
        self.product_at, self.technology_at = at["product"], at["access_technology"]
        self.element_at, self.port_at, self.area_at = (
            at.get("element"),
            at.get("port"),
            at.get("area"),
        )
        self.address_at, self.status_at = at.get("installation_address"), at.get("status")
        self.activated_at = at.get("activated_on")
        self.name_at, self.segment_at = at.get("customer_name"), at.get("segment")
        self.columns = tuple(file.columns)

    def row(self, values: list[str], reference: str) -> ServiceRow:
        """The checked row; RowProblem names the first thing wrong with it."""
        service_id = check.text(
            values[self.service_id_at], field="service_id", max_length=40, required=True
        )
        account = check.text(
            values[self.account_at], field="account_number", max_length=30, required=True
        )
        found: dict[str, object] = {
            "product": check.text(
                values[self.product_at], field="product", max_length=120, required=True
            ),
            "access_technology": self.technology(values[self.technology_at]),
        }
        if not found["access_technology"]:
            raise RowProblem(
                "access_technology missing", "access_technology is empty; it is required"
            )
        if self.element_at is not None:
            element = values[self.element_at].strip()
            if element and element not in self.element_ids:
                raise RowProblem("element not found", f"element {element!r} is not stored")
            found["access_element"] = self.element_ids[element] if element else None
        if self.port_at is not None:
            found["access_port"] = check.text(values[self.port_at], field="port", max_length=60)
        if self.area_at is not None:
            code = values[self.area_at].strip()
            if code and code not in self.area_ids:
                raise RowProblem("area not found", f"area {code!r} is not stored")
            found["area"] = self.area_ids[code] if code else None
        if self.address_at is not None:
            found["installation_address"] = check.text(
                values[self.address_at], field="installation_address", max_length=300
            )
        if self.status_at is not None:
            found["status"] = self.status(values[self.status_at])
        if self.activated_at is not None:
            found["activated_on"] = check.iso_date(values[self.activated_at], field="activated_on")
        customer_name = (
            check.text(values[self.name_at], field="customer_name", max_length=200)
            if self.name_at is not None
            else ""
        )
        segment = self.segment(values[self.segment_at] if self.segment_at is not None else None)
        return ServiceRow(
            service_id=service_id,
            reference=reference,
            account_number=account,
            values=found,
            customer_name=customer_name,
            segment=segment,
            raw=values,
            columns=self.columns,
        )


def _service_rows(
    file: CsvFile,
    element_ids: dict[str, int],
    area_ids: dict[str, int],
    report: ImportReport,
    bar: Any,
) -> Iterator[ServiceRow]:
    """Checked rows, streamed; a row that fails a check is reported and skipped."""
    columns = _ServiceColumns(file, element_ids, area_ids)
    name = file.path.name
    unread = 0
    for line, values in file.rows(report):
        unread += 1
        if unread == 1000:
            bar.update(unread)
            unread = 0
        reference = f"{name} line {line}"
        try:
            row = columns.row(values, reference)
        except RowProblem as problem:
            report.skip(
                "service",
                reference,
                problem.reason,
                problem.detail,
                dict(zip(columns.columns, values, strict=True)),
            )
            continue
        yield row
    bar.update(unread)
