"""Reads for competencies: agents' current levels, who sees whom, role
profiles and plans (gap analysis and the team skills matrix: skill_gaps.py).

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
    Indicator,
    LevelDescriptor,
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


def framework_levels(framework: Framework) -> QuerySet[LevelDescriptor]:
    return LevelDescriptor.objects.filter(skill__framework=framework).order_by("skill", "level")


def framework_indicators(framework: Framework) -> QuerySet[Indicator]:
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


# ---- plans -----------------------------------------------------------------------


def plan_items(agent_id: int, *, include_done: bool = True) -> list[PlanItem]:
    items = PlanItem.objects.filter(agent_id=agent_id).select_related("skill", "created_by")
    if not include_done:
        items = items.filter(done_at__isnull=True)
    # Open items first (NULL done_at), the same on SQLite and PostgreSQL.
    return list(items.order_by(F("done_at").asc(nulls_first=True), "due_on", "id"))


def overdue(item: PlanItem, today: date | None = None) -> bool:
    return item.done_at is None and item.due_on < (today or timezone.localdate())
