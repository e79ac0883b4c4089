"""`netdesk inventory import csv`: areas, elements, links and services from
CSV files, re-imported idempotently, with every skipped row reported."""

from __future__ import annotations

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError

from netdesk.core.bulk import insert_rows
from netdesk.customers.models import Customer, Service
from netdesk.customers.services import subscriptions
from netdesk.network.models import Area, Link, NetworkElement
from tests import factories as f

pytestmark = pytest.mark.django_db

AREAS = """code,name,parent,latitude,longitude
NORTH,North region,,53.5,10.0
HH,Hamburg,NORTH,53.55,9.99
"""
ELEMENTS = """name,kind,area,upstream,management_ip,latitude,longitude
HH-CR-01,core_router,HH,,10.0.0.1,53.55,9.99
HH-AGG-01,Aggregation Switch,HH,HH-CR-01,10.0.0.2,,
HH-OLT-01,olt,HH,HH-AGG-01,2001:db8::3,,
HH-SPLIT-01,ftth-splitter,HH,HH-OLT-01,,,
"""
LINKS = """a_element,a_port,b_element,b_port,kind,capacity_mbps
HH-CR-01,et-0/0/1,HH-AGG-01,xe-1/1/1,fibre,100000
HH-AGG-01,,HH-OLT-01,,fibre,
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def run_import(*args: str) -> str:
    out = StringIO()
    call_command("inventory", "import", "csv", *args, "--no-progress", stdout=out)
    return out.getvalue()


def network_files(folder: Path) -> list[str]:
    return [
        "--areas",
        str(write(folder, "areas.csv", AREAS)),
        "--elements",
        str(write(folder, "elements.csv", ELEMENTS)),
        "--links",
        str(write(folder, "links.csv", LINKS)),
    ]


def test_round_trip_areas_elements_links_and_services(tmp_path):
    holder = f.customer(account_number="A-100")
    services = write(
        tmp_path,
        "services.csv",
        "service_id,account_number,product,access_technology,element,port,area,activated_on\n"
        "S-1,A-100,Fibre 1000,FTTH,HH-SPLIT-01,1/1/1,HH,2025-03-01\n"
        "S-2,A-100,Fibre 100,ftth,HH-OLT-01,1/1/2,,\n",
    )

    output = run_import(*network_files(tmp_path), "--services", str(services))

    hamburg = Area.objects.get(code="HH")
    assert hamburg.parent == Area.objects.get(code="NORTH")
    assert (hamburg.latitude, hamburg.longitude) == (53.55, 9.99)
    splitter = NetworkElement.objects.get(name="HH-SPLIT-01")
    assert splitter.kind == "ftth_splitter"  # an operator's own kind, written any way
    assert splitter.upstream is not None
    assert splitter.upstream.upstream is not None
    assert [e.name for e in (splitter.upstream, splitter.upstream.upstream)] == [
        "HH-OLT-01",
        "HH-AGG-01",
    ]
    assert NetworkElement.objects.get(name="HH-AGG-01").kind == "aggregation_switch"
    assert NetworkElement.objects.get(name="HH-OLT-01").management_ip == "2001:db8::3"
    uplink = Link.objects.get(a_port="et-0/0/1")
    assert (uplink.a_element.name, uplink.b_element.name, uplink.capacity_mbps) == (
        "HH-CR-01",
        "HH-AGG-01",
        100000,
    )
    first = Service.objects.get(service_id="S-1")
    assert (first.customer, first.access_element, first.access_port, first.area) == (
        holder,
        splitter,
        "1/1/1",
        hamburg,
    )
    assert str(first.activated_on) == "2025-03-01"
    assert first.access_technology == "ftth"
    assert "elements    created 4, updated 0, unchanged 0, skipped 0" in output
    assert "services    created 2" in output
    assert "Skipped: nothing." in output


def test_reimporting_the_same_files_updates_and_never_duplicates(tmp_path):
    files = network_files(tmp_path)
    run_import(*files)
    counts = (Area.objects.count(), NetworkElement.objects.count(), Link.objects.count())

    again = run_import(*files)

    assert (Area.objects.count(), NetworkElement.objects.count(), Link.objects.count()) == counts
    assert "elements    created 0, updated 0, unchanged 4" in again
    assert "links       created 0, updated 0, unchanged 2" in again

    # The OLT moves under the core router and becomes a DSLAM: one update.
    write(tmp_path, "elements.csv", ELEMENTS.replace("olt,HH,HH-AGG-01", "dslam,HH,HH-CR-01"))
    changed = run_import("--elements", str(tmp_path / "elements.csv"))
    moved = NetworkElement.objects.get(name="HH-OLT-01")
    assert moved.upstream is not None
    assert (moved.kind, moved.upstream.name) == ("dslam", "HH-CR-01")
    assert "elements    created 0, updated 1, unchanged 3" in changed


def test_a_link_given_the_other_way_round_is_the_same_link(tmp_path):
    run_import(*network_files(tmp_path))
    reverse = write(
        tmp_path,
        "reverse.csv",
        "a_element,a_port,b_element,b_port,kind,capacity_mbps\n"
        "HH-AGG-01,xe-1/1/1,HH-CR-01,et-0/0/1,fibre,200000\n",
    )
    run_import("--links", str(reverse))
    assert Link.objects.count() == 2
    assert Link.objects.get(a_port="xe-1/1/1").capacity_mbps == 200000


@pytest.mark.parametrize(
    ("header", "named"),
    [
        ("name,kind,area,upstream_name", "'upstream_name' is not accepted"),
        ("name,area,upstream", "column(s) kind missing"),
        ("name,kind,,upstream", "header column 3 has no name"),
    ],
)
def test_a_bad_header_stops_the_import_before_anything_is_written(tmp_path, header, named):
    areas = write(tmp_path, "areas.csv", AREAS)
    elements = write(tmp_path, "elements.csv", f"{header}\nHH-CR-01,core_router,HH,\n")

    with pytest.raises(CommandError) as failure:
        run_import("--areas", str(areas), "--elements", str(elements))

    message = str(failure.value)
    assert named in message
    assert "--elements" in message
    assert "accepted columns: required name, kind; optional area, upstream" in message
    assert not Area.objects.exists()
    assert not NetworkElement.objects.exists()


def test_a_file_that_is_not_utf8_names_the_line(tmp_path):
    elements = tmp_path / "elements.csv"
    elements.write_bytes(b"name,kind\nHH-CR-01,core_router\nK\xf6ln-CR,core_router\n")
    with pytest.raises(CommandError, match="line 3 is not UTF-8"):
        run_import("--elements", str(elements))
    assert not NetworkElement.objects.exists()


def test_a_row_over_the_bound_stops_the_import_naming_its_row_and_column(tmp_path):
    elements = write(
        tmp_path,
        "elements.csv",
        f"name,kind\nHH-CR-01,core_router\nHH-CR-02,{'x' * 200_000}\n",
    )
    with pytest.raises(CommandError, match=r"row 3, column kind: longer than 131,072 characters"):
        run_import("--elements", str(elements))
    assert not NetworkElement.objects.exists()


def test_bad_rows_are_reported_with_their_reasons_not_dropped(tmp_path):
    elements = write(
        tmp_path,
        "elements.csv",
        "name,kind,area,upstream,management_ip\n"
        "CORE,core_router,,,10.0.0.1\n"
        "BAD-IP,olt,,CORE,10.0.0.300\n"
        "UNDER-BAD,cpe,,BAD-IP,\n"
        "BAD-KIND,9 lives!,,CORE,\n"
        "NO-AREA,olt,ATLANTIS,CORE,\n"
        "ORPHAN,olt,,NOWHERE,\n"
        ",olt,,CORE,\n"
        "SHORT,olt\n"
        "CORE,olt,,,\n",
    )
    skipped = tmp_path / "skipped.csv"

    output = run_import("--elements", str(elements), "--skipped-csv", str(skipped))

    assert list(NetworkElement.objects.values_list("name", flat=True)) == ["CORE"]
    with skipped.open(encoding="utf-8") as saved:
        rows = list(csv.DictReader(saved))
    reasons = {(row["reference"], row["reason"]) for row in rows}
    assert reasons == {
        ("elements.csv line 3", "management_ip not accepted"),
        ("elements.csv line 4", "upstream skipped"),
        ("elements.csv line 5", "kind not accepted"),
        ("elements.csv line 6", "area not found"),
        ("elements.csv line 7", "upstream not found"),
        ("elements.csv line 8", "name missing"),
        ("elements.csv line 9", "row has the wrong number of fields"),
        ("elements.csv line 10", "element repeated in the import"),
    }
    kind_row = next(row for row in rows if row["reason"] == "kind not accepted")
    assert "'9 lives!'" in kind_row["detail"]
    assert "core_router" in kind_row["detail"]
    assert '"name": "BAD-KIND"' in kind_row["row"]
    assert "management_ip not accepted" in output
    assert "elements.csv line 3" in output
    assert "created 1, updated 0, unchanged 0, skipped 8" in output


def test_upstreams_that_would_loop_are_refused(tmp_path):
    # Stored: CORE ← AGG. The file puts CORE under AGG, and makes a loop of its own.
    core = NetworkElement.objects.create(name="CORE", kind="core_router")
    NetworkElement.objects.create(name="AGG", kind="aggregation_switch", upstream=core)
    elements = write(
        tmp_path,
        "elements.csv",
        "name,kind,upstream\n"
        "CORE,core_router,AGG\n"
        "LOOP-A,olt,LOOP-B\n"
        "LOOP-B,olt,LOOP-A\n"
        "UNDER-LOOP,cpe,LOOP-A\n"
        "FINE,olt,AGG\n",
    )
    skipped = tmp_path / "skipped.csv"

    output = run_import("--elements", str(elements), "--skipped-csv", str(skipped))

    assert NetworkElement.objects.get(name="CORE").upstream is None
    fine = NetworkElement.objects.get(name="FINE").upstream
    assert fine is not None
    assert fine.name == "AGG"
    assert not NetworkElement.objects.filter(name__startswith="LOOP").exists()
    details = {row["reference"]: row for row in csv.DictReader(skipped.open(encoding="utf-8"))}
    assert details["elements.csv line 2"]["reason"] == "upstream would make a loop"
    assert details["elements.csv line 2"]["detail"] in ("CORE → AGG → CORE", "AGG → CORE → AGG")
    assert details["elements.csv line 5"]["reason"] == "upstream skipped"
    assert "upstream would make a loop" in output


def test_services_of_unknown_customers_are_skipped_unless_asked_to_create_them(tmp_path):
    run_import(*network_files(tmp_path))
    services = write(
        tmp_path,
        "services.csv",
        "service_id,account_number,product,access_technology,element,customer_name,segment\n"
        "S-1,NEW-1,Fibre 100,ftth,HH-OLT-01,Ada Lovelace,residential\n"
        "S-2,NEW-2,Leased line,leased_line,HH-AGG-01,Acme GmbH,business\n"
        "S-3,NEW-1,Fibre 100,pigeon,HH-OLT-01,,\n"
        "S-4,NEW-1,Fibre 100,ftth,NO-SUCH-OLT,,\n",
    )

    refused = run_import("--services", str(services))
    assert not Service.objects.exists()
    assert not Customer.objects.exists()
    assert "customer not found" in refused
    assert "access_technology not accepted" in refused
    assert "element not found" in refused

    created = run_import("--services", str(services), "--create-customers")
    assert Customer.objects.get(account_number="NEW-2").name == "Acme GmbH"
    assert Customer.objects.get(account_number="NEW-2").segment == "business"
    assert sorted(Service.objects.values_list("service_id", flat=True)) == ["S-1", "S-2"]
    assert "customers   created 2" in created


def test_a_dry_run_writes_nothing_and_says_what_it_would_do(tmp_path):
    output = run_import(*network_files(tmp_path), "--dry-run")
    assert not Area.objects.exists()
    assert not NetworkElement.objects.exists()
    assert "Dry run (nothing kept)" in output
    assert "elements    would create 4" in output


def test_each_service_batch_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    run_import(*network_files(tmp_path))
    f.customer(account_number="A-1")
    lines = [f"S-{n},A-1,Fibre,ftth,HH-OLT-01" for n in range(5)]
    services = write(
        tmp_path,
        "services.csv",
        "service_id,account_number,product,access_technology,element\n" + "\n".join(lines),
    )
    monkeypatch.setattr(subscriptions, "SERVICE_BATCH", 2)
    real_insert = insert_rows
    calls = []

    def insert_failing_the_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            # Stands in for the database refusing a write (a full disk, a lost lock).
            raise DatabaseError("disk I/O error")
        return real_insert(*args, **kwargs)

    monkeypatch.setattr(subscriptions, "insert_rows", insert_failing_the_second_batch)

    with pytest.raises(CommandError, match="running the same import again completes it"):
        run_import("--services", str(services))
    assert sorted(Service.objects.values_list("service_id", flat=True)) == ["S-0", "S-1"]

    monkeypatch.setattr(subscriptions, "insert_rows", real_insert)
    output = run_import("--services", str(services))
    assert Service.objects.count() == 5
    assert "services    created 3, updated 0, unchanged 2" in output


def test_at_least_one_file_is_needed():
    with pytest.raises(CommandError, match="at least one of --areas"):
        run_import()
