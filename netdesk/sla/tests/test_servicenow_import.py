"""`netdesk import servicenow-events`: a small hand-made event log replayed
through the SLA engine, checked event by event and against figures worked
out by hand; and, where the public log is present, a run on its first 500
incidents."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from netdesk.accounts.models import SupportGroup
from netdesk.core.errors import ImportFailed
from netdesk.sla.importers import PriorityRow, SkipLog
from netdesk.sla.importers.servicenow import replay
from netdesk.sla.importers.servicenow_log import read_incidents
from netdesk.sla.models import SlaTimer
from netdesk.tickets.models import Ticket, TicketEvent
from netdesk.tickets.models.timeline import EventKind

pytestmark = pytest.mark.django_db

REAL_LOG = (
    Path(__file__).resolve().parents[3].parent / "shared/data/itsm/incident_event_log.csv.zip"
)
COLUMNS = [
    "number",
    "incident_state",
    "active",
    "reassignment_count",
    "reopen_count",
    "sys_mod_count",
    "made_sla",
    "caller_id",
    "opened_by",
    "opened_at",
    "sys_created_by",
    "sys_created_at",
    "sys_updated_by",
    "sys_updated_at",
    "contact_type",
    "location",
    "category",
    "subcategory",
    "u_symptom",
    "cmdb_ci",
    "impact",
    "urgency",
    "priority",
    "assignment_group",
    "assigned_to",
    "knowledge",
    "u_priority_confirmation",
    "notify",
    "problem_id",
    "rfc",
    "vendor",
    "caused_by",
    "closed_code",
    "resolved_by",
    "resolved_at",
    "closed_at",
]
CRITICAL = {"priority": "1 - Critical", "impact": "1 - High", "urgency": "1 - High"}
MODERATE = {"priority": "3 - Moderate", "impact": "2 - Medium", "urgency": "2 - Medium"}
LOW = {"priority": "4 - Low", "impact": "3 - Low", "urgency": "3 - Low"}


def row(number: str, state: str, mod: int, updated: str, **fields: str) -> dict[str, str]:
    base = dict.fromkeys(COLUMNS, "?")
    base.update(
        number=number,
        incident_state=state,
        sys_mod_count=str(mod),
        sys_updated_at=updated,
        reopen_count="0",
        made_sla="true",
        caller_id="Caller 7",
        contact_type="Phone",
        assignment_group="Group A",
        category="Category 1",
        subcategory="Subcategory 2",
    )
    base.update(fields)
    return base


def sample_rows() -> list[dict[str, str]]:
    inc1 = {"opened_at": "1/3/2016 08:00", **CRITICAL}
    inc1_done = {**inc1, "resolved_at": "1/3/2016 13:00", "closed_at": "6/3/2016 13:00"}
    inc2 = {"opened_at": "1/3/2016 10:00", "made_sla": "false", "contact_type": "Email"}
    inc2 = {**inc2, **CRITICAL}
    inc3 = {"opened_at": "2/3/2016 09:00", "caller_id": "?", "contact_type": "Self service"}
    inc3 = {**inc3, **MODERATE, "impact": "?"}
    inc4 = {"opened_at": "3/3/2016 09:00", **MODERATE}
    inc6 = {"opened_at": "4/3/2016 08:00", "made_sla": "false", "contact_type": "IVR", **LOW}
    return [
        # INC1: P1, paused 3 h waiting on the user: 2 h counted of 4 h → met.
        row("INC1", "New", 0, "1/3/2016 08:00", **inc1),
        row("INC1", "Active", 1, "1/3/2016 08:30", **inc1),
        row("INC1", "Awaiting User Info", 2, "1/3/2016 09:00", **inc1),
        row("INC1", "Active", 3, "1/3/2016 12:00", **inc1),
        row("INC1", "Resolved", 4, "1/3/2016 13:00", **inc1_done),
        row("INC1", "Closed", 5, "6/3/2016 13:00", **inc1_done),
        # INC2: P1, reassigned A → B, a row without a group, 6 h of 4 h → breached.
        row("INC2", "New", 0, "1/3/2016 10:00", **inc2),
        row("INC2", "Active", 1, "1/3/2016 10:10", **{**inc2, "assignment_group": "Group B"}),
        row("INC2", "Active", 2, "1/3/2016 11:00", **{**inc2, "assignment_group": "?"}),
        row(
            "INC2",
            "Resolved",
            3,
            "1/3/2016 16:00",
            **{**inc2, "assignment_group": "Group B", "resolved_at": "1/3/2016 16:00"},
        ),
        # INC3: P3, resolved, reopened, resolved again; no caller, no impact.
        row("INC3", "New", 0, "2/3/2016 09:00", **inc3),
        row("INC3", "Resolved", 1, "2/3/2016 10:00", **inc3),
        row("INC3", "Active", 2, "2/3/2016 11:00", **{**inc3, "reopen_count": "1"}),
        row(
            "INC3",
            "Resolved",
            3,
            "2/3/2016 12:00",
            **{**inc3, "reopen_count": "1", "resolved_at": "2/3/2016 12:00"},
        ),
        # INC4: P3, one unreadable timestamp; still waiting on a vendor at the end.
        row("INC4", "New", 0, "3/3/2016 09:00", **inc4),
        row("INC4", "Active", 1, "31/02/2016 25:00", **inc4),
        row("INC4", "Awaiting Vendor", 2, "3/3/2016 10:00", **inc4),
        # INC5: no opening time at all.
        row("INC5", "New", 0, "3/3/2016 09:00", opened_at="?"),
        # INC6: P4, rows out of order in the file, and a state ServiceNow never defined.
        row("INC6", "Resolved", 1, "4/3/2016 09:00", **{**inc6, "resolved_at": "4/3/2016 09:00"}),
        row("INC6", "New", 0, "4/3/2016 08:00", **inc6),
        row("INC6", "-100", 2, "4/3/2016 09:30", **inc6),
    ]


@pytest.fixture
def event_log(tmp_path: Path) -> Path:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(sample_rows())
    path = tmp_path / "incident_event_log.csv.zip"
    with zipfile.ZipFile(path, "w") as archive:
        # With a byte-order mark, as some exports write it.
        archive.writestr("incident_event_log.csv", "\ufeff" + text.getvalue())
    return path


def run_import(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("import", "servicenow-events", str(path), *args, stdout=out)
    return out.getvalue()


def ticket(number: str) -> Ticket:
    return Ticket.objects.select_related("group", "customer").get(title__startswith=f"{number} ")


def status_trail(found: Ticket) -> list[tuple[str, str, str]]:
    return [
        (event.kind, event.old_value, event.new_value)
        for event in TicketEvent.objects.filter(ticket=found, field="status").order_by("at", "id")
    ]


def resolution_timer(found: Ticket) -> SlaTimer:
    return SlaTimer.objects.get(ticket=found, kind="sla", metric="resolution")


def test_states_map_to_statuses_and_waiting_on_the_user_pauses_the_clock(event_log: Path) -> None:
    run_import(event_log)

    inc1 = ticket("INC1")
    assert (inc1.status, inc1.channel, inc1.priority, inc1.impact) == ("closed", "phone", 1, 1)
    assert status_trail(inc1) == [
        (EventKind.STATUS_CHANGED, "new", "in_progress"),
        (EventKind.STATUS_CHANGED, "in_progress", "pending_customer"),
        (EventKind.STATUS_CHANGED, "pending_customer", "in_progress"),
        (EventKind.RESOLVED, "in_progress", "resolved"),
        (EventKind.CLOSED, "resolved", "closed"),
    ]
    timer = resolution_timer(inc1)
    assert timer.policy.name == "ServiceNow replay P1"
    assert (timer.state, timer.elapsed_seconds) == ("met", 2 * 3600)
    assert inc1.customer.account_number == "SN-7"
    assert inc1.customer.parent_account is not None
    assert inc1.customer.parent_account.account_number == "SN-REPLAY"

    inc4 = ticket("INC4")
    assert inc4.status == "pending_third_party"
    assert resolution_timer(inc4).state == "paused"


def test_reassignment_becomes_a_group_event_and_a_row_without_group_keeps_it(
    event_log: Path,
) -> None:
    run_import(event_log)

    inc2 = ticket("INC2")
    group_a = SupportGroup.objects.get(name="SN Group A")
    group_b = SupportGroup.objects.get(name="SN Group B")
    moves = list(
        TicketEvent.objects.filter(ticket=inc2, field="group").values_list("old_value", "new_value")
    )
    assert moves == [(str(group_a.pk), str(group_b.pk))]
    assert inc2.group == group_b
    assert group_b.tier.kind == "first_line"
    assert inc2.channel == "email"
    timer = resolution_timer(inc2)
    assert (timer.state, timer.elapsed_seconds) == ("breached", 6 * 3600)


def test_a_reopened_incident_keeps_its_reopen_count_and_missing_fields_get_defaults(
    event_log: Path,
) -> None:
    run_import(event_log)

    inc3 = ticket("INC3")
    assert inc3.reopen_count == 1
    assert [kind for kind, _, _ in status_trail(inc3)] == [
        EventKind.RESOLVED,
        EventKind.REOPENED,
        EventKind.RESOLVED,
    ]
    assert inc3.customer.account_number == "SN-unknown"
    assert (inc3.channel, inc3.impact) == ("web", 2)
    timer = resolution_timer(inc3)
    assert (timer.state, timer.elapsed_seconds) == ("met", 2 * 3600)
    assert ticket("INC6").channel == "api"


def test_skipped_rows_are_reported_with_reason_and_written_out(
    event_log: Path, tmp_path: Path
) -> None:
    skipped = tmp_path / "skipped.csv"

    out = run_import(event_log, "--skipped-csv", str(skipped))

    assert "Imported 5 incident(s)" in out
    summary = [line for line in out.splitlines() if line.startswith(("event", "incident", "kept"))]
    assert len(summary) == 4, out
    assert any("unparseable sys_updated_at" in s and "INC4" in s for s in summary)
    assert any("unknown incident_state" in s and "INC6" in s for s in summary)
    assert any("missing or unparseable opened_at" in s and "INC5" in s for s in summary)
    assert any("events out of order" in s and "INC6" in s for s in summary)
    with skipped.open(encoding="utf-8") as written:
        rows = list(csv.DictReader(written))
    assert {(r["number"], r["reason"]) for r in rows} == {
        ("INC4", "unparseable sys_updated_at"),
        ("INC5", "missing or unparseable opened_at"),
        ("INC6", "unknown incident_state"),
    }
    assert "'31/02/2016 25:00'" in next(r["detail"] for r in rows if r["number"] == "INC4")
    assert not Ticket.objects.filter(title__startswith="INC5 ").exists()


def test_a_second_import_of_the_same_file_skips_what_is_there(event_log: Path) -> None:
    run_import(event_log)
    tickets, events = Ticket.objects.count(), TicketEvent.objects.count()

    out = run_import(event_log)

    assert "Imported 0 incident(s)" in out
    already = next(line for line in out.splitlines() if "already imported" in line)
    assert already.split()[:4] == ["incident", "already", "imported", "5"]
    assert (Ticket.objects.count(), TicketEvent.objects.count()) == (tickets, events)


def test_the_report_per_priority_matches_the_figures_worked_out_by_hand(event_log: Path) -> None:
    skips = SkipLog()

    result = replay(read_incidents(event_log, skips=skips), skips=skips)

    # P1: INC1 met (made_sla true), INC2 breached (false). P3: INC3 met
    # (true), INC4 still paused when the log ends (true). P4: INC6 met (false).
    assert result.report == [
        PriorityRow(priority=1, incidents=2, made_sla=1, decided=2, met=1),
        PriorityRow(priority=2, incidents=0, made_sla=0, decided=0, met=0),
        PriorityRow(priority=3, incidents=2, made_sla=2, decided=1, met=1),
        PriorityRow(priority=4, incidents=1, made_sla=0, decided=1, met=1),
    ]


def test_targets_change_the_verdict_and_a_dry_run_writes_nothing(event_log: Path) -> None:
    out = run_import(event_log, "--dry-run")
    assert "P1                2           50.0%        2       1               50.0%" in out

    out = run_import(event_log, "--targets", "1=600", "--dry-run")

    assert "P1                2           50.0%        2       2              100.0%" in out
    assert not Ticket.objects.exists()

    run_import(event_log, "--targets", "1=600")
    assert resolution_timer(ticket("INC2")).state == "met"


@pytest.mark.parametrize("targets", ["1=abc", "9=60", "1=0"])
def test_bad_targets_name_the_value_and_what_is_accepted(event_log: Path, targets: str) -> None:
    with pytest.raises(CommandError, match="priority=minutes"):
        run_import(event_log, "--targets", targets)


def test_a_file_that_is_not_an_event_log_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("id,name\n1,x\n", encoding="utf-8")

    with pytest.raises(CommandError, match="number, incident_state"):
        run_import(path)


@pytest.mark.skipif(
    not REAL_LOG.exists(), reason=f"the public ServiceNow event log is not at {REAL_LOG}"
)
def test_the_first_500_incidents_of_the_real_log_replay() -> None:
    out = run_import(REAL_LOG, "--limit", "500")

    assert "Imported 500 incident(s)" in out
    assert Ticket.objects.count() == 500
    report: dict[str, Any] = {
        line.split()[0]: line.split() for line in out.splitlines() if line.startswith("P")
    }
    assert sum(int(report[f"P{p}"][1]) for p in range(1, 5)) == 500
    assert SlaTimer.objects.filter(kind="sla", metric="resolution").count() == 500


def test_an_over_long_field_is_refused_naming_its_row_without_reading_it_whole(
    tmp_path: Path,
) -> None:
    """A 4 MB field in the zipped log: the reader stops at the bound given,
    names the row and the column, and never holds the field in memory."""
    import tracemalloc

    rows = sample_rows()[:3]
    rows[1]["u_symptom"] = "A" * 4_000_000
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / "incident_event_log.csv.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("incident_event_log.csv", text.getvalue())
    del text, rows

    tracemalloc.start()
    try:
        with pytest.raises(ImportFailed) as failure:
            read_incidents(path, skips=SkipLog(), max_row=64 * 1024)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert "row 3, column u_symptom: longer than 65,536 characters" in str(failure.value)
    assert peak < 1_000_000


def test_a_field_over_the_default_bound_is_a_clear_error_not_a_crash(tmp_path: Path) -> None:
    rows = sample_rows()[:2]
    rows[1]["category"] = "B" * 200_000
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / "log.csv"
    path.write_text(text.getvalue(), encoding="utf-8")

    with pytest.raises(CommandError, match="row 3, column category: longer than 131,072"):
        run_import(path)
    assert not Ticket.objects.exists()
