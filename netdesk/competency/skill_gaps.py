"""Gap analysis: each agent's levels against their role profile, and a
team's skills matrix with its gaps. A fixed number of queries, whatever
the number of agents or skills."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from netdesk.accounts.models import SupportGroup, User
from netdesk.competency.models import (
    AgentSkill,
    RoleProfile,
    Skill,
)
from netdesk.competency.selectors import (
    current_records,
    profile_requirements,
    profiles_for,
)


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
