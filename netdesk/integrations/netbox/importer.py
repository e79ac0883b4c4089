"""Importing the inventory from NetBox: everything is read first (so a
refused token or an unreachable NetBox stops the import before anything is
written), then areas, elements, links and customer services are written
as the CSV import writes them. Re-importing updates by NetBox id."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from netdesk.core.text import UNSTORABLE_REASON, unstorable_in_row
from netdesk.customers.services import ServiceRow, customer_services_import
from netdesk.integrations.netbox import mapping
from netdesk.integrations.netbox.client import NetBoxClient
from netdesk.integrations.netbox.mapping import NetBoxData, PendingLink
from netdesk.network.import_report import ImportReport, progress_bar, written_unless_dry_run
from netdesk.network.importers import values as check
from netdesk.network.importers.values import RowProblem
from netdesk.network.models import ElementKind
from netdesk.network.services import (
    LinkRow,
    TreeRow,
    areas_import,
    elements_import,
    links_import,
)
from netdesk.network.services.inventory import AREA_FIELDS

SOURCE_PREFIX = "netbox:"
# NetBox devices have no coordinates of their own (their sites do).
DEVICE_FIELDS = ("kind", "area", "management_ip", "role", "vendor", "model")
SERVICE_FIELDS = (
    "product",
    "access_technology",
    "access_element",
    "access_port",
    "area",
    "status",
    "activated_on",
)


@dataclass(frozen=True)
class NetBoxOptions:
    create_customers: bool = False
    root_kinds: tuple[str, ...] = (ElementKind.CORE_ROUTER.value,)
    tenant_field: str = "account_number"
    dry_run: bool = False


def fetch(client: NetBoxClient, report: ImportReport, *, progress: bool) -> NetBoxData:
    """Every list, page by page. Objects that are not an object with an
    integer id, or that hold text the desk cannot store (NUL), are reported
    and left out."""
    data = NetBoxData()
    for name, (endpoint, record) in mapping.ENDPOINTS.items():
        kept: list[dict[str, Any]] = []
        bar = progress_bar(f"NetBox {endpoint}", total=None, enabled=progress, unit="objects")
        with bar:
            for position, (count, item) in enumerate(client.objects(endpoint), start=1):
                if count is not None and bar.total != count:
                    bar.total = count
                bar.update(1)
                if not isinstance(item, dict) or mapping.object_id(item.get("id")) is None:
                    report.skip(
                        record,
                        f"NetBox {endpoint} #{position}",
                        "malformed NetBox object",
                        "not an object with an integer id",
                        item if isinstance(item, dict) else {"value": item},
                    )
                    continue
                problem = unstorable_in_row(item)
                if problem is not None:
                    report.skip(
                        record, f"NetBox {endpoint} #{position}", UNSTORABLE_REASON, problem, item
                    )
                    continue
                kept.append(item)
        data.lists[name] = kept
    return data


def import_netbox(
    client: NetBoxClient,
    options: NetBoxOptions,
    *,
    report: ImportReport,
    progress: bool = False,
) -> dict[str, str]:
    root_kinds = tuple(check.kind(kind) for kind in options.root_kinds)
    with report.stage("fetch"):
        data = fetch(client, report, progress=progress)
    source = f"{SOURCE_PREFIX}{client.host}"[:80]
    with written_unless_dry_run(options.dry_run):
        with report.stage("areas"):
            area_ids = areas_import(
                rows=mapping.area_rows(data, report),
                source=source,
                fields=AREA_FIELDS,
                parent_by_code=False,
                report=report,
                progress=progress,
            )
        element_rows = mapping.element_rows(data, area_ids, report)
        topology = mapping.cable_links(data, report)
        sides = mapping.circuit_sides(data, topology)
        pending = [*topology.links, *mapping.circuit_links(data, sides, report)]
        roots = mapping.derive_upstreams(element_rows, pending, root_kinds)
        if not roots:
            report.note(
                "element",
                "no device of a root kind: upstreams left as they were",
                ", ".join(root_kinds),
            )
        with report.stage("elements"):
            element_ids = elements_import(
                rows=element_rows,
                source=source,
                fields=DEVICE_FIELDS,
                sets_upstream=bool(roots),
                upstream_by_name=False,
                report=report,
                progress=progress,
            )
        with report.stage("links"):
            links_import(
                rows=_link_rows(pending, element_ids, report),
                source=source,
                report=report,
                progress=progress,
            )
        with report.stage("services"):
            customer_services_import(
                rows=_service_rows(data, options, sides, element_ids, element_rows, report),
                fields=SERVICE_FIELDS,
                create_customers=options.create_customers,
                report=report,
            )
    return {
        "source": source,
        "requests": str(client.requests),
        "roots": ", ".join(row.label for row in element_rows if row.key in set(roots))
        or "none (upstreams not derived)",
    }


def _link_rows(
    pending: Sequence[PendingLink], element_ids: dict[str, int], report: ImportReport
) -> list[LinkRow]:
    rows: list[LinkRow] = []
    for link in pending:
        missing = [end for end in (link.a_device, link.b_device) if end not in element_ids]
        if missing:
            report.skip(
                "link",
                link.reference,
                "link end device not imported",
                f"NetBox {missing[0].replace(':', ' ')}",
                link.raw,
            )
            continue
        rows.append(
            LinkRow(
                key=link.key,
                reference=link.reference,
                a_element=element_ids[link.a_device],
                b_element=element_ids[link.b_device],
                a_port=link.a_port,
                b_port=link.b_port,
                kind=link.kind,
                name=link.name,
                capacity_mbps=link.capacity_mbps,
                raw=link.raw,
            )
        )
    return rows


def _service_rows(
    data: NetBoxData,
    options: NetBoxOptions,
    sides: dict[int, dict[str, tuple[str, str]]],
    element_ids: dict[str, int],
    element_rows: list[TreeRow],
    report: ImportReport,
) -> Iterator[ServiceRow]:
    """A service per circuit that has a tenant."""
    accounts = mapping.tenant_accounts(
        data, tenant_field=options.tenant_field, create_customers=options.create_customers
    )
    area_of = {row.key: row.values.get("area") for row in element_rows}
    for circuit in data["circuits"]:
        tenant = mapping.object_id(circuit.get("tenant"))
        if tenant is None:
            continue
        reference = f"NetBox circuit {circuit['id']}"
        try:
            service_id = check.text(
                mapping.text_of(circuit.get("cid")), field="cid", max_length=40, required=True
            )
            status = mapping.circuit_status(circuit)
            if status is None:
                raise RowProblem(
                    "circuit not in service yet",
                    f"status {mapping.choice_value(circuit.get('status'))!r}",
                )
            account, tenant_name, why = accounts.get(
                tenant, (None, "", f"tenant {tenant} not among NetBox's tenants")
            )
            if account is None:
                raise RowProblem("tenant matches no customer", why)
            install = circuit.get("install_date")
            activated = check.iso_date(
                install if isinstance(install, str) else None, field="install_date"
            )
        except RowProblem as problem:
            report.skip("service", reference, problem.reason, problem.detail, circuit)
            continue
        ends = sides.get(circuit["id"], {})
        device, port = ends.get("A") or ends.get("Z") or ("", "")
        element = element_ids.get(device)
        if element is None:
            report.note("service", "circuit reaches no imported device: no element", reference)
        product = mapping.text_of(mapping.nested(circuit, "type", "name")) or "Circuit"
        yield ServiceRow(
            service_id=service_id,
            reference=reference,
            account_number=account,
            values={
                "product": report.shortened("service", "product", product, 120, reference),
                "access_technology": mapping.LEASED_LINE,
                "access_element": element,
                "access_port": report.shortened(
                    "service", "port", port, mapping.PORT_MAX, reference
                )
                if element is not None
                else "",
                "area": area_of.get(device) if element is not None else None,
                "status": status,
                "activated_on": activated,
            },
            customer_name=report.shortened("service", "tenant name", tenant_name, 200, reference),
            segment="business",
            raw=circuit,
        )
