"""`netdesk inventory import netbox` against a real HTTP server on
127.0.0.1 that answers with recorded NetBox 4 API pages (two objects a page,
so every list has several), checks the token, and includes malformed rows."""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import CommandError, call_command

from netdesk.core.errors import ImportFailed
from netdesk.customers.models import Customer, Service
from netdesk.integrations.netbox.client import NetBoxClient
from netdesk.network.models import Area, Link, NetworkElement
from tests import factories as f

pytestmark = pytest.mark.django_db

TOKEN = "0123456789abcdef0123456789abcdef01234567"  # a made-up NetBox token


def iface(interface_id: int, device_id: int | None, name: str) -> dict[str, Any]:
    nested: dict[str, Any] = {"id": interface_id, "name": name}
    if device_id is not None:
        nested["device"] = {"id": device_id, "name": f"device {device_id}"}
    return {"object_type": "dcim.interface", "object_id": interface_id, "object": nested}


def circuit_end(termination_id: int) -> dict[str, Any]:
    return {
        "object_type": "circuits.circuittermination",
        "object_id": termination_id,
        "object": {"id": termination_id},
    }


def role(name: str, slug: str) -> dict[str, Any]:
    return {"id": len(slug), "name": name, "slug": slug}


RECORDED: dict[str, list[Any]] = {
    "dcim/sites": [
        {
            "id": 1,
            "name": "Hamburg PoP",
            "slug": "hh-pop",
            "region": {"id": 10, "name": "North", "slug": "north"},
            "latitude": 53.55,
            "longitude": 9.99,
        },
        {
            "id": 2,
            "name": "Berlin PoP",
            "slug": "ber-pop",
            "region": None,
            "latitude": "52.52",
            "longitude": "13.40",
        },
        {"name": "a site without id"},
        {"id": 3, "name": "Lost", "slug": "lost", "latitude": 123.0, "longitude": 10.0},
    ],
    "dcim/devices": [
        {
            "id": 100,
            "name": "hh-cr1",
            "role": role("Core Router", "core-router"),
            "site": {"id": 1, "slug": "hh-pop"},
            "device_type": {"model": "MX204", "manufacturer": {"name": "Juniper"}},
            "primary_ip": {"address": "10.0.0.1/32"},
        },
        {
            "id": 101,
            "name": "hh-agg1",
            "role": role("Aggregation Switch", "aggregation-switch"),
            "site": {"id": 1, "slug": "hh-pop"},
        },
        # NetBox 3 calls the role device_role.
        {
            "id": 102,
            "name": "hh-olt1",
            "device_role": role("OLT", "olt"),
            "site": {"id": 1, "slug": "hh-pop"},
        },
        {
            "id": 103,
            "name": "ber-cr1",
            "role": role("Core Router", "core-router"),
            "site": {"id": 2, "slug": "ber-pop"},
        },
        {"id": 104, "name": None, "role": role("OLT", "olt"), "site": {"id": 2, "slug": "ber-pop"}},
        # Same name as device 100: NetBox names are unique per site only.
        {
            "id": 105,
            "name": "hh-cr1",
            "role": role("OLT", "olt"),
            "site": {"id": 2, "slug": "ber-pop"},
        },
        "not an object",
    ],
    "dcim/interfaces": [
        {"id": 1000, "device": {"id": 100}, "name": "et-0/0/0"},
        {"id": 1001, "device": {"id": 101}, "name": "xe-0/0/1"},
        {"id": 1002, "device": {"id": 101}, "name": "xe-0/0/2"},
        {"id": 1003, "device": {"id": 102}, "name": "uplink"},
        {"id": 1004, "device": {"id": 103}, "name": "et-0/0/0"},
        {"id": 1005, "device": {"id": 100}, "name": "et-0/0/9"},
    ],
    "dcim/cables": [
        {
            "id": 500,
            "type": "smf",
            "label": "HH-1",
            "a_terminations": [iface(1000, 100, "et-0/0/0")],
            "b_terminations": [iface(1001, 101, "xe-0/0/1")],
        },
        # Terminations without the nested device: found through the interface list.
        {
            "id": 501,
            "type": "cat6",
            "a_terminations": [iface(1002, None, "")],
            "b_terminations": [iface(1003, None, "")],
        },
        {
            "id": 502,
            "type": "smf",
            "a_terminations": [iface(1005, 100, "et-0/0/9")],
            "b_terminations": [circuit_end(700)],
        },
        {
            "id": 504,
            "type": "smf",
            "a_terminations": [{"object_type": "dcim.frontport", "object_id": 9}],
            "b_terminations": [iface(1001, 101, "xe-0/0/1")],
        },
        {"id": 505, "type": "", "a_terminations": [], "b_terminations": []},
    ],
    "circuits/circuit-terminations": [
        {"id": 700, "circuit": {"id": 600, "cid": "LL-1"}, "term_side": "A"},
        {
            "id": 701,
            "circuit": {"id": 600, "cid": "LL-1"},
            "term_side": "Z",
            "link_peers_type": "dcim.interface",
            "link_peers": [
                {"id": 1004, "device": {"id": 103, "name": "ber-cr1"}, "name": "et-0/0/0"}
            ],
        },
        {"id": 702, "circuit": {"id": 601, "cid": "LL-2"}, "term_side": "A"},
    ],
    "circuits/circuits": [
        {
            "id": 600,
            "cid": "LL-1",
            "type": {"name": "Leased line 1G", "slug": "leased-1g"},
            "status": {"value": "active", "label": "Active"},
            "tenant": {"id": 50, "name": "Acme GmbH"},
            "commit_rate": 1000000,
            "install_date": "2024-05-01",
        },
        {
            "id": 601,
            "cid": "LL-2",
            "status": {"value": "planned"},
            "tenant": {"id": 51, "name": "Unknown Corp"},
        },
        {
            "id": 602,
            "cid": "LL-3",
            "status": {"value": "active"},
            "tenant": {"id": 51, "name": "Unknown Corp"},
        },
        {
            "id": 603,
            "cid": "LL-4",
            "status": {"value": "offline"},
            "tenant": {"id": 52, "name": "Beta AG"},
        },
    ],
    "tenancy/tenants": [
        {"id": 50, "name": "Acme GmbH", "slug": "acme", "custom_fields": {}},
        {
            "id": 51,
            "name": "Unknown Corp",
            "slug": "unknown-corp",
            "custom_fields": {"account_number": None},
        },
        {"id": 52, "name": "Beta AG", "slug": "beta", "custom_fields": {"account_number": "B-7"}},
    ],
}


@dataclass
class FakeNetBox:
    """Serves RECORDED as NetBox would: paged lists with absolute next links."""

    page_size: int = 2
    next_host: str | None = None  # send next links to another host
    next_to_itself: bool = False  # every next link names the page it is on
    seen: list[tuple[str, str]] = field(default_factory=list)  # (path, Authorization)
    url: str = ""


def serve(netbox: FakeNetBox) -> Iterator[FakeNetBox]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep the test output quiet
            pass

        def answer(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            authorization = self.headers.get("Authorization", "")
            netbox.seen.append((parts.path, authorization))
            if authorization != f"Token {TOKEN}":
                self.answer(403, {"detail": "Invalid token"})
                return
            endpoint = parts.path.removeprefix("/api/").strip("/")
            if endpoint not in RECORDED:
                self.answer(404, {"detail": "Not found."})
                return
            items = RECORDED[endpoint]
            offset = int(parse_qs(parts.query).get("offset", ["0"])[0])
            page = items[offset : offset + netbox.page_size]
            following = offset if netbox.next_to_itself else offset + netbox.page_size
            host = (
                netbox.next_host
                or f"127.0.0.1:{cast(ThreadingHTTPServer, self.server).server_port}"
            )
            self.answer(
                200,
                {
                    "count": len(items),
                    "next": f"http://{host}/api/{endpoint}/?limit={netbox.page_size}&offset={following}"
                    if following < len(items)
                    else None,
                    "previous": None,
                    "results": page,
                },
            )

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    netbox.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield netbox
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def netbox() -> Iterator[FakeNetBox]:
    yield from serve(FakeNetBox())


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("NETBOX_TOKEN", TOKEN)
    return TOKEN


def run_import(netbox: FakeNetBox, *args: str) -> str:
    out = StringIO()
    call_command(
        "inventory", "import", "netbox", "--url", netbox.url, *args, "--no-progress", stdout=out
    )
    return out.getvalue()


def upstream_of(name: str) -> str | None:
    element = NetworkElement.objects.select_related("upstream").get(name=name)
    return element.upstream.name if element.upstream else None


def test_sites_devices_cables_circuits_and_tenants_become_inventory(netbox, token, tmp_path):
    acme = f.customer(name="Acme GmbH")
    beta = f.customer(account_number="B-7", name="Beta Aktiengesellschaft")
    skipped = tmp_path / "skipped.csv"

    output = run_import(netbox, "--skipped-csv", str(skipped))

    # Every list was read page by page with the token.
    pages = [path for path, _ in netbox.seen]
    assert pages.count("/api/dcim/devices/") == 4
    assert pages.count("/api/dcim/sites/") == 2
    assert {authorization for _, authorization in netbox.seen} == {f"Token {TOKEN}"}

    site = Area.objects.get(code="hh-pop")
    assert site.parent is not None
    assert (site.name, site.parent.code, site.latitude) == ("Hamburg PoP", "north", 53.55)
    assert Area.objects.get(code="ber-pop").longitude == 13.40
    assert Area.objects.get(code="lost").latitude is None

    core = NetworkElement.objects.get(name="hh-cr1")
    assert (core.kind, core.role, core.vendor, core.model) == (
        "core_router",
        "Core Router",
        "Juniper",
        "MX204",
    )
    assert (core.management_ip, core.area, core.external_id) == ("10.0.0.1", site, "device:100")
    assert NetworkElement.objects.get(name="hh-olt1").kind == "olt"
    assert NetworkElement.objects.get(name="hh-cr1 (ber-pop)").kind == "olt"
    # Upstreams derived over cables and circuits from the core routers.
    assert upstream_of("hh-agg1") == "hh-cr1"
    assert upstream_of("hh-olt1") == "hh-agg1"
    assert upstream_of("ber-cr1") is None
    assert upstream_of("hh-cr1") is None

    fibre = Link.objects.get(external_id="cable:500")
    assert (fibre.kind, fibre.name, fibre.a_port, fibre.b_element.name) == (
        "fibre",
        "HH-1",
        "et-0/0/0",
        "hh-agg1",
    )
    assert Link.objects.get(external_id="cable:501").kind == "copper"
    circuit = Link.objects.get(external_id="circuit:600")
    assert (circuit.a_element.name, circuit.a_port, circuit.b_element.name) == (
        "hh-cr1",
        "et-0/0/9",
        "ber-cr1",
    )
    assert (circuit.kind, circuit.name, circuit.capacity_mbps) == ("circuit", "LL-1", 1000)
    assert Link.objects.count() == 3

    leased = Service.objects.get(service_id="LL-1")
    assert (leased.customer, leased.access_element, leased.access_port) == (acme, core, "et-0/0/9")
    assert (leased.access_technology, leased.product, str(leased.activated_on)) == (
        "leased_line",
        "Leased line 1G",
        "2024-05-01",
    )
    offline = Service.objects.get(service_id="LL-4")
    assert (offline.customer, offline.status, offline.access_element) == (beta, "suspended", None)
    assert Service.objects.count() == 2

    reasons = {
        (row["reference"], row["reason"]) for row in csv.DictReader(skipped.open(encoding="utf-8"))
    }
    assert reasons == {
        ("NetBox dcim/sites #3", "malformed NetBox object"),
        ("NetBox dcim/devices #7", "malformed NetBox object"),
        ("NetBox device 104", "device without name"),
        ("NetBox cable 504", "cable end is not an interface"),
        ("NetBox cable 505", "cable without two ends"),
        ("NetBox circuit 601", "circuit does not reach a device at both ends"),
        ("NetBox circuit 602", "circuit does not reach a device at both ends"),
        ("NetBox circuit 603", "circuit does not reach a device at both ends"),
        ("NetBox circuit 601", "circuit not in service yet"),
        ("NetBox circuit 602", "tenant matches no customer"),
    }
    assert "source netbox:127.0.0.1" in output
    assert "roots hh-cr1, ber-cr1" in output
    assert TOKEN not in output
    assert TOKEN not in skipped.read_text(encoding="utf-8")


def test_reimport_matches_by_netbox_id_and_changes_nothing(netbox, token):
    f.customer(name="Acme GmbH")
    run_import(netbox)
    counts = (
        Area.objects.count(),
        NetworkElement.objects.count(),
        Link.objects.count(),
        Service.objects.count(),
    )

    again = run_import(netbox)

    assert (
        Area.objects.count(),
        NetworkElement.objects.count(),
        Link.objects.count(),
        Service.objects.count(),
    ) == counts
    assert "elements    created 0, updated 0, unchanged 5" in again
    assert "links       created 0, updated 0, unchanged 3" in again
    assert "services    created 0, updated 0, unchanged 1" in again


def test_unmatched_tenants_become_customers_when_asked(netbox, token):
    run_import(netbox, "--create-customers")
    created = Customer.objects.get(account_number="NB-unknown-corp")
    assert (created.name, created.segment) == ("Unknown Corp", "business")
    assert Service.objects.get(service_id="LL-3").customer == created
    assert Customer.objects.get(account_number="NB-acme").name == "Acme GmbH"


def test_a_refused_token_stops_before_anything_is_written(netbox, monkeypatch):
    monkeypatch.setenv("NETBOX_TOKEN", "wrong-token-value")
    with pytest.raises(CommandError) as failure:
        run_import(netbox)
    message = str(failure.value)
    assert "refused the token (HTTP 403)" in message
    assert "/api/dcim/sites/" in message
    assert "wrong-token-value" not in message
    assert not Area.objects.exists()
    assert not NetworkElement.objects.exists()


def test_the_token_comes_only_from_the_named_environment_variable(netbox, monkeypatch):
    monkeypatch.delenv("NETBOX_TOKEN", raising=False)
    with pytest.raises(CommandError, match="environment variable NETBOX_TOKEN is not set"):
        run_import(netbox)
    with pytest.raises(CommandError, match="not an environment variable name"):
        run_import(netbox, "--token-env", "abc-def-token")
    monkeypatch.setenv("MY_NETBOX", TOKEN)
    run_import(netbox, "--token-env", "MY_NETBOX")
    assert NetworkElement.objects.count() == 5


def test_a_next_link_to_another_host_is_not_followed_with_the_token():
    for netbox in serve(FakeNetBox(next_host="attacker.example")):
        client = NetBoxClient(netbox.url, TOKEN)
        with pytest.raises(ImportFailed, match="points away from"):
            list(client.objects("dcim/sites"))
        assert len(netbox.seen) == 1


def test_an_address_that_is_not_netbox_is_explained(netbox, token):
    with pytest.raises(CommandError, match="is not accepted; give NetBox's address"):
        call_command("inventory", "import", "netbox", "--url", "ftp://netbox", "--no-progress")
    netbox.url += "/nothing-here"
    with pytest.raises(CommandError, match="HTTP 404"):
        run_import(netbox)


def test_a_next_link_to_a_page_already_read_stops_the_import(token):
    for netbox in serve(FakeNetBox(next_to_itself=True)):
        with pytest.raises(CommandError, match=r"next-page link repeats .*/api/dcim/sites/"):
            run_import(netbox)
        assert len(netbox.seen) == 2  # the first page, then the page its link names, once
        assert not Area.objects.exists()


def test_a_list_longer_than_the_page_cap_is_refused():
    for netbox in serve(FakeNetBox(page_size=1)):
        client = NetBoxClient(netbox.url, TOKEN, max_pages=3)
        with pytest.raises(ImportFailed, match="more than 3 pages"):
            list(client.objects("dcim/devices"))
        assert len(netbox.seen) == 3


def test_names_too_long_for_netdesk_are_shortened_and_reported(netbox, token, monkeypatch):
    devices = [dict(device) for device in RECORDED["dcim/devices"][:4]]
    devices[1]["name"] = "agg-" + "x" * 126  # 130 characters
    monkeypatch.setitem(RECORDED, "dcim/devices", devices)

    output = run_import(netbox)

    assert NetworkElement.objects.filter(name=devices[1]["name"][:120]).exists()
    shortened = [line for line in output.splitlines() if "name over 120" in line]
    assert len(shortened) == 1
    assert "NetBox device 101" in shortened[0]
