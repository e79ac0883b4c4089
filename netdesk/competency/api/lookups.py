"""The objects an API call names, found within what the caller may see:
a 404 that names the field otherwise."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from netdesk.accounts.models import SupportGroup, User
from netdesk.accounts.permissions import Action, can, require
from netdesk.competency import selectors
from netdesk.competency.models import (
    Framework,
    FrameworkState,
    PlanItem,
    RoleProfile,
    Skill,
)
from netdesk.core.errors import NotFound
from netdesk.core.schemas import (
    MAX_ID,
)


def one_of(queryset: QuerySet[Any], pk: int, what: str, field: str) -> Any:
    found = queryset.filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if found is None:
        raise NotFound(f"No {what} {pk}.", field=field, value=pk, accepted=f"a {what} id")
    return found


def frameworks_for(user: User) -> QuerySet[Framework]:
    """Drafts are seen by those who configure them; the rest by everyone."""
    require(user, Action.COMPETENCY_VIEW_OWN)
    frameworks = Framework.objects.all()
    if not can(user, Action.COMPETENCY_CONFIGURE):
        frameworks = frameworks.exclude(state=FrameworkState.DRAFT)
    return frameworks


def framework_get(user: User, framework_id: int) -> Framework:
    framework: Framework = one_of(frameworks_for(user), framework_id, "framework", "framework_id")
    return framework


def skill_get(user: User, skill_id: int) -> Skill:
    skill: Skill = one_of(
        Skill.objects.filter(framework__in=frameworks_for(user)).select_related("framework"),
        skill_id,
        "skill",
        "skill_id",
    )
    return skill


def profile_get(user: User, profile_id: int) -> RoleProfile:
    profile: RoleProfile = one_of(
        RoleProfile.objects.filter(framework__in=frameworks_for(user)).select_related("framework"),
        profile_id,
        "role profile",
        "profile_id",
    )
    return profile


def agent_get(user: User, agent_id: int) -> User:
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


def team_get(user: User, group_id: int) -> SupportGroup:
    group = SupportGroup.objects.filter(pk=group_id).first() if 0 < group_id <= MAX_ID else None
    if group is None or not selectors.can_see_team(user, group):
        raise NotFound(
            f"No team {group_id} that you may see.",
            field="group_id",
            value=group_id,
            accepted="a group you supervise (team leads); any group (managers)",
        )
    return group


def plan_item_get(user: User, item_id: int) -> PlanItem:
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
