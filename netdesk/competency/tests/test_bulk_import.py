"""Framework writes by the thousand (services/bulk.py): the same checks and
reasons as the one-at-a-time services, a refused item skipped while the rest
is written, a frozen framework refused whole, and a number of queries that
does not grow with the number of skills."""

import csv
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from netdesk.competency.framework_file import SkillRow
from netdesk.competency.importers import ImportResult, _write_skills, import_framework
from netdesk.competency.models import (
    Framework,
    Indicator,
    LevelDescriptor,
    ProfileRequirement,
    RoleProfile,
    Skill,
)
from netdesk.competency.services.bulk import (
    IndicatorGiven,
    LevelGiven,
    ProfileGiven,
    RequirementGiven,
    SkillGiven,
    profiles_import,
    skills_import,
)
from netdesk.competency.services.framework import (
    FrameworkFrozen,
    framework_create,
    framework_publish,
)
from netdesk.competency.services.profiles import profile_create, requirement_set
from netdesk.competency.services.skills import indicator_create, level_set, skill_create
from netdesk.core.errors import ServiceError

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft() -> Framework:
    return framework_create(actor=None, name="Bulk")


GOOD = SkillGiven(
    code="GOOD",
    name="Good",
    category="technical",
    external_codes={"sfia": "CSMG"},
    levels=[
        LevelGiven(level=1, description="One", title="Learning"),
        LevelGiven(level=9, description="Nine"),
        LevelGiven(level=2, description="   "),
        LevelGiven(level=1, description="One again"),
    ],
    indicators=[
        IndicatorGiven(level=1, text="Greets", evidence=["observation"]),
        IndicatorGiven(level=2, text="Guesses", evidence=["rumour"]),
        IndicatorGiven(level=2, text="Fast", evidence=["observation"], kpi_rule={"kpi": "x"}),
        IndicatorGiven(
            level=3,
            text="Answers fast",
            evidence=["kpi"],
            kpi_rule={"kpi": "response.rate", "at_least": 20},
        ),
    ],
)
REFUSED = [
    SkillGiven(code="no spaces", name="Spaces", category="technical"),
    SkillGiven(code="NONAME", name="  ", category="technical"),
    SkillGiven(code="MAGIC", name="Magic", category="magic"),
    SkillGiven(code="SCALE", name="Scale", category="technical", scale_min=5, scale_max=3),
    SkillGiven(code="EXT", name="Ext", category="technical", external_codes={"sfia": ""}),
    SkillGiven(code="GOOD", name="Good again", category="technical"),
]
LATER = [
    SkillGiven(code="CHILD", name="Child", category="technical", parent_code="GOOD"),
    SkillGiven(code="ORPHAN", name="Orphan", category="technical", parent_code="LATER"),
    SkillGiven(code="LATER", name="Later", category="behavioural"),
]


def test_skills_import_refuses_what_the_single_services_refuse_and_writes_the_rest(draft):
    given = [GOOD, *REFUSED, *LATER]

    written = skills_import(actor=None, framework=draft, skills=given)

    skills = {s.code: s for s in Skill.objects.filter(framework=draft)}
    assert set(skills) == {"GOOD", "CHILD", "ORPHAN", "LATER"}
    assert {i: s.code for i, s in written.skills.items()} == {
        0: "GOOD",
        7: "CHILD",
        8: "ORPHAN",
        9: "LATER",
    }
    assert skills["CHILD"].parent == skills["GOOD"]
    assert skills["ORPHAN"].parent is None
    assert skills["GOOD"].external_codes == {"sfia": "CSMG"}
    assert [(r.index, r.part, r.position) for r in written.refused] == [
        (0, "level", 1),
        (0, "level", 2),
        (0, "indicator", 1),
        (0, "indicator", 2),
        *[(index, "skill", 0) for index in range(1, 7)],
        (8, "parent", 0),
    ]
    # A level given twice replaces the first, as level_set does.
    levels = LevelDescriptor.objects.filter(skill=skills["GOOD"])
    assert list(levels.values_list("level", "title", "description")) == [(1, "", "One again")]
    indicators = Indicator.objects.filter(skill=skills["GOOD"]).order_by("pk")
    assert list(indicators.values_list("text", "evidence", "kpi_rule")) == [
        ("Greets", ["observation"], {}),
        ("Answers fast", ["kpi"], {"kpi": "response.rate", "at_least": 20}),
    ]
    assert (written.levels, written.indicators) == (1, 2)
    for refusal in written.refused[4:10]:
        item = given[refusal.index]
        with pytest.raises(ServiceError) as single:
            skill_create(
                actor=None,
                framework=draft,
                code=item.code,
                name=item.name,
                category=item.category,
                scale_min=item.scale_min,
                scale_max=item.scale_max,
                external_codes=item.external_codes,
            )
        assert single.value.message == refusal.error.message
    good = skills["GOOD"]
    for refusal, (level, text) in zip(written.refused[:2], [(9, "Nine"), (2, "   ")], strict=True):
        with pytest.raises(ServiceError) as single:
            level_set(actor=None, skill=good, level=level, description=text)
        assert single.value.message == refusal.error.message
    for refusal in written.refused[2:4]:
        bad = GOOD.indicators[refusal.position]
        with pytest.raises(ServiceError) as single:
            indicator_create(
                actor=None,
                skill=good,
                level=bad.level,
                text=bad.text,
                evidence=bad.evidence,
                kpi_rule=bad.kpi_rule,
            )
        assert single.value.message == refusal.error.message


def test_profiles_import_refuses_what_the_single_services_refuse(draft):
    skills_import(actor=None, framework=draft, skills=[GOOD, *LATER])
    profile_create(actor=None, framework=draft, name="Existing")
    given = [
        ProfileGiven(
            name="Agent",
            description="Takes calls",
            requirements=[
                RequirementGiven(skill_code="GOOD", min_level=2),
                RequirementGiven(skill_code="NOPE", min_level=1),
                RequirementGiven(skill_code="LATER", min_level=9),
                RequirementGiven(skill_code="CHILD", min_level=1, hard=False),
                RequirementGiven(skill_code="GOOD", min_level=3),
            ],
        ),
        ProfileGiven(name="Existing"),
        ProfileGiven(name="Agent"),
        ProfileGiven(name=""),
    ]

    written = profiles_import(actor=None, framework=draft, profiles=given)

    assert [(r.index, r.part, r.position) for r in written.refused] == [
        (0, "requirement", 1),
        (0, "requirement", 2),
        (1, "profile", 0),
        (2, "profile", 0),
        (3, "profile", 0),
    ]
    assert written.refused[0].error.field == "skill_code"
    assert list(written.profiles) == [0]
    needs = ProfileRequirement.objects.filter(profile=written.profiles[0]).order_by("pk")
    # A skill required twice keeps the later level, as requirement_set does.
    assert [(r.skill.code, r.min_level, r.hard) for r in needs] == [
        ("GOOD", 3, True),
        ("CHILD", 1, False),
    ]
    agent = RoleProfile.objects.get(framework=draft, name="Agent")
    with pytest.raises(ServiceError) as single:
        requirement_set(
            actor=None, profile=agent, skill=Skill.objects.get(code="LATER"), min_level=9
        )
    assert single.value.message == written.refused[1].error.message
    for refusal in written.refused[2:]:
        with pytest.raises(ServiceError) as single:
            profile_create(actor=None, framework=draft, name=given[refusal.index].name)
        assert single.value.message == refusal.error.message


def test_a_published_framework_is_refused_whole(draft):
    skills_import(actor=None, framework=draft, skills=[GOOD])
    framework_publish(actor=None, framework=draft)
    stale = Framework.objects.get(pk=draft.pk)
    stale.state = "draft"  # loaded before it was published

    with pytest.raises(FrameworkFrozen):
        skills_import(actor=None, framework=stale, skills=[LATER[2]])
    with pytest.raises(FrameworkFrozen):
        profiles_import(actor=None, framework=stale, profiles=[ProfileGiven(name="Agent")])

    assert list(Skill.objects.filter(framework=draft).values_list("code", flat=True)) == ["GOOD"]
    assert not RoleProfile.objects.filter(framework=draft).exists()


def test_the_importer_reports_a_refused_skill_and_its_child_kept_at_the_top(draft):
    rows = [
        SkillRow(2, "TOP", "Top", "magic", "", "", None, None, "external", "", ""),
        SkillRow(3, "BELOW", "Below", "technical", "TOP", "", None, None, "external", "", ""),
    ]
    result = ImportResult()

    assert _write_skills(draft, rows, result, {}) == {"BELOW"}

    assert [(s.row, s.reason, s.value) for s in result.skipped] == [
        (2, "skill not imported: category 'magic' is not one of the accepted values.", "TOP"),
        (3, "parent_code was not imported; kept at the top", "TOP"),
    ]
    assert Skill.objects.get(framework=draft, code="BELOW").parent is None


COLUMNS = ["skill_code", "skill_name", "parent_code", "level", "level_description"]
COLUMNS += ["indicator", "evidence", "kpi", "kpi_at_least"]


def framework_files(folder: Path, skills: int) -> tuple[Path, Path]:
    """`skills` skills in groups of five, each with two levels and two
    indicators (one with a KPI rule), and a profile per five skills."""
    framework = folder / f"framework-{skills}.csv"
    profiles = folder / f"profiles-{skills}.csv"
    with framework.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for number in range(skills):
            code = f"S{number}"
            parent = "" if number % 5 == 0 else f"S{number - number % 5}"
            writer.writerow([code, f"Skill {number}", parent, "1", "One", "Greets", "", "", ""])
            writer.writerow([code, "", "", "2", "Two", "Fast", "kpi", "response.rate", "0.8"])
    with profiles.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["profile", "skill_code", "min_level"])
        writer.writerows([f"Profile {n // 5}", f"S{n}", "2"] for n in range(skills))
    return framework, profiles


def test_the_number_of_queries_does_not_grow_with_the_number_of_skills(tmp_path):
    counts = {}
    for skills in (10, 200):
        framework, profiles = framework_files(tmp_path, skills)
        with CaptureQueriesContext(connection) as queries:
            result = import_framework(framework, name=f"N{skills}", profiles=profiles)
        assert result.skipped == []
        assert (result.skills, result.levels, result.indicators) == (skills, 2 * skills, 2 * skills)
        assert (result.profiles, result.requirements) == (skills // 5, skills)
        counts[skills] = len(queries)

    assert counts[200] == counts[10]
    assert counts[10] < 30
