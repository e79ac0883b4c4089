"""Shapes of the framework API: what it answers and what it reads."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Field

from netdesk.accounts.models import User
from netdesk.competency import selectors, skill_gaps
from netdesk.competency.models import (
    AgentSkill,
    EvidenceKind,
    Framework,
    Indicator,
    LevelSource,
    PlanItem,
    RoleProfile,
    Skill,
    SkillCategory,
)
from netdesk.competency.services import framework as fw
from netdesk.core.schemas import (
    MAX_ID,
    InputSchema,
    IsoDate,
    IsoDateTime,
    ObjectOutputSchema,
    OutputSchema,
)

CategoryName = Literal["technical", "behavioural", "product", "language", "certification"]
EvidenceName = Literal["observation", "exam", "interview", "kpi", "document"]
SourceName = Literal["assessment", "certification", "provisional", "override"]
assert set(CategoryName.__args__) == set(SkillCategory.values)  # type: ignore[attr-defined]
assert set(EvidenceName.__args__) == set(EvidenceKind.values)  # type: ignore[attr-defined]
assert set(SourceName.__args__) == set(LevelSource.values)  # type: ignore[attr-defined]


Level = Annotated[int, Field(ge=0, le=fw.SCALE_LIMIT)]


# ---- shapes ---------------------------------------------------------------------


class FrameworkOut(ObjectOutputSchema):
    id: int
    name: str
    version: int
    state: str
    description: str
    source: str
    published_at: datetime | None
    created_at: datetime


class LevelDescriptorOut(OutputSchema):
    level: int
    title: str
    description: str


class FrameworkIndicatorOut(ObjectOutputSchema):
    id: int
    level: int
    text: str
    evidence: list[str]
    kpi_rule: dict[str, Any]

    @staticmethod
    def resolve_kpi_rule(indicator: Indicator) -> dict[str, Any]:
        return indicator.kpi_rule or {}


class FrameworkSkillOut(OutputSchema):
    id: int
    code: str
    name: str
    category: str
    parent_id: int | None
    description: str
    scale_min: int
    scale_max: int
    external_codes: dict[str, str]
    levels: list[LevelDescriptorOut]
    indicators: list[FrameworkIndicatorOut]


class ProfileRequirementOut(OutputSchema):
    skill_id: int
    skill_code: str
    skill_name: str
    min_level: int
    hard: bool


class RoleProfileOut(OutputSchema):
    id: int
    framework_id: int
    name: str
    description: str
    requirements: list[ProfileRequirementOut]


class FrameworkDetailOut(FrameworkOut):
    skills: list[FrameworkSkillOut]
    profiles: list[RoleProfileOut]

    @staticmethod
    def resolve_skills(framework: Framework) -> list[dict[str, Any]]:
        tree = selectors.framework_tree(framework)
        return [skill_out(n["skill"], n["levels"], n["indicators"]) for n in tree]

    @staticmethod
    def resolve_profiles(framework: Framework) -> list[dict[str, Any]]:
        return profiles_out(list(RoleProfile.objects.filter(framework=framework).order_by("name")))


def skill_out(skill: Skill, levels: list[Any], indicators: list[Indicator]) -> dict[str, Any]:
    return {
        "id": skill.pk,
        "code": skill.code,
        "name": skill.name,
        "category": skill.category,
        "parent_id": skill.parent_id,
        "description": skill.description,
        "scale_min": skill.scale_min,
        "scale_max": skill.scale_max,
        "external_codes": skill.external_codes or {},
        "levels": [
            {"level": d.level, "title": d.title, "description": d.description} for d in levels
        ],
        "indicators": indicators,
    }


def single_skill_out(skill: Skill) -> dict[str, Any]:
    return skill_out(
        skill,
        list(skill.levels.order_by("level")),
        list(skill.indicators.order_by("level", "id")),
    )


def profiles_out(profiles: list[RoleProfile]) -> list[dict[str, Any]]:
    requirements = selectors.profile_requirements([p.pk for p in profiles])
    return [
        {
            "id": p.pk,
            "framework_id": p.framework_id,
            "name": p.name,
            "description": p.description,
            "requirements": [
                {
                    "skill_id": r.skill_id,
                    "skill_code": r.skill.code,
                    "skill_name": r.skill.name,
                    "min_level": r.min_level,
                    "hard": r.hard,
                }
                for r in requirements.get(p.pk, [])
            ],
        }
        for p in profiles
    ]


class LevelRecordOut(OutputSchema):
    id: int
    skill_id: int
    skill_code: str
    skill_name: str
    level: int
    source: str
    reason: str
    valid_from: datetime
    expires_at: datetime | None
    recorded_by: str | None
    recorded_at: datetime
    assessment_id: int | None


def record_out(record: AgentSkill, skill: Skill | None = None) -> dict[str, Any]:
    skill = skill or record.skill
    return {
        "id": record.pk,
        "skill_id": skill.pk,
        "skill_code": skill.code,
        "skill_name": skill.name,
        "level": record.level,
        "source": record.source,
        "reason": record.reason,
        "valid_from": record.valid_from,
        "expires_at": record.expires_at,
        "recorded_by": record.recorded_by.username if record.recorded_by else None,
        "recorded_at": record.recorded_at,
        "assessment_id": record.assessment_id,
    }


class PlanItemOut(ObjectOutputSchema):
    id: int
    agent_id: int
    skill_id: int
    skill_code: str = Field(validation_alias="skill.code")
    skill_name: str = Field(validation_alias="skill.name")
    target_level: int
    due_on: date
    action: str
    done_at: datetime | None
    overdue: bool
    created_by: str | None
    created_at: datetime

    @staticmethod
    def resolve_overdue(item: PlanItem) -> bool:
        return selectors.overdue(item)

    @staticmethod
    def resolve_created_by(item: PlanItem) -> str | None:
        return item.created_by.username if item.created_by else None


class AgentGapSkillOut(OutputSchema):
    skill_id: int
    skill_code: str
    skill_name: str
    required: int
    hard: bool
    current: int | None
    gap: int
    met: bool
    source: str | None
    expires_at: datetime | None


class AgentGapsOut(OutputSchema):
    agent_id: int
    agent: str
    agent_name: str
    profile_id: int | None
    profile: str | None
    profile_assigned: bool
    meets_profile: bool
    hard_gaps: int
    preferred_gaps: int
    skills: list[AgentGapSkillOut]


class AgentCompetencyOut(OutputSchema):
    agent_id: int
    username: str
    name: str
    role: str
    levels: list[LevelRecordOut]
    gaps: AgentGapsOut
    plan: list[PlanItemOut]


def agent_out(agent: User) -> dict[str, Any]:
    return {
        "agent_id": agent.pk,
        "username": agent.username,
        "name": str(agent),
        "role": agent.role,
        "levels": [
            record_out(record, skill) for skill, record in selectors.agent_skill_levels(agent.pk)
        ],
        "gaps": skill_gaps.agent_gaps(agent).as_dict(),
        "plan": selectors.plan_items(agent.pk),
    }


class CompetencyTeamOut(OutputSchema):
    id: int
    name: str
    supervisor: str | None
    members: int


class TeamSkillGapOut(OutputSchema):
    skill_id: int
    skill_code: str
    skill_name: str
    required_of: int
    short: int
    hard_short: int
    total_gap: int


class TeamGapsOut(OutputSchema):
    group_id: int
    group: str
    agents: list[AgentGapsOut]
    skills: list[TeamSkillGapOut]


class TeamMatrixCellOut(OutputSchema):
    skill_id: int
    level: int | None
    required: int | None
    hard: bool
    status: str


class TeamMatrixRowOut(OutputSchema):
    agent_id: int
    agent: str
    profile: str | None
    cells: list[TeamMatrixCellOut]


class TeamMatrixSkillOut(OutputSchema):
    id: int
    code: str
    name: str


class TeamMatrixOut(OutputSchema):
    group_id: int
    group: str
    skills: list[TeamMatrixSkillOut]
    rows: list[TeamMatrixRowOut]


# ---- inputs -----------------------------------------------------------------------


class FrameworkIn(InputSchema):
    name: str = Field(max_length=120)
    description: str = Field("", max_length=5000)


class FrameworkPatchIn(InputSchema):
    description: str = Field(max_length=5000)


class FrameworkSkillIn(InputSchema):
    code: str = Field(max_length=40)
    name: str = Field(max_length=200)
    category: CategoryName
    parent_id: int | None = Field(None, ge=1, le=MAX_ID)
    description: str = Field("", max_length=5000)
    scale_min: Level = 1
    scale_max: Level = 5
    external_codes: dict[str, str] = Field(default_factory=dict)


class FrameworkSkillPatchIn(InputSchema):
    code: str | None = Field(None, max_length=40)
    name: str | None = Field(None, max_length=200)
    category: CategoryName | None = None
    parent_id: int | None = Field(None, ge=1, le=MAX_ID)
    description: str | None = Field(None, max_length=5000)
    scale_min: Level | None = None
    scale_max: Level | None = None
    external_codes: dict[str, str] | None = None


class LevelDescriptorIn(InputSchema):
    title: str = Field("", max_length=120)
    description: str = Field(max_length=5000)


class KpiRuleIn(InputSchema):
    kpi: str = Field(min_length=1, max_length=100)
    at_least: float | None = None
    at_most: float | None = None


class FrameworkIndicatorIn(InputSchema):
    level: Level
    text: str = Field(max_length=2000)
    evidence: list[EvidenceName] = Field(min_length=1, max_length=5)
    kpi_rule: KpiRuleIn | None = None


class FrameworkIndicatorPatchIn(InputSchema):
    level: Level | None = None
    text: str | None = Field(None, max_length=2000)
    evidence: list[EvidenceName] | None = Field(None, min_length=1, max_length=5)
    kpi_rule: KpiRuleIn | None = None


class RoleProfileIn(InputSchema):
    name: str = Field(max_length=120)
    description: str = Field("", max_length=5000)


class RoleProfilePatchIn(InputSchema):
    name: str | None = Field(None, max_length=120)
    description: str | None = Field(None, max_length=5000)


class ProfileRequirementIn(InputSchema):
    min_level: Level
    hard: bool = True


class LevelRecordIn(InputSchema):
    skill_id: int = Field(ge=1, le=MAX_ID)
    level: Level
    source: SourceName
    reason: str = Field("", max_length=2000)
    valid_from: IsoDateTime | None = None
    expires_at: IsoDateTime | None = None


class AgentProfileIn(InputSchema):
    profile_id: int | None = Field(None, ge=1, le=MAX_ID)


class PlanItemIn(InputSchema):
    skill_id: int = Field(ge=1, le=MAX_ID)
    target_level: Level
    due_on: IsoDate
    action: str = Field(max_length=2000)


class PlanItemPatchIn(InputSchema):
    target_level: Level | None = None
    due_on: IsoDate | None = None
    action: str | None = Field(None, max_length=2000)


class FrameworkFilter(InputSchema):
    state: Literal["draft", "published", "retired"] | None = None


def kpi_rule_of(rule: KpiRuleIn | None) -> dict[str, Any] | None:
    if rule is None:
        return None
    return rule.model_dump(exclude_none=True)
