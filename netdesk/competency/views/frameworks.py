"""The framework browser: versions, a framework's skills and profiles, and
draft editing for managers."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, can, require, user_of
from netdesk.competency import selectors
from netdesk.competency.forms import IndicatorForm, LevelForm, RequirementForm, SkillForm
from netdesk.competency.models import (
    Framework,
    FrameworkState,
    RoleProfile,
    Skill,
)
from netdesk.competency.services import framework as fw
from netdesk.competency.services import profiles as profile_services
from netdesk.competency.services import skills as skill_services
from netdesk.core.errors import NotFound, ServiceError
from netdesk.customers.views import desk_view
from netdesk.tickets.forms import attach_service_error

# ---- lookups --------------------------------------------------------------------


def frameworks_for(user: User) -> Any:
    require(user, Action.COMPETENCY_VIEW_OWN)
    frameworks = Framework.objects.all()
    if not can(user, Action.COMPETENCY_CONFIGURE):
        frameworks = frameworks.exclude(state=FrameworkState.DRAFT)
    return frameworks


def framework_for(user: User, pk: int) -> Framework:
    found: Framework | None = frameworks_for(user).filter(pk=pk).first()
    if found is None:
        raise NotFound(f"No framework {pk}.")
    return found


def skill_for(user: User, pk: int) -> Skill:
    found = (
        Skill.objects.filter(framework__in=frameworks_for(user), pk=pk)
        .select_related("framework", "parent")
        .first()
    )
    if found is None:
        raise NotFound(f"No skill {pk}.")
    return found


# ---- frameworks ---------------------------------------------------------------------------


@desk_view
def framework_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    frameworks = frameworks_for(user).order_by("name", "-version")
    return render(
        request,
        "competency/framework_list.html",
        {
            "frameworks": frameworks,
            "can_configure": can(user, Action.COMPETENCY_CONFIGURE),
        },
    )


def _framework_page(
    request: HttpRequest,
    framework: Framework,
    skill_form: SkillForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The framework's page, for a visit and for a new skill sent back as
    typed with its errors alike."""
    user = user_of(request)
    configure = can(user, Action.COMPETENCY_CONFIGURE)
    editable = configure and framework.state == FrameworkState.DRAFT
    profiles = list(RoleProfile.objects.filter(framework=framework).order_by("name"))
    requirements = selectors.profile_requirements([p.pk for p in profiles])
    return render(
        request,
        "competency/framework_detail.html",
        {
            "framework": framework,
            "tree": selectors.framework_tree(framework),
            "profiles": [
                (
                    p,
                    [r for r in requirements.get(p.pk, []) if r.hard],
                    [r for r in requirements.get(p.pk, []) if not r.hard],
                )
                for p in profiles
            ],
            "can_configure": configure,
            "editable": editable,
            "skill_form": skill_form or (SkillForm(framework=framework) if editable else None),
            "has_draft": Framework.objects.filter(
                name=framework.name, state=FrameworkState.DRAFT
            ).exists(),
        },
        status=status,
    )


@desk_view
def framework_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _framework_page(request, framework_for(user_of(request), pk))


def _skill_add(request: HttpRequest, user: User, framework: Framework) -> HttpResponse:
    """Add a skill to a draft; a refusal shows the page again with the
    skill as typed."""
    form = SkillForm(request.POST, framework=framework)
    if form.is_valid():
        data = form.cleaned_data
        parent = (
            Skill.objects.filter(pk=data["parent"], framework=framework).first()
            if data.get("parent")
            else None
        )
        try:
            skill = skill_services.skill_create(
                actor=user,
                framework=framework,
                code=data["code"],
                name=data["name"],
                category=data["category"],
                parent=parent,
                description=data.get("description", ""),
                scale_min=data["scale_min"],
                scale_max=data["scale_max"],
            )
        except ServiceError as error:
            if error.status == 403:
                raise
            attach_service_error(form, error)
        else:
            messages.success(request, f"{skill.code} added.")
            return redirect("competency_skill", pk=skill.pk)
    return _framework_page(request, framework, form, status=422)


@desk_view
@require_POST
def framework_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """new-version, publish, or add-skill / add-profile on a draft."""
    user = user_of(request)
    require(user, Action.COMPETENCY_CONFIGURE)
    framework = framework_for(user, pk)
    target = framework
    try:
        if action == "new-version":
            target = fw.framework_new_version(actor=user, framework=framework)
            messages.success(request, f"{target} created as a draft copy of {framework}.")
        elif action == "publish":
            target = fw.framework_publish(actor=user, framework=framework)
            messages.success(request, f"{target} is published and frozen.")
        elif action == "add-skill":
            return _skill_add(request, user, framework)
        elif action == "add-profile":
            profile = profile_services.profile_create(
                actor=user, framework=framework, name=request.POST.get("name", "")
            )
            messages.success(request, f"Role profile {profile.name} added.")
            return redirect("competency_profile", pk=profile.pk)
        else:
            raise NotFound(f"No action {action!r}.")
    except NotFound:
        raise
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect("competency_framework", pk=target.pk)


@desk_view
def skill_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A skill's levels and indicators; on a draft, managers edit them here."""
    user = user_of(request)
    skill = skill_for(user, pk)
    editable = (
        can(user, Action.COMPETENCY_CONFIGURE) and skill.framework.state == FrameworkState.DRAFT
    )
    level_form = LevelForm(prefix="level")
    indicator_form = IndicatorForm(prefix="indicator")
    status = 200
    if request.method == "POST":
        require(user, Action.COMPETENCY_CONFIGURE)
        try:
            if "level-level" in request.POST:
                level_form = LevelForm(request.POST, prefix="level")
                if level_form.is_valid():
                    data = level_form.cleaned_data
                    skill_services.level_set(
                        actor=user,
                        skill=skill,
                        level=data["level"],
                        title=data.get("title", ""),
                        description=data["description"],
                    )
                    messages.success(request, f"Level {data['level']} saved.")
                    return redirect("competency_skill", pk=skill.pk)
            elif "indicator-text" in request.POST:
                indicator_form = IndicatorForm(request.POST, prefix="indicator")
                if indicator_form.is_valid():
                    data = indicator_form.cleaned_data
                    skill_services.indicator_create(
                        actor=user,
                        skill=skill,
                        level=data["level"],
                        text=data["text"],
                        evidence=list(data["evidence"]),
                    )
                    messages.success(request, "Indicator added.")
                    return redirect("competency_skill", pk=skill.pk)
        except ServiceError as error:
            if error.status == 403:
                raise
            messages.error(request, error.message)
        status = 422
    return render(
        request,
        "competency/framework_skill.html",
        {
            "skill": skill,
            "levels": list(skill.levels.order_by("level")),
            "indicators": list(skill.indicators.order_by("level", "id")),
            "children": list(skill.children.order_by("code")),
            "editable": editable,
            "level_form": level_form,
            "indicator_form": indicator_form,
        },
        status=status,
    )


@desk_view
def profile_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    profile = (
        RoleProfile.objects.filter(framework__in=frameworks_for(user), pk=pk)
        .select_related("framework")
        .first()
    )
    if profile is None:
        raise NotFound(f"No role profile {pk}.")
    editable = (
        can(user, Action.COMPETENCY_CONFIGURE) and profile.framework.state == FrameworkState.DRAFT
    )
    form = RequirementForm(framework=profile.framework) if editable else None
    status = 200
    if request.method == "POST":
        require(user, Action.COMPETENCY_CONFIGURE)
        form = RequirementForm(request.POST, framework=profile.framework)
        if form.is_valid():
            data = form.cleaned_data
            try:
                profile_services.requirement_set(
                    actor=user,
                    profile=profile,
                    skill=skill_for(user, data["skill"]),
                    min_level=data["min_level"],
                    hard=data["hard"],
                )
            except ServiceError as error:
                if error.status == 403:
                    raise
                attach_service_error(form, error)
            else:
                messages.success(request, "Requirement saved.")
                return redirect("competency_profile", pk=profile.pk)
        status = 422
    return render(
        request,
        "competency/profile_detail.html",
        {
            "profile": profile,
            "requirements": selectors.profile_requirements([profile.pk]).get(profile.pk, []),
            "editable": editable,
            "form": form,
        },
        status=status,
    )
