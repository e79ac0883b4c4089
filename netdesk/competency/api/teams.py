"""Teams: the groups a reader may see, their gaps and skills matrix."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest
from ninja import Router

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, can, require, user_of
from netdesk.competency import selectors, skill_gaps
from netdesk.competency.api.lookups import team_get
from netdesk.competency.api.schemas import CompetencyTeamOut, TeamGapsOut, TeamMatrixOut
from netdesk.core.errors import PermissionDenied
from netdesk.core.schemas import (
    answers,
)

router = Router(tags=["competency"])


# ---- teams ----------------------------------------------------------------------------


@router.get(
    "/teams",
    response=answers(list[CompetencyTeamOut]),
    summary="Teams you may see: the groups you supervise, or all (managers)",
)
def teams_list(request: HttpRequest) -> list[dict[str, Any]]:
    user = user_of(request)
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
    user = user_of(request)
    _teams_require(user)
    return skill_gaps.team_gaps(team_get(user, group_id))


@router.get(
    "/teams/{group_id}/matrix",
    response=answers(TeamMatrixOut),
    summary="A team's skills matrix: agents × skills, level against requirement",
)
def teams_matrix(request: HttpRequest, group_id: int) -> dict[str, Any]:
    user = user_of(request)
    _teams_require(user)
    matrix = skill_gaps.team_matrix(team_get(user, group_id))
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
