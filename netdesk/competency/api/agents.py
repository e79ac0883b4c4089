"""Agents' levels, their history and role profile, gap analysis and
development plans; `/me` for the caller. Team leads read and assess the
members of the groups they supervise; managers everyone."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from netdesk.accounts.permissions import Action, require, user_of
from netdesk.competency import selectors, skill_gaps
from netdesk.competency.api.lookups import agent_get, plan_item_get, profile_get, skill_get
from netdesk.competency.api.schemas import (
    AgentCompetencyOut,
    AgentGapsOut,
    AgentProfileIn,
    LevelRecordIn,
    LevelRecordOut,
    PlanItemIn,
    PlanItemOut,
    PlanItemPatchIn,
    agent_out,
    record_out,
)
from netdesk.competency.models import PlanItem
from netdesk.competency.services import people
from netdesk.core.schemas import (
    answers,
)

router = Router(tags=["competency"])


# ---- agents -------------------------------------------------------------------------


@router.get(
    "/me",
    response=answers(AgentCompetencyOut),
    summary="My levels, gaps against my profile and my plan",
)
def me(request: HttpRequest) -> dict[str, Any]:
    user = user_of(request)
    require(user, Action.COMPETENCY_VIEW_OWN)
    return agent_out(user)


@router.get(
    "/agents/{agent_id}",
    response=answers(AgentCompetencyOut),
    summary="An agent's levels, gaps and plan (yourself, your team, or anyone for managers)",
)
def agents_detail(request: HttpRequest, agent_id: int) -> dict[str, Any]:
    return agent_out(agent_get(user_of(request), agent_id))


@router.get(
    "/agents/{agent_id}/history",
    response=answers(list[LevelRecordOut]),
    summary="Every level record of an agent, newest first (append-only)",
)
def agents_history(request: HttpRequest, agent_id: int) -> list[dict[str, Any]]:
    agent = agent_get(user_of(request), agent_id)
    return [record_out(r) for r in selectors.agent_history(agent.pk)]


@router.post(
    "/agents/{agent_id}/levels",
    response=answers(LevelRecordOut, 201),
    summary="Record an agent's level in a skill (an override needs a reason)",
)
def agents_record_level(
    request: HttpRequest, agent_id: int, payload: LevelRecordIn
) -> Status[dict[str, Any]]:
    user = user_of(request)
    require(user, Action.COMPETENCY_ASSESS)
    agent = agent_get(user, agent_id)
    record = people.agent_level_record(
        actor=user,
        agent=agent,
        skill=skill_get(user, payload.skill_id),
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
    user = user_of(request)
    require(user, Action.COMPETENCY_CONFIGURE)
    agent = agent_get(user, agent_id)
    profile = None if payload.profile_id is None else profile_get(user, payload.profile_id)
    people.agent_profile_assign(actor=user, agent=agent, profile=profile)
    return skill_gaps.agent_gaps(agent).as_dict()


@router.get(
    "/agents/{agent_id}/gaps",
    response=answers(AgentGapsOut),
    summary="Gap analysis: the agent's role profile against their current levels",
)
def agents_gaps(request: HttpRequest, agent_id: int) -> dict[str, Any]:
    return skill_gaps.agent_gaps(agent_get(user_of(request), agent_id)).as_dict()


@router.get(
    "/agents/{agent_id}/plan",
    response=answers(list[PlanItemOut]),
    summary="An agent's development plan",
)
def agents_plan(request: HttpRequest, agent_id: int) -> list[PlanItem]:
    agent = agent_get(user_of(request), agent_id)
    return selectors.plan_items(agent.pk)


@router.post(
    "/agents/{agent_id}/plan",
    response=answers(PlanItemOut, 201),
    summary="Add a development plan item: a target level in a skill by a date",
)
def agents_plan_add(request: HttpRequest, agent_id: int, payload: PlanItemIn) -> Status[PlanItem]:
    user = user_of(request)
    require(user, Action.COMPETENCY_ASSESS)
    agent = agent_get(user, agent_id)
    item = people.plan_item_create(
        actor=user,
        agent=agent,
        skill=skill_get(user, payload.skill_id),
        target_level=payload.target_level,
        due_on=payload.due_on,
        action=payload.action,
    )
    return Status(201, item)


@router.patch(
    "/plan-items/{item_id}", response=answers(PlanItemOut), summary="Change an open plan item"
)
def plan_items_patch(request: HttpRequest, item_id: int, payload: PlanItemPatchIn) -> PlanItem:
    user = user_of(request)
    item = people.plan_item_update(
        actor=user,
        item=plan_item_get(user, item_id),
        target_level=payload.target_level,
        due_on=payload.due_on,
        action=payload.action,
    )
    return item


@router.post(
    "/plan-items/{item_id}/complete", response=answers(PlanItemOut), summary="Mark a plan item done"
)
def plan_items_complete(request: HttpRequest, item_id: int) -> PlanItem:
    user = user_of(request)
    item = people.plan_item_complete(actor=user, item=plan_item_get(user, item_id))
    return item


@router.delete(
    "/plan-items/{item_id}", response=answers(None, 204), summary="Delete an open plan item"
)
def plan_items_delete(request: HttpRequest, item_id: int) -> Status[None]:
    user = user_of(request)
    people.plan_item_delete(actor=user, item=plan_item_get(user, item_id))
    return Status(204, None)
