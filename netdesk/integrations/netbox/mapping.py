"""How NetBox objects become NetDesk inventory (see docs/inventory-import.md):

- regions and sites → areas (a site under its region), code = slug;
- devices → elements: role → kind (its slug, "-" as "_"), role name → role,
  manufacturer and device type → vendor and model, primary IP → management IP,
  site → area;
- cables between two interfaces → links (ports = interface names);
- circuits whose two terminations reach device interfaces (by cable) → links;
- circuits with a tenant → customer services (leased lines) hanging off the
  device at the A end (else the Z end); the tenant is the customer, found by
  the tenant's custom field `account_number` (name configurable) or else by
  the customer's exact name.

NetBox holds no dependency tree, so upstreams are derived as for GraphML:
breadth-first over cables and circuits from the devices whose kind is one
of the root kinds (core_router by default)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from netdesk.customers.models import AccessTechnology, ServiceStatus
from netdesk.customers.selectors import account_numbers_by_name
from netdesk.network.forest import breadth_first_tree
from netdesk.network.import_report import ImportReport
from netdesk.network.importers import values as check
from netdesk.network.importers.values import RowProblem
from netdesk.network.models import ElementKind, LinkKind
from netdesk.network.services import TreeRow

# What each list is called in the report, and which NetDesk record it feeds.
ENDPOINTS: dict[str, tuple[str, str]] = {
    "sites": ("dcim/sites", "area"),
    "devices": ("dcim/devices", "element"),
    "interfaces": ("dcim/interfaces", "interface"),
    "cables": ("dcim/cables", "link"),
    "circuits": ("circuits/circuits", "link"),
    "circuit_terminations": ("circuits/circuit-terminations", "link"),
    "tenants": ("tenancy/tenants", "customer"),
}
INTERFACE = "dcim.interface"
CIRCUIT_TERMINATION = "circuits.circuittermination"
# Cable types (NetBox's CableTypeChoices values) by medium.
FIBRE_PREFIXES = ("smf", "mmf", "aoc", "fiber", "fibre")
COPPER_PREFIXES = ("cat", "dac", "mrj21", "usb", "copper", "trunk")
CIRCUIT_STATUSES = {
    "active": ServiceStatus.ACTIVE.value,
    "offline": ServiceStatus.SUSPENDED.value,
    "deprovisioning": ServiceStatus.SUSPENDED.value,
    "decommissioned": ServiceStatus.CEASED.value,
}
NOT_YET = ("planned", "provisioning")
ACCOUNT_NUMBER_MAX = 30
PORT_MAX = 60


@dataclass
class NetBoxData:
    """The lists read, each object a dict that has an integer id."""

    lists: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __getitem__(self, name: str) -> list[dict[str, Any]]:
        return self.lists.get(name, [])


@dataclass(slots=True)
class PendingLink:
    """A link between two devices, by device key, before elements have ids."""

    key: str
    reference: str
    a_device: str
    a_port: str
    b_device: str
    b_port: str
    kind: str
    name: str
    capacity_mbps: int | None
    raw: dict[str, Any]


def nested(value: Any, *path: str) -> Any:
    for step in path:
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    return value


def object_id(value: Any) -> int | None:
    found = nested(value, "id") if isinstance(value, dict) else value
    return found if isinstance(found, int) and not isinstance(found, bool) else None


def choice_value(value: Any) -> str:
    """NetBox writes choices as {"value": ..., "label": ...}; older ones as strings."""
    found = value.get("value") if isinstance(value, dict) else value
    return found if isinstance(found, str) else ""


def text_of(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def site_key(site_id: int) -> str:
    return f"site:{site_id}"


def device_key(device_id: int) -> str:
    return f"device:{device_id}"


# -- areas -------------------------------------------------------------------


def area_rows(data: NetBoxData, report: ImportReport) -> list[TreeRow]:
    """Regions (as named on the sites) first, then the sites under them."""
    regions: dict[int, TreeRow] = {}
    sites: list[TreeRow] = []
    for site in data["sites"]:
        site_id = site["id"]
        reference = f"NetBox site {site_id}"
        region = site.get("region")
        region_id = object_id(region)
        if region_id is not None and region_id not in regions:
            slug = text_of(nested(region, "slug")) or f"region-{region_id}"
            regions[region_id] = TreeRow(
                key=f"region:{region_id}",
                label=_code(slug, region_id),
                reference=f"NetBox region {region_id}",
                values={
                    "name": report.shortened(
                        "area",
                        "name",
                        text_of(nested(region, "name")) or slug,
                        120,
                        f"NetBox region {region_id}",
                    )
                },
                external_id=f"region:{region_id}",
                other_labels=(_code(slug, region_id, always_suffix=True),),
                raw=region,
            )
        slug = text_of(site.get("slug"))
        row = TreeRow(
            key=site_key(site_id),
            label=_code(slug, site_id) if slug else f"site-{site_id}",
            reference=reference,
            parent=f"region:{region_id}" if region_id is not None else None,
            external_id=site_key(site_id),
            other_labels=(_code(slug or "site", site_id, always_suffix=True),),
            raw=site,
        )
        try:
            if not slug:
                raise RowProblem("site without slug", "slug is empty")
            row.values = {
                "name": check.text(site.get("name"), field="name", max_length=120) or slug,
                "latitude": None,
                "longitude": None,
            }
            row.values["latitude"], row.values["longitude"] = _site_coordinates(site, report)
        except RowProblem as problem:
            row.problem = (problem.reason, problem.detail)
        sites.append(row)
    return [*regions.values(), *sites]


def _code(slug: str, number: int, *, always_suffix: bool = False) -> str:
    if len(slug) <= 40 and not always_suffix:
        return slug
    tail = f"-nb{number}"
    return f"{slug[: 40 - len(tail)]}{tail}"


def _site_coordinates(
    site: dict[str, Any], report: ImportReport
) -> tuple[float | None, float | None]:
    try:
        return (
            check.coordinate(site.get("latitude"), field="latitude"),
            check.coordinate(site.get("longitude"), field="longitude"),
        )
    except RowProblem as problem:
        report.note("area", f"{problem.reason}: kept without coordinates", f"site {site['id']}")
        return None, None


# -- links, from cables and circuits ------------------------------------------


@dataclass
class Topology:
    links: list[PendingLink] = field(default_factory=list)
    # circuit termination id → (device key, interface name) at its far cable end
    circuit_ends: dict[int, tuple[str, str]] = field(default_factory=dict)


def _cable_kind(cable_type: str) -> str:
    lowered = cable_type.lower()
    if lowered.startswith(FIBRE_PREFIXES):
        return LinkKind.FIBRE.value
    if lowered.startswith(COPPER_PREFIXES):
        return LinkKind.COPPER.value
    if lowered.startswith("coax"):
        return LinkKind.COAX.value
    return LinkKind.OTHER.value


def _interface_end(
    termination: dict[str, Any], interfaces: Mapping[int, tuple[int, str]]
) -> tuple[int, str] | None:
    """(device id, interface name) of an interface termination."""
    interface_id = object_id(termination.get("object_id"))
    known = interfaces.get(interface_id) if interface_id is not None else None
    device = object_id(nested(termination, "object", "device"))
    name = text_of(nested(termination, "object", "name"))
    if device is None and known is not None:
        device = known[0]
    if not name and known is not None:
        name = known[1]
    return (device, name) if device is not None else None


def cable_links(data: NetBoxData, report: ImportReport) -> Topology:
    interfaces: dict[int, tuple[int, str]] = {}
    for interface in data["interfaces"]:
        device = object_id(interface.get("device"))
        if device is not None:
            interfaces[interface["id"]] = (device, text_of(interface.get("name")))
    found = Topology()
    for cable in data["cables"]:
        reference = f"NetBox cable {cable['id']}"
        a_ends, b_ends = cable.get("a_terminations"), cable.get("b_terminations")
        if not (isinstance(a_ends, list) and a_ends and isinstance(b_ends, list) and b_ends):
            report.skip("link", reference, "cable without two ends", "", cable)
            continue
        ends: list[list[Any]] = [a_ends, b_ends]
        if any(len(end) > 1 for end in ends):
            report.note("link", "cable with several terminations: first used", reference)
        first = [end[0] if isinstance(end[0], dict) else {} for end in ends]
        types = [text_of(term.get("object_type")) for term in first]
        if sorted(types) == sorted([INTERFACE, CIRCUIT_TERMINATION]) and types[0] != types[1]:
            interface_side = types.index(INTERFACE)
            end = _interface_end(first[interface_side], interfaces)
            termination = object_id(first[1 - interface_side].get("object_id"))
            if end is not None and termination is not None:
                found.circuit_ends[termination] = (device_key(end[0]), end[1])
            continue
        if types != [INTERFACE, INTERFACE]:
            other = next(kind for kind in types if kind != INTERFACE)
            report.skip(
                "link",
                reference,
                "cable end is not an interface",
                f"{other or 'unknown'} (patch panels and power are not traced)",
                cable,
            )
            continue
        a, b = (_interface_end(term, interfaces) for term in first)
        if a is None or b is None:
            report.skip("link", reference, "cable end without a device", "", cable)
            continue
        found.links.append(
            PendingLink(
                key=f"cable:{cable['id']}",
                reference=reference,
                a_device=device_key(a[0]),
                a_port=report.shortened("link", "port", a[1], PORT_MAX, reference),
                b_device=device_key(b[0]),
                b_port=report.shortened("link", "port", b[1], PORT_MAX, reference),
                kind=_cable_kind(text_of(choice_value(cable.get("type")))),
                name=report.shortened("link", "name", text_of(cable.get("label")), 120, reference),
                capacity_mbps=None,
                raw=cable,
            )
        )
    return found


def circuit_sides(data: NetBoxData, topology: Topology) -> dict[int, dict[str, tuple[str, str]]]:
    """Per circuit id, the device end of each side ("A", "Z") that reaches one:
    from the termination's link peers, else from the cables read."""
    sides: dict[int, dict[str, tuple[str, str]]] = {}
    for termination in data["circuit_terminations"]:
        circuit = object_id(termination.get("circuit"))
        side = text_of(termination.get("term_side")).upper()
        if circuit is None or side not in ("A", "Z"):
            continue
        end = topology.circuit_ends.get(termination["id"])
        peers = termination.get("link_peers")
        if termination.get("link_peers_type") == INTERFACE and isinstance(peers, list) and peers:
            device = object_id(nested(peers[0], "device"))
            if device is not None:
                end = (device_key(device), text_of(nested(peers[0], "name")))
        if end is not None:
            sides.setdefault(circuit, {})[side] = end
    return sides


def circuit_links(
    data: NetBoxData,
    sides: Mapping[int, Mapping[str, tuple[str, str]]],
    report: ImportReport,
) -> list[PendingLink]:
    links: list[PendingLink] = []
    for circuit in data["circuits"]:
        reference = f"NetBox circuit {circuit['id']}"
        ends = sides.get(circuit["id"], {})
        if "A" not in ends or "Z" not in ends:
            report.skip(
                "link",
                reference,
                "circuit does not reach a device at both ends",
                f"device ends found: {', '.join(sorted(ends)) or 'none'}",
                circuit,
            )
            continue
        rate = circuit.get("commit_rate")
        links.append(
            PendingLink(
                key=f"circuit:{circuit['id']}",
                reference=reference,
                a_device=ends["A"][0],
                a_port=report.shortened("link", "port", ends["A"][1], PORT_MAX, reference),
                b_device=ends["Z"][0],
                b_port=report.shortened("link", "port", ends["Z"][1], PORT_MAX, reference),
                kind=LinkKind.CIRCUIT.value,
                name=report.shortened("link", "name", text_of(circuit.get("cid")), 120, reference),
                # NetBox's commit rate is in kbit/s.
                capacity_mbps=rate // 1000 if isinstance(rate, int) and rate >= 1000 else None,
                raw=circuit,
            )
        )
    return links


# -- elements -----------------------------------------------------------------


def element_rows(
    data: NetBoxData, area_ids: Mapping[str, int], report: ImportReport
) -> list[TreeRow]:
    rows: list[TreeRow] = []
    for device in data["devices"]:
        device_id = device["id"]
        name = text_of(device.get("name"))
        site_slug = (
            text_of(nested(device, "site", "slug")) or f"site {object_id(device.get('site'))}"
        )
        reference = f"NetBox device {device_id}"
        row = TreeRow(
            key=device_key(device_id),
            label=report.shortened("element", "name", name, 120, reference)
            or f"device {device_id}",
            reference=reference,
            external_id=device_key(device_id),
            # NetBox names are unique per site only.
            other_labels=(f"{name} ({site_slug})"[:120], f"{name} [{device_id}]"[:120]),
            raw=device,
        )
        try:
            if not name:
                raise RowProblem("device without name", "NetBox allows unnamed devices")
            row.values = _device_values(device, area_ids, report)
        except RowProblem as problem:
            row.problem = (problem.reason, problem.detail)
        rows.append(row)
    return rows


def _device_values(
    device: dict[str, Any], area_ids: Mapping[str, int], report: ImportReport
) -> dict[str, Any]:
    role = device.get("role") or device.get("device_role")  # NetBox 4 / 3
    role_slug = text_of(nested(role, "slug")) or text_of(nested(role, "name"))
    site = object_id(device.get("site"))
    area = area_ids.get(site_key(site)) if site is not None else None
    if area is None:
        report.note("element", "site not imported: kept without area", f"device {device['id']}")
    address = nested(device, "primary_ip", "address") or nested(device, "primary_ip4", "address")
    reference = f"NetBox device {device['id']}"

    def fitted(field: str, value: str) -> str:
        return report.shortened("element", field, value, 80, reference)

    return {
        "kind": check.kind(role_slug) if role_slug else ElementKind.OTHER.value,
        "role": fitted("role", text_of(nested(role, "name"))),
        "vendor": fitted("vendor", text_of(nested(device, "device_type", "manufacturer", "name"))),
        "model": fitted("model", text_of(nested(device, "device_type", "model"))),
        "management_ip": check.ip_address(address if isinstance(address, str) else None),
        "area": area,
    }


def derive_upstreams(
    rows: Sequence[TreeRow], links: Sequence[PendingLink], root_kinds: Sequence[str]
) -> list[str]:
    """Set each row's parent by breadth-first search over the links from the
    devices of a root kind; returns the root keys (none: nothing derived)."""
    adjacency: dict[str, list[str]] = {}
    for link in links:
        adjacency.setdefault(link.a_device, []).append(link.b_device)
        adjacency.setdefault(link.b_device, []).append(link.a_device)
    roots = [
        row.key for row in rows if row.problem is None and row.values.get("kind") in root_kinds
    ]
    if not roots:
        return []
    usable = {row.key for row in rows if row.problem is None}
    usable_adjacency = {
        key: [other for other in neighbours if other in usable]
        for key, neighbours in adjacency.items()
        if key in usable
    }
    parents = breadth_first_tree(usable_adjacency, roots)
    for row in rows:
        row.parent = parents.get(row.key)
    return roots


# -- tenants → customers -------------------------------------------------------


def tenant_accounts(
    data: NetBoxData,
    *,
    tenant_field: str,
    create_customers: bool,
) -> dict[int, tuple[str | None, str, str]]:
    """Per tenant id: (account number or None, tenant name, why not found)."""
    tenants = {tenant["id"]: tenant for tenant in data["tenants"]}
    by_name = account_numbers_by_name(
        names=[text_of(tenant.get("name")) for tenant in tenants.values()]
    )
    found: dict[int, tuple[str | None, str, str]] = {}
    for tenant_id, tenant in tenants.items():
        name = text_of(tenant.get("name"))
        field_value = text_of(nested(tenant, "custom_fields", tenant_field))
        if len(field_value) > ACCOUNT_NUMBER_MAX:
            # Cut, it would name another account: refused instead.
            found[tenant_id] = (
                None,
                name,
                f"{tenant_field} {field_value[:40]!r}… has {len(field_value)} characters; "
                f"an account number has at most {ACCOUNT_NUMBER_MAX}",
            )
            continue
        if field_value:
            found[tenant_id] = (field_value, name, "")
            continue
        matches = by_name.get(name, [])
        if len(matches) == 1:
            found[tenant_id] = (matches[0], name, "")
        elif len(matches) > 1:
            found[tenant_id] = (
                None,
                name,
                f"tenant name {name!r} matches {len(matches)} customers",
            )
        elif create_customers:
            slug = text_of(tenant.get("slug")) or str(tenant_id)
            account = f"NB-{slug}"
            if len(account) > ACCOUNT_NUMBER_MAX:
                # Cut slugs could meet; the tenant's NetBox id cannot.
                account = f"NB-{tenant_id}"
            found[tenant_id] = (account, name, "")
        else:
            found[tenant_id] = (
                None,
                name,
                f"no customer named {name!r} and no {tenant_field} custom field "
                "(use --create-customers to create it)",
            )
    return found


def circuit_status(circuit: dict[str, Any]) -> str | None:
    """The service status, or None while the circuit is not in service yet."""
    status = choice_value(circuit.get("status")) or "active"
    if status in NOT_YET:
        return None
    return CIRCUIT_STATUSES.get(status, ServiceStatus.ACTIVE.value)


LEASED_LINE = AccessTechnology.LEASED_LINE.value
