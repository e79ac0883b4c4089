"""Competency framework pages under /competency/: the reader's own skills,
agents, frameworks, role profiles, teams. Assessments and routing add
their pages under the same prefix (their own urls)."""

from django.urls import URLPattern, path
from django.views.generic import RedirectView

from netdesk.competency.views import agents, frameworks, teams

urlpatterns: list[URLPattern] = [
    # /competency/ itself: the reader's own skills, the page most people want.
    path("", RedirectView.as_view(pattern_name="competency_me"), name="competency_home"),
    path("me/", agents.my_profile, name="competency_me"),
    path("agents/<int:pk>/", agents.agent_profile, name="competency_agent"),
    path("agents/<int:pk>/levels/", agents.agent_record_level, name="competency_agent_level"),
    path("agents/<int:pk>/profile/", agents.agent_set_profile, name="competency_agent_profile"),
    path("agents/<int:pk>/plan/new/", agents.plan_item_new, name="competency_plan_new"),
    path(
        "plan-items/<int:pk>/complete/", agents.plan_item_complete, name="competency_plan_complete"
    ),
    path("frameworks/", frameworks.framework_list, name="competency_frameworks"),
    path("frameworks/<int:pk>/", frameworks.framework_detail, name="competency_framework"),
    path(
        "frameworks/<int:pk>/<slug:action>/",
        frameworks.framework_action,
        name="competency_framework_action",
    ),
    path("skills/<int:pk>/", frameworks.skill_detail, name="competency_skill"),
    path("profiles/<int:pk>/", frameworks.profile_detail, name="competency_profile"),
    path("teams/", teams.team_list, name="competency_teams"),
    path("teams/<int:pk>/", teams.team_matrix, name="competency_team"),
]
