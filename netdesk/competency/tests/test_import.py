"""`netdesk competency import`: CSV and XLSX files the test writes itself,
skipped rows with reasons, a bad header that writes nothing, external
codes mapped to NetDesk skills."""

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from netdesk.competency import builtin_install as shipped
from netdesk.competency.importers import import_framework
from netdesk.competency.models import Framework, Indicator, LevelDescriptor, Skill
from netdesk.core.errors import ImportFailed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _builtin_framework(db):
    """The built-in framework as migration 0002 installs it (a transactional
    test run earlier may have flushed the tables)."""
    from django.apps import apps
    from django.utils import timezone as tz

    shipped.install(apps, published_at=tz.now())


HEADER = [
    "skill_code",
    "skill_name",
    "category",
    "parent_code",
    "level",
    "level_title",
    "level_description",
    "indicator",
    "evidence",
    "external_code",
]
# Placeholder text, as an organisation's own licensed file would hold its own.
ROWS = [
    ["SERV", "Service operations", "technical", "", "", "", "", "", "", ""],
    [
        "CSX",
        "Customer support X",
        "technical",
        "SERV",
        "1",
        "Follow",
        "Text one",
        "Ind one",
        "observation",
        "CSMG",
    ],
    ["CSX", "", "", "", "2", "Assist", "Text two", "Ind two", "exam;interview", ""],
    ["CSX", "", "", "", "7", "Set strategy", "Text seven", "", "", ""],
    ["USX", "User support X", "technical", "SERV", "1", "", "Support one", "", "", "C.1"],
    ["", "No code", "technical", "", "1", "", "x", "", "", ""],
    ["BADCAT", "Bad category", "magic", "", "", "", "", "", "", ""],
    ["CSX", "", "", "", "two", "", "Not a number", "", "", ""],
    ["CSX", "", "", "", "3", "", "", "Ind three", "rumour", ""],
    ["ORPHAN", "Orphan", "behavioural", "NOPE", "1", "", "Alone", "", "", ""],
]


def write_csv(path: Path, header=HEADER, rows=ROWS, delimiter=","):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, header=HEADER, rows=ROWS):
    book = Workbook()
    sheet = book.active
    sheet.title = "Skills"
    sheet.append(header)
    for row in rows:
        # Levels as numbers, the way a spreadsheet holds them.
        sheet.append([int(v) if v.isdigit() else (v or None) for v in row])
    book.save(path)
    return path


def check_imported(framework: Framework):
    skills = {s.code: s for s in Skill.objects.filter(framework=framework)}
    assert set(skills) == {"SERV", "CSX", "USX", "ORPHAN"}
    assert skills["CSX"].parent == skills["SERV"]
    assert skills["ORPHAN"].parent is None
    # Level 7 widens the scale (SFIA runs to 7).
    assert (skills["CSX"].scale_min, skills["CSX"].scale_max) == (1, 7)
    levels = dict(
        LevelDescriptor.objects.filter(skill=skills["CSX"]).values_list("level", "description")
    )
    assert levels == {1: "Text one", 2: "Text two", 7: "Text seven"}
    assert list(
        Indicator.objects.filter(skill=skills["CSX"])
        .order_by("level")
        .values_list("text", "evidence")
    ) == [("Ind one", ["observation"]), ("Ind two", ["exam", "interview"])]
    return skills


def test_csv_import_with_skips_and_sfia_mapping(tmp_path):
    rows = [r for r in ROWS if r[0] != "USX"]  # the e-CF code does not fit SFIA
    path = write_csv(tmp_path / "licensed.csv", rows=rows)
    result = import_framework(path, name="Our SFIA", map_external="sfia")
    framework = result.framework
    assert framework is not None
    assert framework.state == "draft"
    assert framework.source == "licensed.csv"
    skills = {s.code: s for s in Skill.objects.filter(framework=framework)}
    assert skills["CSX"].external_codes == {"sfia": "CSMG", "netdesk": "CS-DESK"}
    assert ("CSX", "CSMG", "CS-DESK") in result.mapped
    reasons = {(s.row, s.reason.split(" ")[0]) for s in result.skipped}
    assert {r for r, _ in reasons} >= {6, 7, 8, 9, 10}
    assert any("category" in s.reason for s in result.skipped)
    assert any("not a whole number" in s.reason for s in result.skipped)
    assert any("evidence" in s.reason for s in result.skipped)
    assert any("parent_code not in the file" in s.reason for s in result.skipped)
    assert result.skills == 3


def test_xlsx_import_maps_ecf_codes(tmp_path):
    rows = [r if r[0] != "CSX" or not r[9] else [*r[:9], ""] for r in ROWS]
    path = write_xlsx(tmp_path / "ecf.xlsx", rows=rows)
    result = import_framework(path, name="Our e-CF", map_external="ecf", publish=True)
    framework = result.framework
    assert framework is not None
    assert framework.state == "published"
    skills = check_imported(framework)
    assert skills["USX"].external_codes == {"ecf": "C.1", "netdesk": "CS-SUPPORT"}


def test_wrong_scheme_code_is_a_skipped_row(tmp_path):
    path = write_csv(tmp_path / "f.csv")
    result = import_framework(path, name="Mixed", map_external="ecf")
    # CSX carries an SFIA code: its first row is refused, so later CSX rows
    # start the skill without a name and are refused too.
    assert any("not a ecf code" in s.reason and s.value == "CSMG" for s in result.skipped)
    assert not Skill.objects.filter(framework=result.framework, code="CSX").exists()


def test_bad_header_fails_before_writing(tmp_path):
    frameworks = Framework.objects.count()
    path = write_csv(tmp_path / "bad.csv", header=["skill_code", "skil_name", "level"])
    with pytest.raises(
        ImportFailed, match=r"missing column\(s\) skill_name.*unknown column\(s\) 'skil_name'"
    ):
        import_framework(path, name="Broken")
    book_path = write_xlsx(tmp_path / "bad.xlsx", header=["code", "level"], rows=[["A", "1"]])
    with pytest.raises(ImportFailed, match="skill_name"):
        import_framework(book_path, name="Broken")
    assert Framework.objects.count() == frameworks


def test_unreadable_files(tmp_path):
    with pytest.raises(ImportFailed, match="no such file"):
        import_framework(tmp_path / "missing.csv", name="X")
    odd = tmp_path / "notes.pdf"
    odd.write_text("x")
    with pytest.raises(ImportFailed, match=r"\.csv or \.xlsx"):
        import_framework(odd, name="X")
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a zip")
    with pytest.raises(ImportFailed, match=r"not a readable \.xlsx"):
        import_framework(fake, name="X")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ImportFailed, match="empty"):
        import_framework(empty, name="X")
    nothing = write_csv(
        tmp_path / "nothing.csv", rows=[["", "no code", "", "", "", "", "", "", "", ""]]
    )
    with pytest.raises(ImportFailed, match="no row could be imported"):
        import_framework(nothing, name="X")
    assert not Framework.objects.filter(name="X").exists()


def test_semicolon_csv_and_parent_loops(tmp_path):
    rows = [
        ["A", "Alpha", "technical", "B", "1", "", "a", "", "", ""],
        ["B", "Beta", "technical", "A", "1", "", "b", "", "", ""],
        ["C", "Gamma", "technical", "B", "1", "", "c", "", "", ""],
    ]
    path = write_csv(tmp_path / "semi.csv", rows=rows, delimiter=";")
    result = import_framework(path, name="Loops")
    skills = {s.code: s for s in Skill.objects.filter(framework=result.framework)}
    assert set(skills) == {"A", "B", "C"}
    assert skills["A"].parent is None  # the loop is cut at the first skill found in it
    assert skills["B"].parent == skills["A"]
    assert skills["C"].parent == skills["B"]
    assert any("loop" in s.reason for s in result.skipped)


def test_second_import_is_the_next_version_and_dry_run_writes_nothing(tmp_path):
    path = write_csv(tmp_path / "f.csv")
    import_framework(path, name="Ours", publish=True)
    result = import_framework(path, name="Ours", dry_run=True)
    assert result.framework is not None
    assert result.framework.version == 2
    assert Framework.objects.filter(name="Ours").count() == 1
    result = import_framework(path, name="Ours")
    assert result.framework is not None
    assert result.framework.version == 2
    with pytest.raises(ImportFailed, match="draft"):
        import_framework(path, name="Ours")


def test_command_reports_counts_mapping_and_skips(tmp_path):
    path = write_xlsx(tmp_path / "sfia.xlsx", rows=[r for r in ROWS if r[0] != "USX"])
    out = StringIO()
    call_command(
        "competency",
        "import",
        str(path),
        "--name",
        "Licensed SFIA",
        "--map-external",
        "sfia",
        "--publish",
        stdout=out,
    )
    text = out.getvalue()
    assert "Imported Licensed SFIA v1 (published): 3 skills" in text
    assert "CSX" in text
    assert "CS-DESK" in text
    assert "row 7: category not one of" in text
    with pytest.raises(CommandError, match="Bad header"):
        call_command(
            "competency",
            "import",
            str(write_csv(tmp_path / "h.csv", header=["x"])),
            "--name",
            "Y",
            stdout=StringIO(),
        )
    with pytest.raises(CommandError, match="no sheet"):
        call_command(
            "competency", "import", str(path), "--name", "Z", "--sheet", "Nope", stdout=StringIO()
        )


def test_a_cell_longer_than_a_row_may_be_is_refused_naming_row_and_column(tmp_path):
    """A 128 KiB description: refused with its row and column, nothing written."""
    frameworks = Framework.objects.count()
    rows = [
        ["SERV", "Service operations", "technical", "", "", "", "", "", "", ""],
        ["CSX", "Customer support X", "technical", "", "1", "", "x" * (128 * 1024 + 1), "", "", ""],
    ]
    path = write_csv(tmp_path / "huge.csv", rows=rows)
    with pytest.raises(CommandError) as failure:
        call_command("competency", "import", str(path), "--name", "Huge", stdout=StringIO())
    message = str(failure.value)
    assert "row 3" in message
    assert "level_description" in message
    assert "131,072" in message
    assert Framework.objects.count() == frameworks


def test_over_long_texts_are_skipped_with_their_column_not_cut(tmp_path):
    rows = [
        ["SERV", "Service operations", "technical", "", "", "", "", "", "", ""],
        ["SERV", "", "", "", "1", "t" * 121, "Level one", "", "", ""],
        ["SERV", "", "", "", "2", "", "d" * 5001, "", "", ""],
        ["SERV", "", "", "", "3", "", "Level three", "i" * 2001, "", ""],
        ["SERV", "", "", "", "4", "Lead", "Level four", "Leads the shift", "", ""],
    ]
    path = write_csv(tmp_path / "long.csv", rows=rows)
    result = import_framework(path, name="Long texts")
    reasons = {s.row: s.reason for s in result.skipped}
    assert reasons == {
        3: "level_title over 120 characters",
        4: "level_description over 5000 characters",
        5: "indicator over 2000 characters",
    }
    skill = Skill.objects.get(framework=result.framework, code="SERV")
    assert list(skill.levels.values_list("level", flat=True)) == [4]
    assert list(Indicator.objects.filter(skill=skill).values_list("text", flat=True)) == [
        "Leads the shift"
    ]
