"""`netdesk competency questions import`: the exam question bank from CSV and
XLSX files the test writes itself, a row skipped for each reason, a bad
header that writes nothing, dry runs, and a second import that updates the
questions instead of adding them twice."""

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from netdesk.accounts.models import Role
from netdesk.assessments import question_import
from netdesk.assessments.models import ExamQuestion
from netdesk.assessments.question_import import import_questions
from netdesk.assessments.services.exams import exam_question_create, exam_question_update
from netdesk.competency import builtin_install as shipped
from netdesk.competency.builtin import FRAMEWORK_NAME
from netdesk.competency.models import Framework, FrameworkState, Skill
from netdesk.competency.services.framework import framework_create, framework_new_version
from netdesk.competency.services.skills import skill_create
from netdesk.core.errors import ImportFailed, PermissionDenied, ValidationFailed
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _builtin_framework(db):
    """The built-in framework as migration 0002 installs it (a transactional
    test run earlier may have flushed the tables)."""
    from django.apps import apps
    from django.utils import timezone as tz

    shipped.install(apps, published_at=tz.now())


HEADER = ["skill_code", "level", "question", "answer_1", "answer_2", "answer_3", "correct"]
GOOD = [
    ["CS-DESK", "2", "Where does a new ticket land?", "Queue", "Inbox", "Archive", "1"],
    ["CERT-FIBRE", "3", "Which loss is acceptable?", "0.1 dB", "3 dB", "", "1"],
    ["CS-DESK", "3", "Who sets the service level?", "Agent", "Manager", "Customer", "2"],
]


def write_csv(path: Path, header=HEADER, rows=GOOD, delimiter=","):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, header=HEADER, rows=GOOD, sheet="Bank", first_sheet=None):
    book = Workbook()
    active = book.active
    if first_sheet is not None:
        # Another sheet before the bank: the import must be told which one.
        active.title = first_sheet
        active.append(["notes"])
        active = book.create_sheet()
    active.title = sheet
    active.append(header)
    for row in rows:
        # Levels and answer numbers as numbers, the way a spreadsheet holds them.
        active.append([int(v) if v.isdigit() else (v or None) for v in row])
    book.save(path)
    return path


def bank(code="CS-DESK"):
    """The published built-in skill's questions: (level, text) → (choices, correct)."""
    return {
        (q.level, q.text): (q.choices, q.correct)
        for q in ExamQuestion.objects.filter(
            skill__code=code,
            skill__framework__name=FRAMEWORK_NAME,
            skill__framework__state=FrameworkState.PUBLISHED,
        )
    }


def reasons(result):
    return {s.row: s.reason for s in result.skipped}


def test_csv_import_adds_the_questions_with_1_based_correct(tmp_path):
    result = import_questions(write_csv(tmp_path / "bank.csv"))
    assert result.framework.name == FRAMEWORK_NAME
    assert result.framework.state == FrameworkState.PUBLISHED
    assert (result.added, result.updated, result.unchanged, result.skipped) == (3, 0, 0, [])
    assert bank() == {
        (2, "Where does a new ticket land?"): (["Queue", "Inbox", "Archive"], 0),
        (3, "Who sets the service level?"): (["Agent", "Manager", "Customer"], 1),
    }
    # An empty answer_3 after the last answer is not an answer.
    assert bank("CERT-FIBRE") == {(3, "Which loss is acceptable?"): (["0.1 dB", "3 dB"], 0)}


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_csv_with_semicolons_or_tabs(tmp_path, delimiter):
    result = import_questions(write_csv(tmp_path / "bank.csv", delimiter=delimiter))
    assert result.added == 3
    assert not result.skipped
    assert bank()[(2, "Where does a new ticket land?")] == (["Queue", "Inbox", "Archive"], 0)


def test_xlsx_first_sheet_and_named_sheet(tmp_path):
    result = import_questions(write_xlsx(tmp_path / "bank.xlsx"))
    assert result.added == 3
    assert not result.skipped
    assert bank()[(3, "Who sets the service level?")] == (["Agent", "Manager", "Customer"], 1)

    rows = [["CS-DESK", "1", "What is a ticket?", "A record", "A fine", "", "1"]]
    path = write_xlsx(tmp_path / "two.xlsx", rows=rows, sheet="Questions", first_sheet="Notes")
    with pytest.raises(ImportFailed, match="Bad header"):
        import_questions(path)  # the first sheet holds notes, not questions
    with pytest.raises(ImportFailed, match="no sheet 'Nope'; the sheets are Notes, Questions"):
        import_questions(path, sheet="Nope")
    result = import_questions(path, sheet="Questions")
    assert result.added == 1
    assert bank()[(1, "What is a ticket?")] == (["A record", "A fine"], 0)


def test_every_unusable_row_is_skipped_with_its_number_and_reason(tmp_path):
    rows = [
        GOOD[0],  # row 2
        ["NOPE", "1", "Unknown skill?", "a", "b", "", "1"],  # 3
        ["", "1", "No skill?", "a", "b", "", "1"],  # 4
        ["CS-DESK", "6", "Above the scale?", "a", "b", "", "1"],  # 5
        ["CERT-FIBRE", "4", "Above a certificate's scale?", "a", "b", "", "1"],  # 6
        ["CS-DESK", "0", "Below the scale?", "a", "b", "", "1"],  # 7
        ["CS-DESK", "two", "Level in words?", "a", "b", "", "1"],  # 8
        ["CS-DESK", "1", "One answer?", "a", "", "", "1"],  # 9
        ["CS-DESK", "1", "A gap?", "a", "", "c", "1"],  # 10
        ["CS-DESK", "1", "Correct past the answers?", "a", "b", "c", "4"],  # 11
        ["CS-DESK", "1", "Correct counted from 0?", "a", "b", "c", "0"],  # 12
        ["CS-DESK", "1", "Correct as a letter?", "a", "b", "c", "b"],  # 13
        ["CS-DESK", "1", "", "a", "b", "c", "1"],  # 14
        ["", "", "", "", "", "", ""],  # 15: blank, ignored
        ["CS-DESK", "2", "Where does a new ticket land?", "x", "y", "", "2"],  # 16
        GOOD[2],  # 17
    ]
    result = import_questions(write_csv(tmp_path / "bank.csv", rows=rows))
    assert (result.added, result.updated, result.unchanged) == (2, 0, 0)
    skipped = reasons(result)
    assert set(skipped) == {3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16}
    framework = str(result.framework)
    assert skipped[3] == f"skill_code not a skill of {framework}"
    assert skipped[4] == f"skill_code not a skill of {framework}"
    assert skipped[5] == "level: Level 6 is outside the scale of CS-DESK. Accepted: 1 to 5."
    assert skipped[6] == "level: Level 4 is outside the scale of CERT-FIBRE. Accepted: 1 to 3."
    assert skipped[7].startswith("level: Level 0 is outside")
    assert skipped[8] == "level is not a whole number"
    assert skipped[9].startswith("answers: A question needs 2 to 10 answers")
    assert skipped[10].startswith("answers: A question needs 2 to 10 answers")
    assert skipped[11] == "correct must be the number of one of the 3 answers (1 to 3)"
    assert skipped[12] == "correct must be the number of one of the 3 answers (1 to 3)"
    assert skipped[13] == "correct is not the number of an answer (1 to 3)"
    assert skipped[14].startswith("question: A question needs its text.")
    assert skipped[16] == "the same skill, level and question as row 2"
    values = {s.row: s.value for s in result.skipped}
    assert values[3] == "NOPE"
    assert values[4] == "empty"
    assert values[11] == "4"
    # Only rows 2 and 17 reached the bank; the duplicate did not overwrite row 2.
    assert bank() == {
        (2, "Where does a new ticket land?"): (["Queue", "Inbox", "Archive"], 0),
        (3, "Who sets the service level?"): (["Agent", "Manager", "Customer"], 1),
    }
    assert ExamQuestion.objects.count() == 2


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            ["skill_code", "level", "question", "answer_1", "answer_2"],
            r"missing column\(s\) correct\. Accepted columns: skill_code, level, question, "
            r"answer_1, .*answer_10, correct\.",
        ),
        (
            ["skill_code", "level", "question", "answer_1", "answer_2", "answer_11", "correct"],
            r"unknown column\(s\) 'answer_11'",
        ),
        (
            ["skill_code", "level", "question", "answer_1", "answer_2", "answer_2", "correct"],
            r"column\(s\) given twice: answer_2",
        ),
        (["skill_code", "skill_name", "level"], r"missing column\(s\) question, answer_1"),
    ],
)
def test_bad_header_stops_before_anything_is_written(tmp_path, header, message):
    rows = [["CS-DESK", "1", "Q?", "a", "b", "b", "1"][: len(header)]]
    with pytest.raises(ImportFailed, match=f"^Bad header: .*{message}"):
        import_questions(write_csv(tmp_path / "bad.csv", header=header, rows=rows))
    with pytest.raises(ImportFailed, match=message):
        import_questions(write_xlsx(tmp_path / "bad.xlsx", header=header, rows=rows))
    assert not ExamQuestion.objects.exists()


def test_header_aliases_case_and_order(tmp_path):
    header = ["Correct", "ANSWER_2", "Answer_1", "Text", "Level", "Code"]
    rows = [["2", "Right", "Wrong", "Pick the right one", "1", "CS-DESK"]]
    result = import_questions(write_csv(tmp_path / "bank.csv", header=header, rows=rows))
    assert result.added == 1
    assert bank() == {(1, "Pick the right one"): (["Wrong", "Right"], 1)}


def test_unreadable_or_empty_files(tmp_path):
    with pytest.raises(ImportFailed, match="no such file"):
        import_questions(tmp_path / "missing.csv")
    with pytest.raises(ImportFailed, match="no question below the header"):
        import_questions(write_csv(tmp_path / "header-only.csv", rows=[]))
    latin = tmp_path / "latin.csv"
    latin.write_bytes(",".join(HEADER).encode() + b"\nCS-DESK,1,Gr\xfc\xdfe?,a,b,,1\n")
    with pytest.raises(ImportFailed, match="not UTF-8"):
        import_questions(latin)
    with pytest.raises(ImportFailed, match=r"--sheet is for \.xlsx files only"):
        import_questions(write_csv(tmp_path / "bank.csv"), sheet="Bank")


def test_dry_run_counts_and_writes_nothing(tmp_path):
    path = write_csv(tmp_path / "bank.csv")
    result = import_questions(path, dry_run=True)
    assert (result.added, result.updated, result.unchanged) == (3, 0, 0)
    assert not ExamQuestion.objects.exists()

    import_questions(path)
    before = list(ExamQuestion.objects.order_by("pk").values_list("pk", "choices", "correct"))
    changed = [[*GOOD[0][:6], "3"], *GOOD[1:], ["CS-DESK", "1", "New?", "a", "b", "", "2"]]
    result = import_questions(write_csv(tmp_path / "changed.csv", rows=changed), dry_run=True)
    assert (result.added, result.updated, result.unchanged) == (1, 1, 2)
    after = list(ExamQuestion.objects.order_by("pk").values_list("pk", "choices", "correct"))
    assert after == before


def test_reimport_updates_instead_of_duplicating(tmp_path):
    path = write_csv(tmp_path / "bank.csv")
    import_questions(path)
    ids = dict(ExamQuestion.objects.values_list("text", "pk"))

    result = import_questions(path)
    assert (result.added, result.updated, result.unchanged) == (0, 0, 3)
    assert ExamQuestion.objects.count() == 3

    corrected = [
        ["CS-DESK", "2", "Where does a new ticket land?", "Inbox", "Queue", "", "2"],
        *GOOD[1:],
        ["CS-DESK", "2", "  A new one?  ", "yes", "no", "", "1"],
    ]
    result = import_questions(write_csv(tmp_path / "corrected.csv", rows=corrected))
    assert (result.added, result.updated, result.unchanged) == (1, 1, 2)
    assert ExamQuestion.objects.count() == 4
    question = ExamQuestion.objects.get(text="Where does a new ticket land?")
    assert question.pk == ids["Where does a new ticket land?"]
    assert (question.choices, question.correct) == (["Inbox", "Queue"], 1)
    # The text is stored trimmed, so the next import finds it again.
    assert import_questions(write_csv(tmp_path / "again.csv", rows=corrected)).unchanged == 4


def test_question_typed_in_earlier_is_updated_too(tmp_path):
    manager = f.user(Role.SERVICE_DESK_MANAGER)
    skill = Skill.objects.get(
        framework__name=FRAMEWORK_NAME, framework__state=FrameworkState.PUBLISHED, code="CS-DESK"
    )
    typed, again = (
        exam_question_create(
            actor=manager,
            skill=skill,
            level=2,
            text="Where does a new ticket land?",
            choices=["Nowhere", "Queue"],
            correct=0,
        )
        for _ in range(2)
    )
    result = import_questions(write_csv(tmp_path / "bank.csv"))
    assert (result.added, result.updated) == (2, 1)
    typed.refresh_from_db()
    assert (typed.choices, typed.correct) == (["Queue", "Inbox", "Archive"], 0)
    # The bank held it twice (typed in twice): the oldest takes the file's answers.
    again.refresh_from_db()
    assert (again.choices, again.correct) == (["Nowhere", "Queue"], 0)


def test_framework_option_published_before_draft(tmp_path):
    ours = framework_create(actor=None, name="Ours")
    skill_create(actor=None, framework=ours, code="OWN", name="Own skill", category="technical")
    rows = [["OWN", "1", "Ours?", "yes", "no", "", "1"], GOOD[0]]
    path = write_csv(tmp_path / "ours.csv", rows=rows)

    # Nothing of Ours is published yet: its draft's skills take the questions.
    result = import_questions(path, framework="Ours")
    assert result.framework == ours
    assert result.added == 1
    assert reasons(result) == {3: "skill_code not a skill of Ours v1"}
    assert ExamQuestion.objects.get().skill.framework == ours

    # With a draft of the next version open, the published version is used.
    draft = framework_new_version(
        actor=None,
        framework=Framework.objects.get(name=FRAMEWORK_NAME, state=FrameworkState.PUBLISHED),
    )
    result = import_questions(write_csv(tmp_path / "builtin.csv"))
    assert result.framework.state == FrameworkState.PUBLISHED
    assert result.framework != draft
    assert result.added == 3
    assert not ExamQuestion.objects.filter(skill__framework=draft).exists()

    with pytest.raises(ImportFailed, match=r"--framework 'Theirs': no published or draft .*Ours"):
        import_questions(path, framework="Theirs")


def test_import_is_atomic(tmp_path, monkeypatch):
    calls = []

    def fail_on_third(**kwargs):
        calls.append(kwargs["text"])
        if len(calls) == 3:
            raise ValidationFailed("the database refused it", field="text")
        return exam_question_create(**kwargs)

    monkeypatch.setattr(question_import, "exam_question_create", fail_on_third)
    with pytest.raises(ValidationFailed):
        import_questions(write_csv(tmp_path / "bank.csv"))
    assert len(calls) == 3
    assert not ExamQuestion.objects.exists()


def test_update_service_keeps_the_rules_and_the_permission():
    skill = Skill.objects.get(
        framework__name=FRAMEWORK_NAME, framework__state=FrameworkState.PUBLISHED, code="CS-DESK"
    )
    question = exam_question_create(
        actor=None, skill=skill, level=1, text="Q?", choices=["a", "b"], correct=1
    )
    with pytest.raises(PermissionDenied):
        exam_question_update(
            actor=f.user(Role.HOTLINE_OPERATOR), question=question, choices=["x", "y"], correct=0
        )
    with pytest.raises(ValidationFailed, match="2 to 10 answers"):
        exam_question_update(actor=None, question=question, choices=["only"], correct=0)
    with pytest.raises(ValidationFailed, match="counted from 0"):
        exam_question_update(actor=None, question=question, choices=["x", "y"], correct=2)
    exam_question_update(
        actor=f.user(Role.SERVICE_DESK_MANAGER), question=question, choices=[" x ", "y"], correct=0
    )
    question.refresh_from_db()
    assert (question.choices, question.correct) == (["x", "y"], 0)


def run(*args):
    out = StringIO()
    call_command("competency", "questions", "import", *args, stdout=out)
    return out.getvalue()


def test_command_reports_counts_and_skips(tmp_path):
    rows = [*GOOD, ["NOPE", "1", "Unknown?", "a", "b", "", "1"]]
    path = write_xlsx(tmp_path / "bank.xlsx", rows=rows, sheet="Questions", first_sheet="Notes")

    text = run(str(path), "--sheet", "Questions", "--dry-run")
    assert text.startswith(
        f"Would import questions into {FRAMEWORK_NAME} v1 (published): "
        "3 added, 0 updated, 0 unchanged; skipped 1 row(s)."
    )
    assert f"  row 5: skill_code not a skill of {FRAMEWORK_NAME} v1 (NOPE)" in text
    assert not ExamQuestion.objects.exists()

    text = run(str(path), "--sheet", "Questions")
    assert text.startswith(f"Imported questions into {FRAMEWORK_NAME} v1 (published): 3 added")
    text = run(str(path), "--sheet", "Questions", "--framework", FRAMEWORK_NAME)
    assert "0 added, 0 updated, 3 unchanged; skipped 1 row(s)." in text
    assert ExamQuestion.objects.count() == 3


def test_command_errors(tmp_path):
    with pytest.raises(CommandError, match="Bad header: missing column"):
        run(str(write_csv(tmp_path / "h.csv", header=["skill_code", "question"])))
    with pytest.raises(CommandError, match="no published or draft version"):
        run(str(write_csv(tmp_path / "ok.csv")), "--framework", "Nope")
    out = StringIO()
    with pytest.raises(CommandError, match="No row could be imported; nothing was written"):
        call_command(
            "competency",
            "questions",
            "import",
            str(write_csv(tmp_path / "none.csv", rows=[["NOPE", "1", "Q?", "a", "b", "", "1"]])),
            stdout=out,
        )
    assert "row 2: skill_code not a skill of" in out.getvalue()
    assert not ExamQuestion.objects.exists()
