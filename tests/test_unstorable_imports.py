"""Importers and text the database cannot store: a row with a NUL (or an
unpaired surrogate) is skipped and reported with its row and field, and the
other rows are imported. Before, PostgreSQL failed the whole stage on it and
SQLite stored the NUL. Runs on both databases."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from netdesk.assessments.models import ExamQuestion
from netdesk.assessments.question_import import import_questions
from netdesk.competency.importers import import_framework
from netdesk.competency.models import Skill
from netdesk.integrations.tests import test_netbox_import as netbox_test
from netdesk.network.models import NetworkElement
from netdesk.sla.holidays import holidays_import_ics
from netdesk.sla.models import BusinessCalendar, Holiday
from netdesk.sla.tests import test_servicenow_import as servicenow_test
from netdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db

REASON = "text the desk cannot store"
NUL_AT = "contains a NUL character (U+0000) at position"


def skipped_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as saved:
        return list(csv.DictReader(saved))


def test_inventory_csv_skips_the_row_naming_its_line_and_column(tmp_path: Path) -> None:
    elements = tmp_path / "elements.csv"
    elements.write_text(
        "name,kind,area,upstream,management_ip\n"
        "HH-CR-01,core_router,,,10.0.0.1\n"
        "HH-AGG-01,switch,,HH-CR-01,\n"
        "HH-OLT-\x0001,olt,,HH-AGG-01,\n",
        encoding="utf-8",
    )
    skipped = tmp_path / "skipped.csv"
    out = StringIO()
    call_command(
        "inventory",
        "import",
        "csv",
        "--elements",
        str(elements),
        "--skipped-csv",
        str(skipped),
        "--no-progress",
        stdout=out,
    )
    assert set(NetworkElement.objects.values_list("name", flat=True)) == {"HH-CR-01", "HH-AGG-01"}
    [row] = skipped_rows(skipped)
    assert (row["reference"], row["reason"]) == ("elements.csv line 4", REASON)
    assert row["detail"] == f"name {NUL_AT} 7; remove it"
    assert REASON in out.getvalue()


@pytest.fixture
def netbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    devices = netbox_test.RECORDED["dcim/devices"]
    with_nul = {
        "id": 106,
        "name": "hh-sw\x001",
        "role": netbox_test.role("Aggregation Switch", "aggregation-switch"),
        "site": {"id": 1, "slug": "hh-pop"},
    }
    monkeypatch.setitem(netbox_test.RECORDED, "dcim/devices", [*devices, with_nul])
    monkeypatch.setenv("NETBOX_TOKEN", netbox_test.TOKEN)
    yield from netbox_test.serve(netbox_test.FakeNetBox())


def test_netbox_skips_the_object_naming_its_field(netbox: Any, tmp_path: Path) -> None:
    skipped = tmp_path / "skipped.csv"
    output = netbox_test.run_import(netbox, "--skipped-csv", str(skipped))
    assert NetworkElement.objects.filter(name="hh-agg1").exists()
    assert not NetworkElement.objects.filter(name__startswith="hh-sw").exists()
    [row] = [row for row in skipped_rows(skipped) if row["reason"] == REASON]
    assert row["reference"] == "NetBox dcim/devices #8"
    assert row["detail"] == f"name {NUL_AT} 5; remove it"
    assert REASON in output


def test_servicenow_skips_the_event_naming_its_line_and_column(tmp_path: Path) -> None:
    rows = servicenow_test.sample_rows()
    rows[0]["category"] = "Category\x001"  # INC1's first event
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=servicenow_test.COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / "incident_event_log.csv.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("incident_event_log.csv", text.getvalue())
    skipped = tmp_path / "skipped.csv"
    out = servicenow_test.run_import(path, "--skipped-csv", str(skipped))
    assert "Imported 5 incident(s)" in out
    [row] = [row for row in skipped_rows(skipped) if row["reason"] == REASON]
    assert row["number"] == "INC1"
    assert row["detail"] == f"line 2: category {NUL_AT} 8; remove it"
    assert "\x00" not in "".join(Ticket.objects.values_list("title", flat=True))


def test_holiday_import_skips_the_event_naming_its_line() -> None:
    calendar = BusinessCalendar.objects.create(name="office")
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
        b"BEGIN:VEVENT\r\nSUMMARY:New Year\r\nDTSTART;VALUE=DATE:20270101\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nSUMMARY:Christ\x00mas\r\nDTSTART;VALUE=DATE:20271225\r\nEND:VEVENT\r\n"
        b"END:VCALENDAR\r\n"
    )
    result = holidays_import_ics(calendar=calendar, data=data)
    assert list(Holiday.objects.values_list("name", flat=True)) == ["New Year"]
    assert result.skipped == [("Christ\\u0000mas", f"line 8: SUMMARY {NUL_AT} 6; remove it")]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_competency_framework_import_skips_the_row_naming_its_column(tmp_path: Path) -> None:
    header = ["skill_code", "skill_name", "category", "level", "level_description"]
    path = write_csv(
        tmp_path / "framework.csv",
        [
            header,
            ["SERV", "Service operations", "technical", "1", "Follows procedures"],
            ["USX", "User support", "technical", "1", "Helps \x00users"],
        ],
    )
    result = import_framework(path, name="Ours")
    assert set(Skill.objects.filter(framework=result.framework).values_list("code", flat=True)) == {
        "SERV"
    }
    [skip] = result.skipped
    assert skip.row == 3
    assert skip.reason == f"level_description {NUL_AT} 6; remove it"


@pytest.fixture
def builtin_framework() -> None:
    """The built-in framework as migration 0002 installs it (a transactional
    test run earlier may have flushed the tables)."""
    from django.apps import apps
    from django.utils import timezone

    from netdesk.competency import builtin_install

    builtin_install.install(apps, published_at=timezone.now())


@pytest.mark.usefixtures("builtin_framework")
def test_exam_question_import_skips_the_row_naming_its_column(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "questions.csv",
        [
            ["skill_code", "level", "question", "answer_1", "answer_2", "correct"],
            ["CS-DESK", "2", "Where does a new ticket land?", "Queue", "Inbox", "1"],
            ["CS-DESK", "2", "Who owns a\x00 ticket?", "Its assignee", "Nobody", "1"],
        ],
    )
    before = ExamQuestion.objects.count()
    result = import_questions(path)
    assert ExamQuestion.objects.count() == before + 1
    [skip] = result.skipped
    assert skip.row == 3
    assert skip.reason == f"question {NUL_AT} 10; remove it"
