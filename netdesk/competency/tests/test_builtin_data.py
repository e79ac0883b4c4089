"""The built-in framework is data: its files are read by the framework
importer. Migration 0002 and the importer both write exactly the framework,
skills, level descriptors, indicators and role profiles of the snapshot
`builtin_snapshot.json` (taken when the framework was still written out as
Python literals). The importer's role profiles file and its other columns."""

import csv
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from netdesk.competency import builtin, builtin_install
from netdesk.competency.importers import ImportResult, import_framework, read_framework
from netdesk.competency.models import (
    Framework,
    Indicator,
    LevelDescriptor,
    ProfileRequirement,
    RoleProfile,
    Skill,
)
from netdesk.core.errors import ImportFailed

pytestmark = pytest.mark.django_db

SNAPSHOT = Path(__file__).with_name("builtin_snapshot.json")
NAME = "NetDesk network customer service"


def installed(name: str = NAME) -> dict[str, Any]:
    """Everything the built-in framework's version 1 holds, in creation
    order, with JSON fields as the database gives them back."""
    framework = Framework.objects.get(name=name, version=1)
    skills = Skill.objects.filter(framework=framework).order_by("pk")
    code = {s.pk: s.code for s in skills}
    profiles = RoleProfile.objects.filter(framework=framework).order_by("pk")
    return {
        "framework": {
            "name": framework.name,
            "version": framework.version,
            "state": framework.state,
            "description": framework.description,
            "source": framework.source,
            "published": framework.published_at is not None,
        },
        "skills": [
            {
                "code": s.code,
                "name": s.name,
                "category": s.category,
                "parent": code.get(s.parent_id) if s.parent_id else None,
                "description": s.description,
                "scale": [s.scale_min, s.scale_max],
                "external_codes": s.external_codes,
            }
            for s in skills
        ],
        "levels": [
            [code[d.skill_id], d.level, d.title, d.description]
            for d in LevelDescriptor.objects.filter(skill__framework=framework).order_by("pk")
        ],
        "indicators": [
            [code[i.skill_id], i.level, i.text, i.evidence, i.kpi_rule]
            for i in Indicator.objects.filter(skill__framework=framework).order_by("pk")
        ],
        "profiles": [
            {
                "name": p.name,
                "description": p.description,
                "requirements": [
                    [code[r.skill_id], r.min_level, r.hard]
                    for r in ProfileRequirement.objects.filter(profile=p).order_by("pk")
                ],
            }
            for p in profiles
        ],
    }


def as_json(data: dict[str, Any]) -> str:
    """Number types count (20 and 20.0 differ); key order does not, as
    PostgreSQL's jsonb keeps its own."""
    return json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


@pytest.fixture(autouse=True)
def _builtin_framework(db):
    """Migration 0002 installed it; a transactional test run earlier may
    have flushed the tables."""
    builtin_install.install(apps, published_at=timezone.now())


def test_migration_0002_installs_the_snapshot():
    assert as_json(installed()) == SNAPSHOT.read_text()


def test_the_shipped_files_have_no_unusable_row():
    result = ImportResult()
    shipped = read_framework(builtin.FRAMEWORK_FILE, result=result, profiles=builtin.PROFILES_FILE)
    assert result.skipped == []
    assert len(shipped.skills) == 28
    assert len(shipped.profiles) == 7


def test_the_importer_writes_the_shipped_files_as_the_snapshot_through_the_services():
    result = import_framework(
        builtin.FRAMEWORK_FILE,
        name="Built-in copy",
        description=builtin.FRAMEWORK_DESCRIPTION,
        profiles=builtin.PROFILES_FILE,
        source=builtin.FRAMEWORK_SOURCE,
        publish=True,
    )
    assert result.skipped == []
    copy = installed("Built-in copy")
    copy["framework"]["name"] = NAME
    assert as_json(copy) == SNAPSHOT.read_text()


def write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


SKILLS = ["skill_code", "skill_name", "external_scheme", "external_code", "level"]
SKILLS += ["level_description", "indicator", "evidence", "kpi", "kpi_at_least"]


def test_role_profiles_file_with_skips_naming_the_file(tmp_path):
    skills = write(
        tmp_path / "skills.csv",
        SKILLS,
        [
            ["LANG-FR", "French", "iso639", "fr", "1", "Greets", "", "", "", ""],
            [
                "CALLS",
                "Calls",
                "",
                "",
                "2",
                "Closes",
                "Closes calls",
                "kpi",
                "tickets_closed",
                "20",
            ],
            ["CALLS", "", "", "", "3", "", "Answers fast", "kpi", "response.rate", "0.8"],
            ["ODD", "Odd scheme", "Not a scheme", "x", "", "", "", "", "", ""],
        ],
    )
    profiles = write(
        tmp_path / "roles.csv",
        ["profile", "profile_description", "skill_code", "min_level", "requirement"],
        [
            ["Agent", "Takes calls", "CALLS", "2", "required"],
            ["Agent", "", "LANG-FR", "1", "preferred"],
            ["Agent", "", "NOPE", "1", ""],
            ["Agent", "", "CALLS", "3", ""],
            ["Agent", "", "LANG-FR", "9", ""],
            ["Lead", "", "CALLS", "3", "maybe"],
        ],
    )
    result = import_framework(skills, name="Ours", profiles=profiles)
    skipped = {(s.file, s.row): s.reason for s in result.skipped}
    assert skipped == {
        ("", 5): "external_scheme is not a scheme name (a-z, 0-9, _ -, not netdesk)",
        ("roles.csv", 4): "skill_code is not a skill of the framework file",
        ("roles.csv", 5): "Agent names CALLS twice",
        ("roles.csv", 6): "min_level is not a level of LANG-FR's scale",
        ("roles.csv", 7): "requirement not one of required, preferred",
    }
    assert (result.skills, result.profiles, result.requirements) == (2, 2, 2)
    framework = result.framework
    skill = Skill.objects.get(framework=framework, code="LANG-FR")
    assert skill.external_codes == {"iso639": "fr"}
    rules = Indicator.objects.filter(skill__framework=framework).order_by("pk")
    # A whole number stays whole (20, not 20.0).
    assert [json.dumps(i.kpi_rule, sort_keys=True) for i in rules] == [
        '{"at_least": 20, "kpi": "tickets_closed"}',
        '{"at_least": 0.8, "kpi": "response.rate"}',
    ]
    needs = ProfileRequirement.objects.filter(profile__framework=framework).order_by("pk")
    assert [(r.profile.name, r.skill.code, r.min_level, r.hard) for r in needs] == [
        ("Agent", "CALLS", 2, True),
        ("Agent", "LANG-FR", 1, False),
    ]
    assert RoleProfile.objects.get(framework=framework, name="Agent").description == "Takes calls"


def test_a_profiles_file_with_a_bad_header_writes_nothing(tmp_path):
    skills = write(tmp_path / "skills.csv", SKILLS[:2], [["CALLS", "Calls"]])
    profiles = write(tmp_path / "roles.csv", ["profile", "skill"], [["Agent", "CALLS"]])
    with pytest.raises(ImportFailed, match=r"missing column.*skill_code, min_level"):
        import_framework(skills, name="Ours", profiles=profiles)
    assert not Framework.objects.filter(name="Ours").exists()


def test_the_command_imports_role_profiles_and_names_the_file_of_a_skipped_row(tmp_path):
    profiles = write(
        tmp_path / "roles.csv",
        ["profile", "skill_code", "min_level"],
        [["Agent", "CS-INTERACT", "2"], ["Agent", "NOPE", "1"]],
    )
    out = StringIO()
    call_command(
        "competency",
        "import",
        str(builtin.FRAMEWORK_FILE),
        "--name",
        "Ours",
        "--profiles",
        str(profiles),
        "--dry-run",
        stdout=out,
    )
    text = out.getvalue()
    assert "Would import Ours v1 (draft): 28 skills, 104 level descriptors" in text
    assert ", 1 role profiles; skipped 1 row(s)." in text
    assert "roles.csv row 3: skill_code is not a skill of the framework file (NOPE)" in text
    assert not Framework.objects.filter(name="Ours").exists()


def test_what_the_framework_services_refuse_is_skipped_with_their_reason(tmp_path):
    """A level of 12 widens the scale past what a skill may have (10): the
    services refuse the skill, the import says so and keeps the rest."""
    skills = write(
        tmp_path / "skills.csv",
        SKILLS[:6],
        [
            ["WIDE", "Too wide", "", "", "12", "Beyond the scale"],
            ["OK", "Fine", "", "", "2", "Works"],
        ],
    )
    result = import_framework(skills, name="Ours")
    assert [(s.row, s.reason) for s in result.skipped] == [
        (2, "skill not imported: Scale 1 to 12 is not accepted.")
    ]
    assert list(
        Skill.objects.filter(framework=result.framework).values_list("code", flat=True)
    ) == ["OK"]
    assert result.levels == 1
