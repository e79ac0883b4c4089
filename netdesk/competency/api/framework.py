"""Competency API: frameworks (versions, skills, levels, indicators), role
profiles, agents' levels and their history, development plans, and gap
analysis per agent and per team.

Everyone reads the published frameworks and their own profile (`/me`);
team leads read and assess the members of the groups they supervise;
managers read everyone and configure frameworks. A published framework
version is frozen: writes to it answer 409 framework-frozen.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Status

from netdesk.accounts.models import SupportGroup, User
from netdesk.accounts.permissions import Action, can, require
from netdesk.competency import selectors
from netdesk.competency.models import (
    AgentSkill,
    EvidenceKind,
    Framework,
    FrameworkState,
    Indicator,
    LevelSource,
    PlanItem,
    RoleProfile,
    Skill,
    SkillCategory,
)
from netdesk.competency.services import framework as fw
from netdesk.competency.services import people
from netdesk.core.errors import NotFound, PermissionDenied
from netdesk.core.schemas import (
    MAX_ID,
    InputSchema,
    IsoDate,
    IsoDateTime,
    OutputSchema,
    answers,
)

router = Router(tags=["competency"])

CategoryName = Literal["technical", "behavioural", "product", "language", "certification"]
EvidenceName = Literal["observation", "exam", "interview", "kpi", "document"]
SourceName = Literal["assessment", "certification", "provisional", "override"]
assert set(CategoryName.__args__) == set(SkillCategory.values)  # type: ignore[attr-defined]
assert set(EvidenceName.__args__) == set(EvidenceKind.values)  # type: ignore[attr-defined]
assert set(SourceName.__args__) == set(LevelSource.values)  # type: ignore[attr-defined]


Level = Annotated[int, Field(ge=0, le=fw.SCALE_LIMIT)]


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _one(queryset: QuerySet[Any], pk: int, what: str, field: str) -> Any:
    found = queryset.filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if found is None:
        raise NotFound(f"No {what} {pk}.", field=field, value=pk, accepted=f"a {what} id")
    return found


def _frameworks_for(user: User) -> QuerySet[Framework]:
    """Drafts are seen by those who configure them; the rest by everyone."""
    require(user, Action.COMPETENCY_VIEW_OWN)
    frameworks = Framework.objects.all()
    if not can(user, Action.COMPETENCY_CONFIGURE):
        frameworks = frameworks.exclude(state=FrameworkState.DRAFT)
    return frameworks


def _framework(user: User, framework_id: int) -> Framework:
    framework: Framework = _one(_frameworks_for(user), framework_id, "framework", "framework_id")
    return framework


def _skill(user: User, skill_id: int) -> Skill:
    skill: Skill = _one(
        Skill.objects.filter(framework__in=_frameworks_for(user)).select_related("framework"),
        skill_id,
        "skill",
        "skill_id",
    )
    return skill


def _profile(user: User, profile_id: int) -> RoleProfile:
    profile: RoleProfile = _one(
        RoleProfile.objects.filter(framework__in=_frameworks_for(user)).select_related("framework"),
        profile_id,
        "role profile",
        "profile_id",
    )
    return profile


def _agent(user: User, agent_id: int) -> User:
    """An agent the user may see; others answer 404 as if they did not exist."""
    require(user, Action.COMPETENCY_VIEW_OWN)
    agent = User.objects.filter(pk=agent_id).first() if 0 < agent_id <= MAX_ID else None
    if agent is None or not selectors.can_see_agent(user, agent.pk):
        raise NotFound(
            f"No agent {agent_id} that you may see.",
            field="agent_id",
            value=agent_id,
            accepted="yourself; your team's members (team leads); anyone (managers)",
        )
    return agent


def _team(user: User, group_id: int) -> SupportGroup:
    group = SupportGroup.objects.filter(pk=group_id).first() if 0 < group_id <= MAX_ID else None
    if group is None or not selectors.can_see_team(user, group):
        raise NotFound(
            f"No team {group_id} that you may see.",
            field="group_id",
            value=group_id,
            accepted="a group you supervise (team leads); any group (managers)",
        )
    return group


def _plan_item(user: User, item_id: int) -> PlanItem:
    item = (
        PlanItem.objects.select_related("agent", "skill", "skill__framework")
        .filter(pk=item_id)
        .first()
        if 0 < item_id <= MAX_ID
        else None
    )
    if item is None or not selectors.can_see_agent(user, item.agent_id):
        raise NotFound(f"No plan item {item_id}.", field="item_id", value=item_id)
    return item


# ---- shapes ---------------------------------------------------------------------


class FrameworkOut(OutputSchema):
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


class FrameworkIndicatorOut(OutputSchema):
    id: int
    level: int
    text: str
    evidence: list[str]
    kpi_rule: dict[str, Any]


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


def framework_out(framework: Framework) -> dict[str, Any]:
    return {
        "id": framework.pk,
        "name": framework.name,
        "version": framework.version,
        "state": framework.state,
        "description": framework.description,
        "source": framework.source,
        "published_at": framework.published_at,
        "created_at": framework.created_at,
    }


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
        "indicators": [indicator_out(i) for i in indicators],
    }


def indicator_out(indicator: Indicator) -> dict[str, Any]:
    return {
        "id": indicator.pk,
        "level": indicator.level,
        "text": indicator.text,
        "evidence": list(indicator.evidence),
        "kpi_rule": indicator.kpi_rule or {},
    }


def _single_skill_out(skill: Skill) -> dict[str, Any]:
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


def framework_detail_out(framework: Framework) -> dict[str, Any]:
    tree = selectors.framework_tree(framework)
    return {
        **framework_out(framework),
        "skills": [skill_out(n["skill"], n["levels"], n["indicators"]) for n in tree],
        "profiles": profiles_out(
            list(RoleProfile.objects.filter(framework=framework).order_by("name"))
        ),
    }


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


class PlanItemOut(OutputSchema):
    id: int
    agent_id: int
    skill_id: int
    skill_code: str
    skill_name: str
    target_level: int
    due_on: date
    action: str
    done_at: datetime | None
    overdue: bool
    created_by: str | None
    created_at: datetime


def plan_item_out(item: PlanItem) -> dict[str, Any]:
    return {
        "id": item.pk,
        "agent_id": item.agent_id,
        "skill_id": item.skill_id,
        "skill_code": item.skill.code,
        "skill_name": item.skill.name,
        "target_level": item.target_level,
        "due_on": item.due_on,
        "action": item.action,
        "done_at": item.done_at,
        "overdue": selectors.overdue(item),
        "created_by": item.created_by.username if item.created_by else None,
        "created_at": item.created_at,
    }


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
        "gaps": selectors.agent_gaps(agent).as_dict(),
        "plan": [plan_item_out(i) for i in selectors.plan_items(agent.pk)],
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


def _kpi_rule(rule: KpiRuleIn | None) -> dict[str, Any] | None:
    if rule is None:
        return None
    return rule.model_dump(exclude_none=True)


# ---- frameworks -------------------------------------------------------------------


@router.get("/frameworks", response=answers(list[FrameworkOut]), summary="Framework versions")
def frameworks_list(request: HttpRequest, filters: Query[FrameworkFilter]) -> list[dict[str, Any]]:
    frameworks = _frameworks_for(_user(request))
    if filters.state:
        frameworks = frameworks.filter(state=filters.state)
    return [framework_out(f) for f in frameworks.order_by("name", "-version")]


@router.post(
    "/frameworks", response=answers(FrameworkDetailOut, 201), summary="Start a draft framework"
)
def frameworks_create(request: HttpRequest, payload: FrameworkIn) -> Status[dict[str, Any]]:
    created = fw.framework_create(
        actor=_user(request), name=payload.name, description=payload.description
    )
    return Status(201, framework_detail_out(created))


@router.get(
    "/frameworks/{framework_id}",
    response=answers(FrameworkDetailOut),
    summary="A framework with its skills, levels, indicators and role profiles",
)
def frameworks_detail(request: HttpRequest, framework_id: int) -> dict[str, Any]:
    return framework_detail_out(_framework(_user(request), framework_id))


@router.patch(
    "/frameworks/{framework_id}", response=answers(FrameworkOut), summary="Describe a draft"
)
def frameworks_patch(
    request: HttpRequest, framework_id: int, payload: FrameworkPatchIn
) -> dict[str, Any]:
    user = _user(request)
    framework = _framework(user, framework_id)
    return framework_out(
        fw.framework_update(actor=user, framework=framework, description=payload.description)
    )


@router.delete("/frameworks/{framework_id}", response=answers(None, 204), summary="Delete a draft")
def frameworks_delete(request: HttpRequest, framework_id: int) -> Status[None]:
    user = _user(request)
    fw.framework_delete(actor=user, framework=_framework(user, framework_id))
    return Status(204, None)


@router.post(
    "/frameworks/{framework_id}/versions",
    response=answers(FrameworkDetailOut, 201),
    summary="New draft version copying a published one",
)
def frameworks_new_version(request: HttpRequest, framework_id: int) -> Status[dict[str, Any]]:
    user = _user(request)
    draft = fw.framework_new_version(actor=user, framework=_framework(user, framework_id))
    return Status(201, framework_detail_out(draft))


@router.post(
    "/frameworks/{framework_id}/publish",
    response=answers(FrameworkOut),
    summary="Publish a draft (it is frozen from then on)",
)
def frameworks_publish(request: HttpRequest, framework_id: int) -> dict[str, Any]:
    user = _user(request)
    return framework_out(fw.framework_publish(actor=user, framework=_framework(user, framework_id)))


# ---- skills, levels, indicators -------------------------------------------------------


def _parent(user: User, parent_id: int | None) -> Skill | None:
    return None if parent_id is None else _skill(user, parent_id)


@router.post(
    "/frameworks/{framework_id}/skills",
    response=answers(FrameworkSkillOut, 201),
    summary="Add a skill to a draft",
)
def skills_create(
    request: HttpRequest, framework_id: int, payload: FrameworkSkillIn
) -> Status[dict[str, Any]]:
    user = _user(request)
    framework = _framework(user, framework_id)
    skill = fw.skill_create(
        actor=user,
        framework=framework,
        code=payload.code,
        name=payload.name,
        category=payload.category,
        parent=_parent(user, payload.parent_id),
        description=payload.description,
        scale_min=payload.scale_min,
        scale_max=payload.scale_max,
        external_codes=payload.external_codes,
    )
    return Status(201, _single_skill_out(skill))


@router.get("/skills/{skill_id}", response=answers(FrameworkSkillOut), summary="A skill")
def skills_detail(request: HttpRequest, skill_id: int) -> dict[str, Any]:
    return _single_skill_out(_skill(_user(request), skill_id))


@router.patch(
    "/skills/{skill_id}", response=answers(FrameworkSkillOut), summary="Change a draft's skill"
)
def skills_patch(
    request: HttpRequest, skill_id: int, payload: FrameworkSkillPatchIn
) -> dict[str, Any]:
    user = _user(request)
    skill = _skill(user, skill_id)
    given = payload.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {
        k: v
        for k, v in given.items()
        if k in ("code", "name", "category", "description", "scale_min", "scale_max")
        and v is not None
    }
    if "external_codes" in given and given["external_codes"] is not None:
        changes["external_codes"] = given["external_codes"]
    if "parent_id" in given:
        changes["parent"] = _parent(user, given["parent_id"])
    return _single_skill_out(fw.skill_update(actor=user, skill=skill, **changes))


@router.delete("/skills/{skill_id}", response=answers(None, 204), summary="Delete a draft's skill")
def skills_delete(request: HttpRequest, skill_id: int) -> Status[None]:
    user = _user(request)
    fw.skill_delete(actor=user, skill=_skill(user, skill_id))
    return Status(204, None)


@router.put(
    "/skills/{skill_id}/levels/{level}",
    response=answers(FrameworkSkillOut),
    summary="Say what a level of a draft's skill means",
)
def levels_put(
    request: HttpRequest, skill_id: int, level: int, payload: LevelDescriptorIn
) -> dict[str, Any]:
    user = _user(request)
    skill = _skill(user, skill_id)
    fw.level_set(
        actor=user, skill=skill, level=level, description=payload.description, title=payload.title
    )
    return _single_skill_out(skill)


@router.delete(
    "/skills/{skill_id}/levels/{level}",
    response=answers(None, 204),
    summary="Remove a level descriptor from a draft's skill",
)
def levels_delete(request: HttpRequest, skill_id: int, level: int) -> Status[None]:
    user = _user(request)
    fw.level_delete(actor=user, skill=_skill(user, skill_id), level=level)
    return Status(204, None)


@router.post(
    "/skills/{skill_id}/indicators",
    response=answers(FrameworkIndicatorOut, 201),
    summary="Add a behavioural indicator to a draft's skill",
)
def indicators_create(
    request: HttpRequest, skill_id: int, payload: FrameworkIndicatorIn
) -> Status[dict[str, Any]]:
    user = _user(request)
    indicator = fw.indicator_create(
        actor=user,
        skill=_skill(user, skill_id),
        level=payload.level,
        text=payload.text,
        evidence=list(payload.evidence),
        kpi_rule=_kpi_rule(payload.kpi_rule),
    )
    return Status(201, indicator_out(indicator))


def _indicator(user: User, indicator_id: int) -> Indicator:
    indicator: Indicator = _one(
        Indicator.objects.filter(skill__framework__in=_frameworks_for(user)).select_related(
            "skill", "skill__framework"
        ),
        indicator_id,
        "indicator",
        "indicator_id",
    )
    return indicator


@router.patch(
    "/indicators/{indicator_id}",
    response=answers(FrameworkIndicatorOut),
    summary="Change an indicator",
)
def indicators_patch(
    request: HttpRequest, indicator_id: int, payload: FrameworkIndicatorPatchIn
) -> dict[str, Any]:
    user = _user(request)
    given = payload.model_dump(exclude_unset=True)
    indicator = fw.indicator_update(
        actor=user,
        indicator=_indicator(user, indicator_id),
        level=given.get("level"),
        text=given.get("text"),
        evidence=list(payload.evidence) if payload.evidence is not None else None,
        kpi_rule=_kpi_rule(payload.kpi_rule),
    )
    return indicator_out(indicator)


@router.delete(
    "/indicators/{indicator_id}", response=answers(None, 204), summary="Delete an indicator"
)
def indicators_delete(request: HttpRequest, indicator_id: int) -> Status[None]:
    user = _user(request)
    fw.indicator_delete(actor=user, indicator=_indicator(user, indicator_id))
    return Status(204, None)


# ---- role profiles ------------------------------------------------------------------


class RoleProfileFilter(InputSchema):
    framework_id: int | None = Field(None, ge=1, le=MAX_ID)


@router.get(
    "/profiles",
    response=answers(list[RoleProfileOut]),
    summary="Role profiles (of the published frameworks, or of one framework)",
)
def profiles_list(request: HttpRequest, filters: Query[RoleProfileFilter]) -> list[dict[str, Any]]:
    user = _user(request)
    if filters.framework_id is not None:
        profiles = RoleProfile.objects.filter(framework=_framework(user, filters.framework_id))
    else:
        profiles = RoleProfile.objects.filter(framework__state=FrameworkState.PUBLISHED)
    return profiles_out(list(profiles.order_by("framework__name", "name")))


@router.get("/profiles/{profile_id}", response=answers(RoleProfileOut), summary="A role profile")
def profiles_detail(request: HttpRequest, profile_id: int) -> dict[str, Any]:
    return profiles_out([_profile(_user(request), profile_id)])[0]


@router.post(
    "/frameworks/{framework_id}/profiles",
    response=answers(RoleProfileOut, 201),
    summary="Add a role profile to a draft",
)
def profiles_create(
    request: HttpRequest, framework_id: int, payload: RoleProfileIn
) -> Status[dict[str, Any]]:
    user = _user(request)
    profile = fw.profile_create(
        actor=user,
        framework=_framework(user, framework_id),
        name=payload.name,
        description=payload.description,
    )
    return Status(201, profiles_out([profile])[0])


@router.patch(
    "/profiles/{profile_id}",
    response=answers(RoleProfileOut),
    summary="Rename or describe a profile",
)
def profiles_patch(
    request: HttpRequest, profile_id: int, payload: RoleProfilePatchIn
) -> dict[str, Any]:
    user = _user(request)
    profile = fw.profile_update(
        actor=user,
        profile=_profile(user, profile_id),
        name=payload.name,
        description=payload.description,
    )
    return profiles_out([profile])[0]


@router.delete(
    "/profiles/{profile_id}", response=answers(None, 204), summary="Delete a draft's profile"
)
def profiles_delete(request: HttpRequest, profile_id: int) -> Status[None]:
    user = _user(request)
    fw.profile_delete(actor=user, profile=_profile(user, profile_id))
    return Status(204, None)


@router.put(
    "/profiles/{profile_id}/requirements/{skill_id}",
    response=answers(RoleProfileOut),
    summary="Require a skill at a minimum level (hard or preferred)",
)
def requirements_put(
    request: HttpRequest, profile_id: int, skill_id: int, payload: ProfileRequirementIn
) -> dict[str, Any]:
    user = _user(request)
    profile = _profile(user, profile_id)
    fw.requirement_set(
        actor=user,
        profile=profile,
        skill=_skill(user, skill_id),
        min_level=payload.min_level,
        hard=payload.hard,
    )
    return profiles_out([profile])[0]


@router.delete(
    "/profiles/{profile_id}/requirements/{skill_id}",
    response=answers(None, 204),
    summary="Drop a skill from a draft's profile",
)
def requirements_delete(request: HttpRequest, profile_id: int, skill_id: int) -> Status[None]:
    user = _user(request)
    fw.requirement_delete(
        actor=user, profile=_profile(user, profile_id), skill=_skill(user, skill_id)
    )
    return Status(204, None)


# ---- agents -------------------------------------------------------------------------


@router.get(
    "/me",
    response=answers(AgentCompetencyOut),
    summary="My levels, gaps against my profile and my plan",
)
def me(request: HttpRequest) -> dict[str, Any]:
    user = _user(request)
    require(user, Action.COMPETENCY_VIEW_OWN)
    return agent_out(user)


@router.get(
    "/agents/{agent_id}",
    response=answers(AgentCompetencyOut),
    summary="An agent's levels, gaps and plan (yourself, your team, or anyone for managers)",
)
def agents_detail(request: HttpRequest, agent_id: int) -> dict[str, Any]:
    return agent_out(_agent(_user(request), agent_id))


@router.get(
    "/agents/{agent_id}/history",
    response=answers(list[LevelRecordOut]),
    summary="Every level record of an agent, newest first (append-only)",
)
def agents_history(request: HttpRequest, agent_id: int) -> list[dict[str, Any]]:
    agent = _agent(_user(request), agent_id)
    return [record_out(r) for r in selectors.agent_history(agent.pk)]


@router.post(
    "/agents/{agent_id}/levels",
    response=answers(LevelRecordOut, 201),
    summary="Record an agent's level in a skill (an override needs a reason)",
)
def agents_record_level(
    request: HttpRequest, agent_id: int, payload: LevelRecordIn
) -> Status[dict[str, Any]]:
    user = _user(request)
    require(user, Action.COMPETENCY_ASSESS)
    agent = _agent(user, agent_id)
    record = people.agent_level_record(
        actor=user,
        agent=agent,
        skill=_skill(user, payload.skill_id),
        level=payload.level,
        source=payload.source,
        reason=payload.reason,
        valid_from=payload.valid_from,
        expires_at=payload.expires_at,
    )
    return Status(201, record_out(record))


@router.put(
    "/agents/{agent_id}/profile",
    response=answers(AgentGapsOut),
    summary="Measure an agent against a role profile (null: the default for their role)",
)
def agents_set_profile(
    request: HttpRequest, agent_id: int, payload: AgentProfileIn
) -> dict[str, Any]:
    user = _user(request)
    require(user, Action.COMPETENCY_CONFIGURE)
    agent = _agent(user, agent_id)
    profile = None if payload.profile_id is None else _profile(user, payload.profile_id)
    people.agent_profile_assign(actor=user, agent=agent, profile=profile)
    return selectors.agent_gaps(agent).as_dict()


@router.get(
    "/agents/{agent_id}/gaps",
    response=answers(AgentGapsOut),
    summary="Gap analysis: the agent's role profile against their current levels",
)
def agents_gaps(request: HttpRequest, agent_id: int) -> dict[str, Any]:
    return selectors.agent_gaps(_agent(_user(request), agent_id)).as_dict()


@router.get(
    "/agents/{agent_id}/plan",
    response=answers(list[PlanItemOut]),
    summary="An agent's development plan",
)
def agents_plan(request: HttpRequest, agent_id: int) -> list[dict[str, Any]]:
    agent = _agent(_user(request), agent_id)
    return [plan_item_out(i) for i in selectors.plan_items(agent.pk)]


@router.post(
    "/agents/{agent_id}/plan",
    response=answers(PlanItemOut, 201),
    summary="Add a development plan item: a target level in a skill by a date",
)
def agents_plan_add(
    request: HttpRequest, agent_id: int, payload: PlanItemIn
) -> Status[dict[str, Any]]:
    user = _user(request)
    require(user, Action.COMPETENCY_ASSESS)
    agent = _agent(user, agent_id)
    item = people.plan_item_create(
        actor=user,
        agent=agent,
        skill=_skill(user, payload.skill_id),
        target_level=payload.target_level,
        due_on=payload.due_on,
        action=payload.action,
    )
    return Status(201, plan_item_out(item))


@router.patch(
    "/plan-items/{item_id}", response=answers(PlanItemOut), summary="Change an open plan item"
)
def plan_items_patch(
    request: HttpRequest, item_id: int, payload: PlanItemPatchIn
) -> dict[str, Any]:
    user = _user(request)
    item = people.plan_item_update(
        actor=user,
        item=_plan_item(user, item_id),
        target_level=payload.target_level,
        due_on=payload.due_on,
        action=payload.action,
    )
    return plan_item_out(item)


@router.post(
    "/plan-items/{item_id}/complete", response=answers(PlanItemOut), summary="Mark a plan item done"
)
def plan_items_complete(request: HttpRequest, item_id: int) -> dict[str, Any]:
    user = _user(request)
    item = people.plan_item_complete(actor=user, item=_plan_item(user, item_id))
    return plan_item_out(item)


@router.delete(
    "/plan-items/{item_id}", response=answers(None, 204), summary="Delete an open plan item"
)
def plan_items_delete(request: HttpRequest, item_id: int) -> Status[None]:
    user = _user(request)
    people.plan_item_delete(actor=user, item=_plan_item(user, item_id))
    return Status(204, None)


# ---- teams ----------------------------------------------------------------------------


@router.get(
    "/teams",
    response=answers(list[CompetencyTeamOut]),
    summary="Teams you may see: the groups you supervise, or all (managers)",
)
def teams_list(request: HttpRequest) -> list[dict[str, Any]]:
    user = _user(request)
    require(user, Action.COMPETENCY_VIEW_OWN)
    groups = (
        selectors.teams_visible_to(user)
        .select_related("supervisor")
        .annotate(active=Count("members", filter=Q(members__is_active=True)))
    )
    return [
        {
            "id": g.pk,
            "name": g.name,
            "supervisor": g.supervisor.username if g.supervisor else None,
            "members": g.active,
        }
        for g in groups
    ]


def _teams_require(user: User) -> None:
    if not (can(user, Action.COMPETENCY_VIEW_TEAM) or can(user, Action.COMPETENCY_CONFIGURE)):
        raise PermissionDenied(
            "Team views are for team leads and managers.",
            field="action",
            value=Action.COMPETENCY_VIEW_TEAM.value,
        )


@router.get(
    "/teams/{group_id}/gaps",
    response=answers(TeamGapsOut),
    summary="A team's gap analysis: each member, and per skill how many fall short",
)
def teams_gaps(request: HttpRequest, group_id: int) -> dict[str, Any]:
    user = _user(request)
    _teams_require(user)
    return selectors.team_gaps(_team(user, group_id))


@router.get(
    "/teams/{group_id}/matrix",
    response=answers(TeamMatrixOut),
    summary="A team's skills matrix: agents × skills, level against requirement",
)
def teams_matrix(request: HttpRequest, group_id: int) -> dict[str, Any]:
    user = _user(request)
    _teams_require(user)
    matrix = selectors.team_matrix(_team(user, group_id))
    return {
        "group_id": matrix.group.pk,
        "group": matrix.group.name,
        "skills": [{"id": s.pk, "code": s.code, "name": s.name} for s in matrix.skills],
        "rows": [
            {
                "agent_id": agent.pk,
                "agent": agent.username,
                "profile": profile.name if profile else None,
                "cells": [
                    {
                        "skill_id": skill.pk,
                        "level": cell.level,
                        "required": cell.required,
                        "hard": cell.hard,
                        "status": cell.status,
                    }
                    for skill, cell in zip(matrix.skills, cells, strict=True)
                ],
            }
            for agent, profile, cells in matrix.rows()
        ],
    }
