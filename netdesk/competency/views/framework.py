"""Competency screens: the framework browser (and draft editing for
managers), my profile with an agent skills chart, any agent's profile for
their team lead or a manager (record a level, plan items), and the team
skills matrix."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from netdesk.accounts.models import SupportGroup, User
from netdesk.accounts.permissions import Action, can, require
from netdesk.competency import selectors
from netdesk.competency.models import (
    EvidenceKind,
    Framework,
    FrameworkState,
    LevelSource,
    PlanItem,
    RoleProfile,
    Skill,
    SkillCategory,
)
from netdesk.competency.services import framework as fw
from netdesk.competency.services import people
from netdesk.core.dates import DeskDateField
from netdesk.core.errors import NotFound, PermissionDenied, ServiceError
from netdesk.core.hooks import hooks_answers
from netdesk.customers.views import agent_of, desk_view
from netdesk.tickets.forms import attach_service_error

# ---- lookups --------------------------------------------------------------------


def _frameworks(user: User) -> Any:
    require(user, Action.COMPETENCY_VIEW_OWN)
    frameworks = Framework.objects.all()
    if not can(user, Action.COMPETENCY_CONFIGURE):
        frameworks = frameworks.exclude(state=FrameworkState.DRAFT)
    return frameworks


def _framework(user: User, pk: int) -> Framework:
    found: Framework | None = _frameworks(user).filter(pk=pk).first()
    if found is None:
        raise NotFound(f"No framework {pk}.")
    return found


def _skill(user: User, pk: int) -> Skill:
    found = (
        Skill.objects.filter(framework__in=_frameworks(user), pk=pk)
        .select_related("framework", "parent")
        .first()
    )
    if found is None:
        raise NotFound(f"No skill {pk}.")
    return found


def _agent(user: User, pk: int) -> User:
    require(user, Action.COMPETENCY_VIEW_OWN)
    agent = User.objects.filter(pk=pk).first()
    if agent is None or not selectors.can_see_agent(user, agent.pk):
        raise NotFound(f"No agent {pk} that you may see.")
    return agent


def _published_skills() -> Any:
    """Skills one can hold a level in: leaves of the published frameworks."""
    return (
        Skill.objects.filter(framework__state=FrameworkState.PUBLISHED, children__isnull=True)
        .select_related("framework")
        .order_by("framework__name", "code")
    )


def _skill_choices() -> list[tuple[int, str]]:
    return [
        (s.pk, f"{s.code} — {s.name} ({s.scale_min}–{s.scale_max})") for s in _published_skills()
    ]


# ---- forms ----------------------------------------------------------------------


class LevelRecordForm(forms.Form):
    skill = forms.TypedChoiceField(coerce=int)
    level = forms.IntegerField(min_value=0, max_value=fw.SCALE_LIMIT)
    source = forms.ChoiceField(choices=LevelSource.choices, initial=LevelSource.ASSESSMENT)
    reason = forms.CharField(
        required=False,
        max_length=people.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required for a manual override.",
    )
    expires_on = DeskDateField(
        required=False,
        label="Expires on",
        help_text="For a certificate or a provisional level; empty: does not expire.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["skill"].choices = _skill_choices()  # type: ignore[attr-defined]


class PlanItemForm(forms.Form):
    skill = forms.TypedChoiceField(coerce=int)
    target_level = forms.IntegerField(min_value=0, max_value=fw.SCALE_LIMIT)
    due_on = DeskDateField()
    action = forms.CharField(
        max_length=people.MAX_ACTION,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the agent will do: a course, shadowing, practice.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["skill"].choices = _skill_choices()  # type: ignore[attr-defined]


class SkillForm(forms.Form):
    code = forms.CharField(max_length=40)
    name = forms.CharField(max_length=200)
    category = forms.ChoiceField(choices=SkillCategory.choices)
    parent = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    scale_min = forms.IntegerField(min_value=0, max_value=fw.SCALE_LIMIT, initial=1)
    scale_max = forms.IntegerField(min_value=1, max_value=fw.SCALE_LIMIT, initial=5)

    def __init__(self, *args: Any, framework: Framework, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [  # type: ignore[attr-defined]
            ("", "— top level —"),
            *[(s.pk, f"{s.code} {s.name}") for s in Skill.objects.filter(framework=framework)],
        ]


class LevelForm(forms.Form):
    level = forms.IntegerField(min_value=0, max_value=fw.SCALE_LIMIT)
    title = forms.CharField(max_length=120, required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class IndicatorForm(forms.Form):
    level = forms.IntegerField(min_value=0, max_value=fw.SCALE_LIMIT)
    text = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    evidence = forms.MultipleChoiceField(
        choices=EvidenceKind.choices, widget=forms.CheckboxSelectMultiple
    )


class RequirementForm(forms.Form):
    skill = forms.TypedChoiceField(coerce=int)
    min_level = forms.IntegerField(min_value=0, max_value=fw.SCALE_LIMIT)
    hard = forms.BooleanField(required=False, initial=True, label="Required (else preferred)")

    def __init__(self, *args: Any, framework: Framework, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["skill"].choices = [  # type: ignore[attr-defined]
            (s.pk, f"{s.code} {s.name}")
            for s in Skill.objects.filter(framework=framework, children__isnull=True)
        ]


# ---- the agent skills chart -----------------------------------------------------------

CHART_WIDTH = 560
CHART_LABEL = 120
CHART_ROW = 26


def skills_chart(gaps: selectors.AgentGaps, extra: list[tuple[Skill, int]]) -> dict[str, Any]:
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
    gaps = selectors.agent_gaps(agent)
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
    user = agent_of(request)
    require(user, Action.COMPETENCY_VIEW_OWN)
    return render(request, "competency/agent_profile.html", _agent_context(user, user))


@desk_view
def agent_profile(request: HttpRequest, pk: int) -> HttpResponse:
    user = agent_of(request)
    agent = _agent(user, pk)
    context = _agent_context(user, agent)
    if context["can_assess"]:
        context["level_form"] = LevelRecordForm()
    return render(request, "competency/agent_profile.html", context)


@desk_view
@require_POST
def agent_record_level(request: HttpRequest, pk: int) -> HttpResponse:
    user = agent_of(request)
    require(user, Action.COMPETENCY_ASSESS)
    agent = _agent(user, pk)
    form = LevelRecordForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        expires = (
            timezone.make_aware(datetime.combine(data["expires_on"], time.min))
            if data.get("expires_on")
            else None
        )
        try:
            skill = _skill(user, data["skill"])
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
    user = agent_of(request)
    require(user, Action.COMPETENCY_CONFIGURE)
    agent = _agent(user, pk)
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
    user = agent_of(request)
    require(user, Action.COMPETENCY_ASSESS)
    agent = _agent(user, pk)
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
                    skill=_skill(user, data["skill"]),
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
    user = agent_of(request)
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


# ---- frameworks ---------------------------------------------------------------------------


@desk_view
def framework_list(request: HttpRequest) -> HttpResponse:
    user = agent_of(request)
    frameworks = _frameworks(user).order_by("name", "-version")
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
    user = agent_of(request)
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
    return _framework_page(request, _framework(agent_of(request), pk))


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
            skill = fw.skill_create(
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
    user = agent_of(request)
    require(user, Action.COMPETENCY_CONFIGURE)
    framework = _framework(user, pk)
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
            profile = fw.profile_create(
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
    user = agent_of(request)
    skill = _skill(user, pk)
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
                    fw.level_set(
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
                    fw.indicator_create(
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
    user = agent_of(request)
    profile = (
        RoleProfile.objects.filter(framework__in=_frameworks(user), pk=pk)
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
                fw.requirement_set(
                    actor=user,
                    profile=profile,
                    skill=_skill(user, data["skill"]),
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


# ---- teams -----------------------------------------------------------------------------------


def _team_user(request: HttpRequest) -> User:
    user = agent_of(request)
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
    matrix = selectors.team_matrix(group)
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
