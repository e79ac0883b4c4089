"""An agent's competency page (my own, or one my team lead or a manager
reads): the skills chart, levels, gaps, history, plan; recording a
level, setting the role profile, adding and completing plan items."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, can, require, user_of
from netdesk.competency import selectors, skill_gaps
from netdesk.competency.forms import LevelRecordForm, PlanItemForm
from netdesk.competency.models import (
    FrameworkState,
    PlanItem,
    RoleProfile,
    Skill,
)
from netdesk.competency.services import people
from netdesk.competency.views.frameworks import skill_for
from netdesk.core.errors import NotFound, PermissionDenied, ServiceError
from netdesk.core.hooks import hooks_answers
from netdesk.customers.views import desk_view
from netdesk.tickets.forms import attach_service_error


def agent_for(user: User, pk: int) -> User:
    require(user, Action.COMPETENCY_VIEW_OWN)
    agent = User.objects.filter(pk=pk).first()
    if agent is None or not selectors.can_see_agent(user, agent.pk):
        raise NotFound(f"No agent {pk} that you may see.")
    return agent


# ---- the agent skills chart -----------------------------------------------------------

CHART_WIDTH = 560
CHART_LABEL = 120
CHART_ROW = 26


def skills_chart(gaps: skill_gaps.AgentGaps, extra: list[tuple[Skill, int]]) -> dict[str, Any]:
    """Geometry of a horizontal bar chart (server-rendered SVG): one bar per
    skill for the current level, a tick at the level the profile requires."""
    rows: list[dict[str, Any]] = []
    entries = [(r.skill, r.current, r.required, r.status, r.hard) for r in gaps.rows] + [
        (skill, level, None, "extra", False) for skill, level in extra
    ]
    plot = CHART_WIDTH - CHART_LABEL - 44
    for n, (skill, current, required, status, hard) in enumerate(entries):
        top = max(skill.scale_max, 1)
        unit = plot / top
        rows.append(
            {
                "y": n * CHART_ROW + 6,
                "text_y": n * CHART_ROW + 20,
                "label": f"{skill.code}",
                "title": skill.name,
                "width": round((current or 0) * unit, 1),
                "level": current,
                "required": required,
                "required_x": round(CHART_LABEL + required * unit, 1) if required else None,
                "status": status,
                "hard": hard,
                "scale": skill.scale_max,
            }
        )
    return {
        "rows": rows,
        "width": CHART_WIDTH,
        "height": len(rows) * CHART_ROW + 12,
        "label_width": CHART_LABEL,
        "plot_width": plot,
        "value_x": CHART_LABEL + plot + 4,
    }


# ---- pages -------------------------------------------------------------------------------


def _agent_context(viewer: User, agent: User) -> dict[str, Any]:
    gaps = skill_gaps.agent_gaps(agent)
    levels = selectors.agent_skill_levels(agent.pk)
    required_codes = {(r.skill.framework.name, r.skill.code) for r in gaps.rows}
    extra = [
        (skill, record.level)
        for skill, record in levels
        if (skill.framework.name, skill.code) not in required_codes
    ]
    context = {
        "agent": agent,
        "is_me": agent.pk == viewer.pk,
        "gaps": gaps,
        "levels": levels,
        "plan": [(item, selectors.overdue(item)) for item in selectors.plan_items(agent.pk)],
        "chart": skills_chart(gaps, extra),
        "can_assess": selectors.can_assess_agent(viewer, agent.pk),
        "history": selectors.agent_history(agent.pk)[:50],
        "can_see_teams": can(viewer, Action.COMPETENCY_VIEW_TEAM),
        "profiles": RoleProfile.objects.filter(framework__state=FrameworkState.PUBLISHED).order_by(
            "name"
        )
        if can(viewer, Action.COMPETENCY_CONFIGURE)
        else None,
    }
    # What apps built on the framework show here (the exams waiting).
    for extra in hooks_answers("agent_page", viewer=viewer, agent=agent):
        context.update(extra)
    return context


@desk_view
def my_profile(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    require(user, Action.COMPETENCY_VIEW_OWN)
    return render(request, "competency/agent_profile.html", _agent_context(user, user))


@desk_view
def agent_profile(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    agent = agent_for(user, pk)
    context = _agent_context(user, agent)
    if context["can_assess"]:
        context["level_form"] = LevelRecordForm()
    return render(request, "competency/agent_profile.html", context)


@desk_view
@require_POST
def agent_record_level(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    require(user, Action.COMPETENCY_ASSESS)
    agent = agent_for(user, pk)
    form = LevelRecordForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        expires = (
            timezone.make_aware(datetime.combine(data["expires_on"], time.min))
            if data.get("expires_on")
            else None
        )
        try:
            skill = skill_for(user, data["skill"])
            record = people.agent_level_record(
                actor=user,
                agent=agent,
                skill=skill,
                level=data["level"],
                source=data["source"],
                reason=data.get("reason", ""),
                expires_at=expires,
            )
        except ServiceError as error:
            attach_service_error(form, error)
        else:
            messages.success(request, f"{agent}: {skill.code} recorded at level {record.level}.")
            return redirect("competency_agent", pk=agent.pk)
    context = _agent_context(user, agent)
    context["level_form"] = form
    return render(request, "competency/agent_profile.html", context, status=422)


@desk_view
@require_POST
def agent_set_profile(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    require(user, Action.COMPETENCY_CONFIGURE)
    agent = agent_for(user, pk)
    raw = request.POST.get("profile", "")
    profile = (
        RoleProfile.objects.filter(pk=int(raw)).select_related("framework").first()
        if raw.isdigit()
        else None
    )
    try:
        people.agent_profile_assign(actor=user, agent=agent, profile=profile)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, f"{agent} is measured against {profile.name if profile else 'their role'}."
        )
    return redirect("competency_agent", pk=agent.pk)


@desk_view
def plan_item_new(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    require(user, Action.COMPETENCY_ASSESS)
    agent = agent_for(user, pk)
    if not selectors.can_assess_agent(user, agent.pk):
        raise PermissionDenied(f"You may not plan for {agent}.")
    initial: dict[str, Any] = {}
    if request.GET.get("skill", "").isdigit():
        initial["skill"] = int(request.GET["skill"])
        if request.GET.get("target", "").isdigit():
            initial["target_level"] = int(request.GET["target"])
    form = PlanItemForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                people.plan_item_create(
                    actor=user,
                    agent=agent,
                    skill=skill_for(user, data["skill"]),
                    target_level=data["target_level"],
                    due_on=data["due_on"],
                    action=data["action"],
                )
            except ServiceError as error:
                attach_service_error(form, error)
            else:
                messages.success(request, f"Plan item added for {agent}.")
                return redirect("competency_agent", pk=agent.pk)
        status = 422
    return render(
        request, "competency/agent_plan_form.html", {"agent": agent, "form": form}, status=status
    )


@desk_view
@require_POST
def plan_item_complete(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    item = PlanItem.objects.select_related("agent", "skill").filter(pk=pk).first()
    if item is None or not selectors.can_see_agent(user, item.agent_id):
        raise NotFound(f"No plan item {pk}.")
    try:
        people.plan_item_complete(actor=user, item=item)
    except ServiceError as error:
        if error.status == 403:
            raise
        messages.error(request, error.message)
    else:
        messages.success(request, f"{item.skill.code} plan item done.")
    return redirect("competency_agent", pk=item.agent_id)
