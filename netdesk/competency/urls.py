"""Competency framework pages under /competency/: the reader's own skills,
agents, frameworks, role profiles, teams. Assessments and routing add
their pages under the same prefix (their own urls)."""

from django.urls import URLPattern, path
from django.views.generic import RedirectView

from netdesk.competency.views.framework import (
    agent_profile,
    agent_record_level,
    agent_set_profile,
    framework_action,
    framework_detail,
    framework_list,
    my_profile,
    plan_item_complete,
    plan_item_new,
    profile_detail,
    skill_detail,
    team_list,
    team_matrix,
)

urlpatterns: list[URLPattern] = [
    # /competency/ itself: the reader's own skills, the page most people want.
    path("", RedirectView.as_view(pattern_name="competency_me"), name="competency_home"),
    path("me/", my_profile, name="competency_me"),
    path("agents/<int:pk>/", agent_profile, name="competency_agent"),
    path("agents/<int:pk>/levels/", agent_record_level, name="competency_agent_level"),
    path("agents/<int:pk>/profile/", agent_set_profile, name="competency_agent_profile"),
    path("agents/<int:pk>/plan/new/", plan_item_new, name="competency_plan_new"),
    path("plan-items/<int:pk>/complete/", plan_item_complete, name="competency_plan_complete"),
    path("frameworks/", framework_list, name="competency_frameworks"),
    path("frameworks/<int:pk>/", framework_detail, name="competency_framework"),
    path(
        "frameworks/<int:pk>/<slug:action>/", framework_action, name="competency_framework_action"
    ),
    path("skills/<int:pk>/", skill_detail, name="competency_skill"),
    path("profiles/<int:pk>/", profile_detail, name="competency_profile"),
    path("teams/", team_list, name="competency_teams"),
    path("teams/<int:pk>/", team_matrix, name="competency_team"),
]
