"""Reads for competencies: agents' current levels, who sees whom, role
profiles, gap analysis and the team skills matrix.

A skill is known across the versions of its framework by (framework name,
skill code): a level recorded against "CS-COMPLAINT" of version 1 still
counts for "CS-COMPLAINT" of version 2, so publishing a new version neither
loses anyone's levels nor the routing rules that name an older version's
skill. Every function here runs a fixed number of queries, whatever the
number of agents or skills.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from netdesk.accounts.models import SupportGroup, User
from netdesk.accounts.permissions import Action, can
from netdesk.competency import builtin
from netdesk.competency.models import (
    AgentProfile,
    AgentSkill,
    Framework,
    FrameworkState,
    PlanItem,
    ProfileRequirement,
    RoleProfile,
    Skill,
)

Lineage = tuple[str, str]  # (framework name, skill code)


# ---- current levels -----------------------------------------------------------


def _lineages(skill_ids: Iterable[int]) -> dict[int, Lineage]:
    return {
        pk: (name, code)
        for pk, name, code in Skill.objects.filter(pk__in=list(skill_ids)).values_list(
            "pk", "framework__name", "code"
        )
    }


def current_records(
    agent_ids: Iterable[int],
    skill_ids: Iterable[int] | None = None,
    *,
    at: datetime | None = None,
) -> dict[int, dict[int, AgentSkill]]:
    """Each agent's current record per skill: the latest (by valid_from, then
    id) that is valid at `at` (default now) and not expired. Keyed by the
    skill ids asked for, or, with skill_ids=None, by every version's id of
    each skill the agent has a record for. Three queries at most."""
    agents = list(dict.fromkeys(agent_ids))
    result: dict[int, dict[int, AgentSkill]] = {a: {} for a in agents}
    if not agents:
        return result
    at = at or timezone.now()
    records = AgentSkill.objects.filter(agent_id__in=agents, valid_from__lte=at).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=at)
    )
    wanted: dict[int, Lineage] | None = None
    if skill_ids is not None:
        wanted = _lineages(skill_ids)
        if not wanted:
            return result
        names = {name for name, _ in wanted.values()}
        codes = {code for _, code in wanted.values()}
        records = records.filter(skill__framework__name__in=names, skill__code__in=codes)
    latest: dict[tuple[int, Lineage], AgentSkill] = {}
    annotated = records.annotate(
        lineage_name=F("skill__framework__name"), lineage_code=F("skill__code")
    )
    for row in annotated.order_by("valid_from", "id"):
        latest[(row.agent_id, (row.lineage_name, row.lineage_code))] = row
    if wanted is None:
        lineages = {lineage for _, lineage in latest}
        names = {name for name, _ in lineages}
        codes = {code for _, code in lineages}
        wanted = {
            pk: (name, code)
            for pk, name, code in Skill.objects.filter(
                framework__name__in=names, code__in=codes
            ).values_list("pk", "framework__name", "code")
            if (name, code) in lineages
        }
    for skill_id, lineage in wanted.items():
        for agent in agents:
            found = latest.get((agent, lineage))
            if found is not None:
                result[agent][skill_id] = found
    return result


def agent_levels(
    agent_ids: Iterable[int], skill_ids: Iterable[int] | None = None
) -> dict[int, dict[int, int]]:
    """Current level per agent and skill: {agent_id: {skill_id: level}}. An
    agent without a current record for a skill has no entry for it. Used by
    skills-based routing; a fixed number of queries for any team size."""
    return {
        agent: {skill: record.level for skill, record in skills.items()}
        for agent, skills in current_records(agent_ids, skill_ids).items()
    }


def agent_skill_levels(agent_id: int) -> list[tuple[Skill, AgentSkill]]:
    """The agent's current level in each skill they have one for, each shown
    with the skill of the published version (or the one it was recorded
    against, if its framework has no published version). Four queries."""
    records = current_records([agent_id])[agent_id]
    chosen: dict[int, Skill] = {}
    for skill in Skill.objects.filter(pk__in=list(records)).select_related("framework"):
        record = records[skill.pk]
        best = chosen.get(record.pk)
        published = skill.framework.state == FrameworkState.PUBLISHED
        if (
            best is None
            or (published and best.framework.state != FrameworkState.PUBLISHED)
            or (
                not published
                and best.framework.state != FrameworkState.PUBLISHED
                and skill.pk == record.skill_id
            )
        ):
            chosen[record.pk] = skill
    by_pk = {r.pk: r for r in records.values()}
    return sorted(
        ((skill, by_pk[record_id]) for record_id, skill in chosen.items()),
        key=lambda pair: (pair[0].framework.name, pair[0].code),
    )


def agent_history(agent_id: int) -> list[AgentSkill]:
    """Every record of the agent, newest first (the append-only history)."""
    return list(
        AgentSkill.objects.filter(agent_id=agent_id)
        .select_related("skill", "skill__framework", "recorded_by")
        .order_by("-recorded_at", "-id")
    )


# ---- who sees whom ------------------------------------------------------------


def team_member_ids(lead: User) -> set[int]:
    """A team lead's team: the members of the active groups they supervise."""
    return set(
        SupportGroup.members.through.objects.filter(
            supportgroup__supervisor=lead, supportgroup__is_active=True
        ).values_list("user_id", flat=True)
    )


def sees_everyone(user: User) -> bool:
    return can(user, Action.COMPETENCY_CONFIGURE)


def can_see_agent(user: User, agent_id: int) -> bool:
    """Agents see themselves; team leads their team; managers everyone."""
    if agent_id == user.pk and can(user, Action.COMPETENCY_VIEW_OWN):
        return True
    if sees_everyone(user):
        return True
    return can(user, Action.COMPETENCY_VIEW_TEAM) and agent_id in team_member_ids(user)


def can_assess_agent(user: User, agent_id: int) -> bool:
    """Record levels and plan items: team leads for their team, managers for
    everyone else. Nobody for themselves: a level is someone else's judgement,
    for a manager's own levels too."""
    if agent_id == user.pk:
        return False
    if sees_everyone(user):
        return can(user, Action.COMPETENCY_ASSESS)
    if not can(user, Action.COMPETENCY_ASSESS):
        return False
    return agent_id in team_member_ids(user)


def teams_visible_to(user: User) -> QuerySet[SupportGroup]:
    groups = SupportGroup.objects.filter(is_active=True).order_by("tier__level", "name")
    if sees_everyone(user):
        return groups
    if can(user, Action.COMPETENCY_VIEW_TEAM):
        return groups.filter(supervisor=user)
    return groups.none()


def can_see_team(user: User, group: SupportGroup) -> bool:
    if sees_everyone(user):
        return True
    return can(user, Action.COMPETENCY_VIEW_TEAM) and group.supervisor_id == user.pk


# ---- frameworks and profiles --------------------------------------------------


def framework_tree(framework: Framework) -> list[dict[str, Any]]:
    """The framework's skills as a tree (depth-first, parents first), each
    with its levels and indicators: four queries."""
    skills = list(Skill.objects.filter(framework=framework).order_by("code"))
    levels: dict[int, list[Any]] = defaultdict(list)
    for descriptor in framework_levels(framework):
        levels[descriptor.skill_id].append(descriptor)
    indicators: dict[int, list[Any]] = defaultdict(list)
    for indicator in framework_indicators(framework):
        indicators[indicator.skill_id].append(indicator)
    children: dict[int | None, list[Skill]] = defaultdict(list)
    ids = {s.pk for s in skills}
    for skill in skills:
        children[skill.parent_id if skill.parent_id in ids else None].append(skill)
    out: list[dict[str, Any]] = []

    def walk(parent: int | None, depth: int) -> None:
        for skill in children.get(parent, []):
            out.append(
                {
                    "skill": skill,
                    "depth": depth,
                    "levels": levels.get(skill.pk, []),
                    "indicators": indicators.get(skill.pk, []),
                    "has_children": bool(children.get(skill.pk)),
                }
            )
            walk(skill.pk, depth + 1)

    walk(None, 0)
    return out


def framework_levels(framework: Framework) -> QuerySet[Any]:
    from netdesk.competency.models import LevelDescriptor

    return LevelDescriptor.objects.filter(skill__framework=framework).order_by("skill", "level")


def framework_indicators(framework: Framework) -> QuerySet[Any]:
    from netdesk.competency.models import Indicator

    return Indicator.objects.filter(skill__framework=framework).order_by("skill", "level", "id")


def default_profiles() -> dict[str, RoleProfile]:
    """The built-in framework's current profiles, by desk role: the profile
    of an agent nobody assigned one to."""
    by_name = {
        p.name: p
        for p in RoleProfile.objects.filter(
            framework__name=builtin.FRAMEWORK_NAME,
            framework__state=FrameworkState.PUBLISHED,
        ).select_related("framework")
    }
    return {
        role: by_name[name]
        for role, name in builtin.ROLE_DEFAULT_PROFILE.items()
        if name in by_name
    }


def profiles_for(agents: Iterable[User]) -> dict[int, tuple[RoleProfile | None, bool]]:
    """Each agent's role profile and whether it was assigned (True) or is the
    default for their desk role (False). Two queries."""
    people = list(agents)
    assigned = {
        a.agent_id: a.profile
        for a in AgentProfile.objects.filter(agent__in=[p.pk for p in people]).select_related(
            "profile", "profile__framework"
        )
    }
    defaults = default_profiles() if len(assigned) < len(people) else {}
    out: dict[int, tuple[RoleProfile | None, bool]] = {}
    for person in people:
        if person.pk in assigned:
            out[person.pk] = (assigned[person.pk], True)
        else:
            out[person.pk] = (defaults.get(person.role), False)
    return out


def profile_requirements(profile_ids: Iterable[int]) -> dict[int, list[ProfileRequirement]]:
    out: dict[int, list[ProfileRequirement]] = defaultdict(list)
    for requirement in (
        ProfileRequirement.objects.filter(profile_id__in=list(profile_ids))
        .select_related("skill")
        .order_by("-hard", "skill__code")
    ):
        out[requirement.profile_id].append(requirement)
    return out


# ---- gap analysis ---------------------------------------------------------------


@dataclass
class GapRow:
    skill: Skill
    required: int
    hard: bool
    current: int | None
    record: AgentSkill | None

    @property
    def gap(self) -> int:
        """Levels missing to the requirement (0 when met)."""
        return max(0, self.required - (self.current or 0))

    @property
    def met(self) -> bool:
        return self.gap == 0

    @property
    def status(self) -> str:
        """For colouring: met, short (preferred skill short), missing (hard
        requirement short)."""
        if self.met:
            return "met"
        return "missing" if self.hard else "short"

    def as_dict(self) -> dict[str, Any]:
        return {
            "skill_id": self.skill.pk,
            "skill_code": self.skill.code,
            "skill_name": self.skill.name,
            "required": self.required,
            "hard": self.hard,
            "current": self.current,
            "gap": self.gap,
            "met": self.met,
            "source": self.record.source if self.record else None,
            "expires_at": self.record.expires_at if self.record else None,
        }


@dataclass
class AgentGaps:
    agent: User
    profile: RoleProfile | None
    assigned: bool
    rows: list[GapRow] = field(default_factory=list)

    @property
    def hard_gaps(self) -> int:
        return sum(1 for r in self.rows if r.hard and not r.met)

    @property
    def preferred_gaps(self) -> int:
        return sum(1 for r in self.rows if not r.hard and not r.met)

    @property
    def meets_profile(self) -> bool:
        return self.hard_gaps == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent.pk,
            "agent": self.agent.username,
            "agent_name": str(self.agent),
            "profile_id": self.profile.pk if self.profile else None,
            "profile": self.profile.name if self.profile else None,
            "profile_assigned": self.assigned,
            "meets_profile": self.meets_profile,
            "hard_gaps": self.hard_gaps,
            "preferred_gaps": self.preferred_gaps,
            "skills": [r.as_dict() for r in self.rows],
        }


def gap_analysis(agents: Iterable[User]) -> list[AgentGaps]:
    """For each agent, their role profile's requirements against their current
    levels. Fixed number of queries for any number of agents."""
    people = list(agents)
    profiles = profiles_for(people)
    requirements = profile_requirements({p.pk for p, _ in profiles.values() if p is not None})
    skill_ids = {r.skill_id for reqs in requirements.values() for r in reqs}
    records = current_records([p.pk for p in people], skill_ids) if skill_ids else {}
    out = []
    for person in people:
        profile, assigned = profiles[person.pk]
        gaps = AgentGaps(agent=person, profile=profile, assigned=assigned)
        mine = records.get(person.pk, {})
        for requirement in requirements.get(profile.pk, []) if profile else []:
            record = mine.get(requirement.skill_id)
            gaps.rows.append(
                GapRow(
                    skill=requirement.skill,
                    required=requirement.min_level,
                    hard=requirement.hard,
                    current=record.level if record else None,
                    record=record,
                )
            )
        out.append(gaps)
    return out


def agent_gaps(agent: User) -> AgentGaps:
    return gap_analysis([agent])[0]


def team_agents(group: SupportGroup) -> list[User]:
    return list(group.members.filter(is_active=True).order_by("last_name", "first_name", "pk"))


@dataclass
class MatrixCell:
    level: int | None
    required: int | None
    hard: bool
    source: str | None = None

    @property
    def status(self) -> str:
        """met / short (below a preferred level) / missing (below a hard
        level) / extra (not required; has a level) / none."""
        if self.required is None:
            return "extra" if self.level is not None else "none"
        if (self.level or 0) >= self.required:
            return "met"
        return "missing" if self.hard else "short"


@dataclass
class TeamMatrix:
    group: SupportGroup
    skills: list[Skill]
    agents: list[User]
    profiles: dict[int, RoleProfile | None]
    cells: dict[int, dict[int, MatrixCell]]

    def rows(self) -> list[tuple[User, RoleProfile | None, list[MatrixCell]]]:
        return [
            (agent, self.profiles.get(agent.pk), [self.cells[agent.pk][s.pk] for s in self.skills])
            for agent in self.agents
        ]

    def skill_summary(self) -> list[dict[str, Any]]:
        """Per skill: agents required to have it, how many meet it."""
        out = []
        for skill in self.skills:
            column = [self.cells[a.pk][skill.pk] for a in self.agents]
            required = [c for c in column if c.required is not None]
            out.append(
                {
                    "skill": skill,
                    "required": len(required),
                    "met": sum(1 for c in required if c.status == "met"),
                    "missing": sum(1 for c in required if c.status == "missing"),
                }
            )
        return out


def team_matrix(group: SupportGroup) -> TeamMatrix:
    """Agents × skills of a team: each cell the agent's current level against
    what their role profile requires. The skills are those any member's
    profile requires, in code order."""
    agents = team_agents(group)
    analysis = gap_analysis(agents)
    skills: dict[int, Skill] = {}
    for gaps in analysis:
        for row in gaps.rows:
            skills.setdefault(row.skill.pk, row.skill)
    ordered = sorted(skills.values(), key=lambda s: s.code)
    levels = current_records([a.pk for a in agents], [s.pk for s in ordered]) if ordered else {}
    cells: dict[int, dict[int, MatrixCell]] = {}
    for gaps in analysis:
        required = {r.skill.pk: r for r in gaps.rows}
        mine = levels.get(gaps.agent.pk, {})
        cells[gaps.agent.pk] = {}
        for skill in ordered:
            record = mine.get(skill.pk)
            need = required.get(skill.pk)
            cells[gaps.agent.pk][skill.pk] = MatrixCell(
                level=record.level if record else None,
                required=need.required if need else None,
                hard=need.hard if need else False,
                source=record.source if record else None,
            )
    return TeamMatrix(
        group=group,
        skills=ordered,
        agents=agents,
        profiles={g.agent.pk: g.profile for g in analysis},
        cells=cells,
    )


def team_gaps(group: SupportGroup) -> dict[str, Any]:
    """A team's gap analysis: each member's, and per skill how many members
    fall short of what their profile requires."""
    analysis = gap_analysis(team_agents(group))
    per_skill: dict[int, dict[str, Any]] = {}
    for gaps in analysis:
        for row in gaps.rows:
            entry = per_skill.setdefault(
                row.skill.pk,
                {
                    "skill_id": row.skill.pk,
                    "skill_code": row.skill.code,
                    "skill_name": row.skill.name,
                    "required_of": 0,
                    "short": 0,
                    "hard_short": 0,
                    "total_gap": 0,
                },
            )
            entry["required_of"] += 1
            if not row.met:
                entry["short"] += 1
                entry["hard_short"] += int(row.hard)
                entry["total_gap"] += row.gap
    return {
        "group_id": group.pk,
        "group": group.name,
        "agents": [g.as_dict() for g in analysis],
        "skills": sorted(
            per_skill.values(), key=lambda e: (-e["hard_short"], -e["short"], e["skill_code"])
        ),
    }


# ---- plans -----------------------------------------------------------------------


def plan_items(agent_id: int, *, include_done: bool = True) -> list[PlanItem]:
    items = PlanItem.objects.filter(agent_id=agent_id).select_related("skill", "created_by")
    if not include_done:
        items = items.filter(done_at__isnull=True)
    # Open items first (NULL done_at), the same on SQLite and PostgreSQL.
    return list(items.order_by(F("done_at").asc(nulls_first=True), "due_on", "id"))


def overdue(item: PlanItem, today: date | None = None) -> bool:
    return item.done_at is None and item.due_on < (today or timezone.localdate())
