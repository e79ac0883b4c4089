"""The team skills matrix for team leads and managers."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from netdesk.accounts.models import SupportGroup, User
from netdesk.accounts.permissions import Action, can, require, user_of
from netdesk.competency import selectors, skill_gaps
from netdesk.core.errors import NotFound
from netdesk.customers.views import desk_view

# ---- teams -----------------------------------------------------------------------------------


def _team_user(request: HttpRequest) -> User:
    user = user_of(request)
    if not (can(user, Action.COMPETENCY_VIEW_TEAM) or can(user, Action.COMPETENCY_CONFIGURE)):
        require(user, Action.COMPETENCY_VIEW_TEAM)
    return user


@desk_view
def team_list(request: HttpRequest) -> HttpResponse:
    user = _team_user(request)
    teams = list(selectors.teams_visible_to(user).select_related("supervisor", "tier"))
    if len(teams) == 1:
        return redirect("competency_team", pk=teams[0].pk)
    return render(request, "competency/team_list.html", {"teams": teams})


@desk_view
def team_matrix(request: HttpRequest, pk: int) -> HttpResponse:
    user = _team_user(request)
    group = SupportGroup.objects.filter(pk=pk).select_related("supervisor").first()
    if group is None or not selectors.can_see_team(user, group):
        raise NotFound(f"No team {pk} that you may see.")
    matrix = skill_gaps.team_matrix(group)
    return render(
        request,
        "competency/team_matrix.html",
        {
            "group": group,
            "matrix": matrix,
            "rows": matrix.rows(),
            "summary": matrix.skill_summary(),
            "teams": list(selectors.teams_visible_to(user)),
        },
    )
