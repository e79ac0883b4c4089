"""Frameworks: the built-in one, drafts, new versions that copy everything,
publishing, and the freeze: no write reaches a published version."""

import pytest
from django.test import Client

from netdesk.accounts.models import Role
from netdesk.assessments.models import ExamQuestion
from netdesk.competency import builtin, builtin_install
from netdesk.competency import builtin_install as shipped
from netdesk.competency.models import (
    AgentProfile,
    Framework,
    FrameworkState,
    Indicator,
    LevelDescriptor,
    ProfileRequirement,
    RoleProfile,
    Skill,
)
from netdesk.competency.services import framework as fw
from netdesk.competency.services import profiles as profile_services
from netdesk.competency.services import skills as skill_services
from netdesk.competency.services.framework import FrameworkFrozen
from netdesk.core.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _builtin_framework(db):
    """The built-in framework as migration 0002 installs it (a transactional
    test run earlier may have flushed the tables)."""
    from django.apps import apps
    from django.utils import timezone as tz

    shipped.install(apps, published_at=tz.now())


def builtin_framework() -> Framework:
    return Framework.objects.get(name=builtin.FRAMEWORK_NAME, version=1)


@pytest.fixture
def manager():
    return f.user(Role.SERVICE_DESK_MANAGER)


def api(user):
    return Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(user)}")


# ---- the built-in framework -------------------------------------------------------


def test_builtin_framework_is_installed_published_with_seven_profiles():
    framework = builtin_framework()
    assert framework.state == FrameworkState.PUBLISHED
    assert framework.is_frozen
    assert framework.source == "built-in"
    names = set(RoleProfile.objects.filter(framework=framework).values_list("name", flat=True))
    assert names == {
        "Hotline operator",
        "Network service representative",
        "NOC engineer",
        "Field engineer",
        "Team lead",
        "Network service manager",
        "Group account manager",
    }
    assert set(builtin.ROLE_DEFAULT_PROFILE.values()) <= names


def test_builtin_framework_covers_the_seed_competencies():
    names = {s.name.lower() for s in Skill.objects.filter(framework=builtin_framework())}
    for wanted in (
        "complaint resolution",
        "escalation management",
        "customer interaction",
        "user support",
        "liaising with customer service on network problems",
        "service desk management",
        "key account management",
        "digital literacy",
        "planning and organising",
    ):
        assert wanted in names


def test_builtin_skills_have_every_level_described_and_indicators_with_evidence():
    framework = builtin_framework()
    skills = Skill.objects.filter(framework=framework, children__isnull=True).distinct()
    assert skills.count() >= 20
    categories = set(skills.values_list("category", flat=True))
    assert categories == {"technical", "behavioural", "product", "language", "certification"}
    for skill in skills:
        levels = set(skill.levels.values_list("level", flat=True))
        assert levels == set(range(skill.scale_min, skill.scale_max + 1)), skill.code
        indicators = list(skill.indicators.all())
        assert indicators, skill.code
        for indicator in indicators:
            assert indicator.evidence
            assert set(indicator.evidence) <= {
                "observation",
                "exam",
                "interview",
                "kpi",
                "document",
            }
            if indicator.kpi_rule:
                assert "kpi" in indicator.evidence
    assert any(
        "kpi" in evidence
        for evidence in Indicator.objects.filter(skill__framework=framework).values_list(
            "evidence", flat=True
        )
    )
    # Mapped to the licensed frameworks by code only.
    codes = {s.code: s.external_codes for s in Skill.objects.filter(framework=framework)}
    assert codes["CS-DESK"] == {"sfia": "CSMG"}
    assert codes["CS-SUPPORT"] == {"ecf": "C.1"}


def test_builtin_text_is_not_the_seed_text():
    """Descriptors are NetDesk's own words: no sentence of the seed profiles
    (SFIA in particular) is shipped."""
    seed_sentences = [
        "Receives and handles requests for service, following agreed procedures",
        "Drafts and maintains policy, standards and procedures for the customer service",
        "Routinely interacts with users, applies ICT product basic knowledge",
        "Identifies the importance of showing empathy in handling customer complaints",
        "Knows how to use the escalation matrix to identify escalation level",
        "Lists software, tools, and sources in finding credible digital information",
        "Explains the importance of planning and organization",
        "General Familiarity",
    ]
    shipped = " ".join(
        [
            *LevelDescriptor.objects.values_list("description", flat=True),
            *LevelDescriptor.objects.values_list("title", flat=True),
            *Indicator.objects.values_list("text", flat=True),
            *Skill.objects.values_list("description", flat=True),
        ]
    ).lower()
    for sentence in seed_sentences:
        assert sentence.lower() not in shipped


def test_install_is_idempotent():
    from django.apps import apps
    from django.utils import timezone

    builtin_install.install(apps, published_at=timezone.now())
    assert Framework.objects.filter(name=builtin.FRAMEWORK_NAME).count() == 1


# ---- the freeze -------------------------------------------------------------------


def test_every_write_to_a_published_framework_is_refused(manager):
    framework = builtin_framework()
    skill = Skill.objects.get(framework=framework, code="CS-COMPLAINT")
    indicator = skill.indicators.first()
    assert indicator is not None
    profile = RoleProfile.objects.get(framework=framework, name="Hotline operator")
    writes = [
        lambda: fw.framework_update(actor=manager, framework=framework, description="x"),
        lambda: fw.framework_delete(actor=manager, framework=framework),
        lambda: skill_services.skill_create(
            actor=manager, framework=framework, code="NEW", name="New", category="technical"
        ),
        lambda: skill_services.skill_update(actor=manager, skill=skill, name="Renamed"),
        lambda: skill_services.skill_delete(actor=manager, skill=skill),
        lambda: skill_services.level_set(
            actor=manager, skill=skill, level=1, description="changed"
        ),
        lambda: skill_services.level_delete(actor=manager, skill=skill, level=1),
        lambda: skill_services.indicator_create(
            actor=manager, skill=skill, level=1, text="x", evidence=["observation"]
        ),
        lambda: skill_services.indicator_update(actor=manager, indicator=indicator, text="changed"),
        lambda: skill_services.indicator_delete(actor=manager, indicator=indicator),
        lambda: profile_services.profile_create(actor=manager, framework=framework, name="Another"),
        lambda: profile_services.profile_update(actor=manager, profile=profile, name="Renamed"),
        lambda: profile_services.profile_delete(actor=manager, profile=profile),
        lambda: profile_services.requirement_set(
            actor=manager, profile=profile, skill=skill, min_level=5
        ),
        lambda: profile_services.requirement_delete(actor=manager, profile=profile, skill=skill),
    ]
    before = (
        Skill.objects.filter(framework=framework).count(),
        LevelDescriptor.objects.filter(skill__framework=framework).count(),
        Indicator.objects.filter(skill__framework=framework).count(),
        ProfileRequirement.objects.filter(profile__framework=framework).count(),
    )
    for write in writes:
        with pytest.raises(FrameworkFrozen) as caught:
            write()
        assert "new version" in caught.value.message
        assert caught.value.status == 409
    after = (
        Skill.objects.filter(framework=framework).count(),
        LevelDescriptor.objects.filter(skill__framework=framework).count(),
        Indicator.objects.filter(skill__framework=framework).count(),
        ProfileRequirement.objects.filter(profile__framework=framework).count(),
    )
    assert before == after
    skill.refresh_from_db()
    assert skill.name == "Complaint resolution"


def test_frozen_write_over_the_api_is_a_409_problem(manager):
    framework = builtin_framework()
    client = api(manager)
    response = client.post(
        f"/api/v1/competency/frameworks/{framework.pk}/skills",
        {"code": "NEW", "name": "New", "category": "technical"},
        content_type="application/json",
    )
    assert response.status_code == 409
    body = response.json()
    assert body["type"].endswith("/framework-frozen")
    assert "frozen" in body["title"]
    skill = Skill.objects.get(framework=framework, code="CS-COMPLAINT")
    response = client.put(
        f"/api/v1/competency/skills/{skill.pk}/levels/2",
        {"description": "changed"},
        content_type="application/json",
    )
    assert response.status_code == 409


# ---- versions -----------------------------------------------------------------------


def test_new_version_copies_everything_into_a_draft(manager, django_assert_max_num_queries):
    framework = builtin_framework()
    complaint = Skill.objects.get(framework=framework, code="CS-COMPLAINT")
    ExamQuestion.objects.create(
        skill=complaint, level=2, text="First step?", choices=["Listen", "Refund"], correct=0
    )
    with django_assert_max_num_queries(21):
        draft = fw.framework_new_version(actor=manager, framework=framework)
    assert draft.state == FrameworkState.DRAFT
    assert draft.version == 2
    assert draft.name == framework.name

    def shape(fr):
        skills = {
            s.code: (
                s.name,
                s.category,
                s.parent.code if s.parent else None,
                s.scale_min,
                s.scale_max,
                s.external_codes,
            )
            for s in Skill.objects.filter(framework=fr).select_related("parent")
        }
        levels = sorted(
            LevelDescriptor.objects.filter(skill__framework=fr).values_list(
                "skill__code", "level", "title", "description"
            )
        )
        indicators = sorted(
            (code, level, text, tuple(evidence), tuple(sorted(rule.items())))
            for code, level, text, evidence, rule in Indicator.objects.filter(
                skill__framework=fr
            ).values_list("skill__code", "level", "text", "evidence", "kpi_rule")
        )
        requirements = sorted(
            ProfileRequirement.objects.filter(profile__framework=fr).values_list(
                "profile__name", "skill__code", "min_level", "hard"
            )
        )
        questions = sorted(
            (code, level, text, tuple(choices), correct)
            for code, level, text, choices, correct in ExamQuestion.objects.filter(
                skill__framework=fr
            ).values_list("skill__code", "level", "text", "choices", "correct")
        )
        return skills, levels, indicators, requirements, questions

    assert shape(draft) == shape(framework)
    assert shape(draft)[4] == [("CS-COMPLAINT", 2, "First step?", ("Listen", "Refund"), 0)]
    # The copies are new rows pointing into the draft.
    assert not Skill.objects.filter(framework=draft, parent__framework=framework).exists()
    assert not ProfileRequirement.objects.filter(
        profile__framework=draft, skill__framework=framework
    ).exists()


def test_draft_can_be_edited_then_published_which_retires_the_old_version(manager):
    framework = builtin_framework()
    hotline = f.user(Role.HOTLINE_OPERATOR)
    old_profile = RoleProfile.objects.get(framework=framework, name="Hotline operator")
    AgentProfile.objects.create(agent=hotline, profile=old_profile, assigned_at="2026-01-01T00:00Z")

    draft = fw.framework_new_version(actor=manager, framework=framework)
    parent = Skill.objects.get(framework=draft, code="NET")
    skill = skill_services.skill_create(
        actor=manager,
        framework=draft,
        code="NET-GPON",
        name="GPON operations",
        category="technical",
        parent=parent,
    )
    skill_services.level_set(
        actor=manager, skill=skill, level=1, title="Learning", description="Reads ONT states."
    )
    skill_services.indicator_create(
        actor=manager,
        skill=skill,
        level=1,
        text="Reads an ONT's optical level correctly.",
        evidence=["exam"],
    )
    profile = RoleProfile.objects.get(framework=draft, name="NOC engineer")
    profile_services.requirement_set(
        actor=manager, profile=profile, skill=skill, min_level=2, hard=False
    )

    published = fw.framework_publish(actor=manager, framework=draft)
    assert published.state == FrameworkState.PUBLISHED
    assert published.published_at is not None
    framework.refresh_from_db()
    assert framework.state == FrameworkState.RETIRED
    # The agent follows to the new version's profile of the same name.
    assert AgentProfile.objects.get(agent=hotline).profile.framework_id == published.pk
    # And the new version is frozen in turn.
    with pytest.raises(FrameworkFrozen):
        skill_services.level_set(actor=manager, skill=skill, level=2, description="more")
    with pytest.raises(TransitionNotAllowed):
        fw.framework_publish(actor=manager, framework=published)


def test_one_draft_at_a_time_and_versions_only_from_published(manager):
    framework = builtin_framework()
    draft = fw.framework_new_version(actor=manager, framework=framework)
    with pytest.raises(TransitionNotAllowed):
        fw.framework_new_version(actor=manager, framework=framework)
    with pytest.raises(TransitionNotAllowed):
        fw.framework_new_version(actor=manager, framework=draft)
    with pytest.raises(TransitionNotAllowed):
        fw.framework_create(actor=manager, name=framework.name)


def test_empty_draft_cannot_be_published_and_can_be_deleted(manager):
    draft = fw.framework_create(actor=manager, name="Empty")
    assert draft.version == 1
    with pytest.raises(ValidationFailed, match="no skills"):
        fw.framework_publish(actor=manager, framework=draft)
    fw.framework_delete(actor=manager, framework=draft)
    assert not Framework.objects.filter(name="Empty").exists()


def test_only_managers_configure():
    lead = f.user(Role.TEAM_LEAD)
    with pytest.raises(PermissionDenied):
        fw.framework_create(actor=lead, name="Mine")
    with pytest.raises(PermissionDenied):
        fw.framework_new_version(actor=lead, framework=builtin_framework())


# ---- skills in a draft -----------------------------------------------------------------


@pytest.fixture
def draft(manager):
    return fw.framework_create(actor=manager, name="Test framework")


def test_skill_rules(manager, draft):
    top = skill_services.skill_create(
        actor=manager, framework=draft, code="A", name="A", category="technical"
    )
    child = skill_services.skill_create(
        actor=manager, framework=draft, code="A.1", name="A1", category="product", parent=top
    )
    with pytest.raises(ValidationFailed, match="already has"):
        skill_services.skill_create(
            actor=manager, framework=draft, code="A", name="x", category="technical"
        )
    with pytest.raises(ValidationFailed):
        skill_services.skill_create(
            actor=manager, framework=draft, code="bad code", name="x", category="technical"
        )
    with pytest.raises(ValidationFailed):
        skill_services.skill_create(
            actor=manager, framework=draft, code="B", name="x", category="nonsense"
        )
    with pytest.raises(ValidationFailed):
        skill_services.skill_create(
            actor=manager,
            framework=draft,
            code="B",
            name="x",
            category="technical",
            scale_min=3,
            scale_max=2,
        )
    # A loop is refused.
    with pytest.raises(ValidationFailed, match="below it"):
        skill_services.skill_update(actor=manager, skill=top, parent=child)
    # A parent from another framework is refused.
    other = Skill.objects.get(framework=builtin_framework(), code="CS")
    with pytest.raises(ValidationFailed, match="another framework"):
        skill_services.skill_create(
            actor=manager, framework=draft, code="C", name="C", category="technical", parent=other
        )
    # Levels within the scale only; indicators need evidence; KPI rules need kpi evidence.
    with pytest.raises(ValidationFailed, match="outside the scale"):
        skill_services.level_set(actor=manager, skill=child, level=6, description="x")
    with pytest.raises(ValidationFailed):
        skill_services.indicator_create(actor=manager, skill=child, level=1, text="x", evidence=[])
    with pytest.raises(ValidationFailed):
        skill_services.indicator_create(
            actor=manager, skill=child, level=1, text="x", evidence=["rumour"]
        )
    with pytest.raises(ValidationFailed, match="'kpi'"):
        skill_services.indicator_create(
            actor=manager,
            skill=child,
            level=1,
            text="x",
            evidence=["observation"],
            kpi_rule={"kpi": "response.rate", "at_least": 0.8},
        )
    indicator = skill_services.indicator_create(
        actor=manager,
        skill=child,
        level=1,
        text="Responds on time",
        evidence=["kpi"],
        kpi_rule={"kpi": "response.rate", "at_least": 0.8},
    )
    assert indicator.kpi_rule == {"kpi": "response.rate", "at_least": 0.8}
    # The scale cannot shrink below what is described.
    with pytest.raises(ValidationFailed, match="outside"):
        skill_services.skill_update(actor=manager, skill=child, scale_min=2)
    # Deleting a skill takes the skills below it.
    skill_services.skill_delete(actor=manager, skill=top)
    assert not Skill.objects.filter(framework=draft).exists()


def test_requirement_must_use_a_skill_of_the_same_version(manager, draft):
    profile = profile_services.profile_create(actor=manager, framework=draft, name="Tester")
    other = Skill.objects.get(framework=builtin_framework(), code="CS-COMPLAINT")
    with pytest.raises(ValidationFailed, match="another framework"):
        profile_services.requirement_set(actor=manager, profile=profile, skill=other, min_level=2)
    skill = skill_services.skill_create(
        actor=manager, framework=draft, code="T", name="T", category="technical"
    )
    requirement = profile_services.requirement_set(
        actor=manager, profile=profile, skill=skill, min_level=3
    )
    assert requirement.hard
    again = profile_services.requirement_set(
        actor=manager, profile=profile, skill=skill, min_level=4, hard=False
    )
    assert again.pk == requirement.pk
    assert again.min_level == 4
    assert not again.hard
    with pytest.raises(ValidationFailed):
        profile_services.requirement_set(actor=manager, profile=profile, skill=skill, min_level=9)
    with pytest.raises(ValidationFailed, match="already has"):
        profile_services.profile_create(actor=manager, framework=draft, name="Tester")


# ---- API ------------------------------------------------------------------------------


def test_framework_api_lifecycle(manager):
    client = api(manager)
    listed = client.get("/api/v1/competency/frameworks").json()
    assert [f_["name"] for f_ in listed] == [builtin.FRAMEWORK_NAME]
    framework_id = listed[0]["id"]

    detail = client.get(f"/api/v1/competency/frameworks/{framework_id}").json()
    complaint = next(s for s in detail["skills"] if s["code"] == "CS-COMPLAINT")
    assert len(complaint["levels"]) == 5
    assert complaint["indicators"][0]["evidence"]
    assert len(detail["profiles"]) == 7

    response = client.post(f"/api/v1/competency/frameworks/{framework_id}/versions")
    assert response.status_code == 201
    draft = response.json()
    assert draft["version"] == 2
    assert draft["state"] == "draft"
    assert len(draft["skills"]) == len(detail["skills"])

    response = client.post(
        f"/api/v1/competency/frameworks/{draft['id']}/skills",
        {
            "code": "LANG-PL",
            "name": "Polish",
            "category": "language",
            "parent_id": next(s["id"] for s in draft["skills"] if s["code"] == "LANG"),
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    skill_id = response.json()["id"]
    response = client.put(
        f"/api/v1/competency/skills/{skill_id}/levels/1",
        {"title": "Learning", "description": "Greets a Polish caller."},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["levels"] == [
        {"level": 1, "title": "Learning", "description": "Greets a Polish caller."}
    ]
    response = client.post(
        f"/api/v1/competency/skills/{skill_id}/indicators",
        {
            "level": 1,
            "text": "Greets in Polish.",
            "evidence": ["observation", "kpi"],
            "kpi_rule": {"kpi": "response.rate", "at_least": 0.5},
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    profile_id = next(p["id"] for p in draft["profiles"] if p["name"] == "Hotline operator")
    response = client.put(
        f"/api/v1/competency/profiles/{profile_id}/requirements/{skill_id}",
        {"min_level": 2, "hard": False},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert {"skill_code": "LANG-PL", "min_level": 2, "hard": False}.items() <= next(
        r for r in response.json()["requirements"] if r["skill_code"] == "LANG-PL"
    ).items()

    response = client.post(f"/api/v1/competency/frameworks/{draft['id']}/publish")
    assert response.status_code == 200
    assert response.json()["state"] == "published"
    states = {
        f_["version"]: f_["state"] for f_ in client.get("/api/v1/competency/frameworks").json()
    }
    assert states == {1: "retired", 2: "published"}
    response = client.delete(f"/api/v1/competency/skills/{skill_id}")
    assert response.status_code == 409


def test_framework_api_permissions():
    agent = f.user(Role.HOTLINE_OPERATOR)
    client = api(agent)
    framework = builtin_framework()
    assert client.get(f"/api/v1/competency/frameworks/{framework.pk}").status_code == 200
    response = client.post(
        "/api/v1/competency/frameworks", {"name": "Mine"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert client.post(f"/api/v1/competency/frameworks/{framework.pk}/versions").status_code == 403
    # Drafts are not shown to those who cannot configure.
    fw.framework_new_version(actor=None, framework=framework)
    versions = [x["version"] for x in client.get("/api/v1/competency/frameworks").json()]
    assert versions == [1]
    assert client.get("/api/v1/competency/frameworks/999999").status_code == 404
    assert client.get(f"/api/v1/competency/frameworks/{2**63}").status_code in (404, 422)


def test_profiles_api_lists_published_profiles():
    client = api(f.user(Role.HOTLINE_OPERATOR))
    profiles = client.get("/api/v1/competency/profiles").json()
    assert len(profiles) == 7
    hotline = next(p for p in profiles if p["name"] == "Hotline operator")
    assert any(r["skill_code"] == "CS-SUPPORT" and r["hard"] for r in hotline["requirements"])
    detail = client.get(f"/api/v1/competency/profiles/{hotline['id']}").json()
    assert detail == hotline
