"""Competency screens: assessment cycles (agents, progress, rater
agreement), an assessment (exam, ratings form, KPI evidence, the synthesis
with every input and hurdle, overrides) and the exam an agent takes."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, can, require, user_of
from netdesk.assessments import selectors as read
from netdesk.assessments.models import (
    Assessment,
    AssessmentCycle,
    AssessmentState,
    RatingKind,
    SkillResult,
)
from netdesk.assessments.services import assessments as services
from netdesk.assessments.services import exams
from netdesk.competency import selectors
from netdesk.competency.models import Framework, FrameworkState, Indicator, Skill
from netdesk.core.dates import DeskDateField
from netdesk.core.errors import NotFound, ServiceError
from netdesk.customers.views import desk_view
from netdesk.tickets.forms import attach_service_error

SCORES = [(n, str(n)) for n in range(1, 6)]


# ---- forms ------------------------------------------------------------------------


class CycleForm(forms.Form):
    name = forms.CharField(max_length=120)
    framework = forms.ModelChoiceField(
        queryset=Framework.objects.filter(state=FrameworkState.PUBLISHED).order_by("name")
    )
    period_start = DeskDateField(help_text="KPI evidence is read from this day…")
    period_end = DeskDateField(help_text="…to this day, both included")
    synthesis = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text='JSON, e.g. {"weights": {"kpi": 0.4}}; empty for the defaults',
    )

    def clean_synthesis(self) -> dict[str, Any]:
        text = self.cleaned_data["synthesis"].strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except ValueError as error:
            raise forms.ValidationError(f"Not JSON: {error}") from None
        if not isinstance(value, dict):
            raise forms.ValidationError("The settings must be a JSON object.")
        return value


class OpenForm(forms.Form):
    agent = forms.ModelChoiceField(queryset=User.objects.none())
    skills = forms.ModelMultipleChoiceField(
        queryset=Skill.objects.none(),
        required=False,
        help_text="none chosen: every skill without sub-skills",
    )

    def __init__(self, *args: Any, user: User, cycle: AssessmentCycle, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = User.objects.filter(is_active=True).exclude(pk=user.pk).order_by("username")
        if not selectors.sees_everyone(user):
            people = people.filter(pk__in=selectors.team_member_ids(user))
        agent_field = self.fields["agent"]
        assert isinstance(agent_field, forms.ModelChoiceField)
        agent_field.queryset = people.exclude(assessments__cycle=cycle)
        skills_field = self.fields["skills"]
        assert isinstance(skills_field, forms.ModelMultipleChoiceField)
        skills_field.queryset = cycle.framework.skills.filter(children__isnull=True).order_by(
            "code"
        )


class IndicatorChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.skill.code} L{obj.level}: {obj.text[:80]}"


class RatingForm(forms.Form):
    indicator = IndicatorChoice(queryset=Indicator.objects.none())
    kind = forms.ChoiceField(choices=RatingKind.choices)
    score = forms.TypedChoiceField(choices=SCORES, coerce=int, widget=forms.RadioSelect)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, skills: list[Skill], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["indicator"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            Indicator.objects.filter(skill__in=skills)
            .select_related("skill")
            .order_by("skill__code", "level", "id")
        )


class ExamDrawForm(forms.Form):
    skill = forms.ModelChoiceField(queryset=Skill.objects.none())
    level = forms.IntegerField(min_value=0, max_value=100)
    questions = forms.IntegerField(min_value=1, max_value=exams.MAX_QUESTIONS, required=False)
    seed = forms.IntegerField(
        min_value=0, max_value=2**62, required=False, help_text="the same seed draws the same exam"
    )

    def __init__(self, *args: Any, skills: list[Skill], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["skill"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Skill.objects.filter(pk__in=[s.pk for s in skills]).order_by("code")


class OverrideForm(forms.Form):
    skill = forms.ModelChoiceField(queryset=Skill.objects.none())
    level = forms.IntegerField(min_value=0, max_value=100)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)

    def __init__(self, *args: Any, skills: list[Skill], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["skill"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Skill.objects.filter(pk__in=[s.pk for s in skills]).order_by("code")


class GradeForm(forms.Form):
    grade = forms.ChoiceField(choices=[])
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)

    def __init__(self, *args: Any, grades: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["grade"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(g, g) for g in grades]


# ---- cycles ----------------------------------------------------------------------------


def _cycles_page(request: HttpRequest, form: CycleForm, status: int = 200) -> HttpResponse:
    user = user_of(request)
    return render(
        request,
        "assessments/cycle_list.html",
        {
            "cycles": read.cycles_visible_to(user)[:200],
            "form": form,
            "can_configure": can(user, Action.COMPETENCY_CONFIGURE),
        },
        status=status,
    )


@desk_view
def cycle_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    require(user, Action.COMPETENCY_VIEW_OWN)
    if request.method != "POST":
        return _cycles_page(request, CycleForm())
    require(user, Action.COMPETENCY_CONFIGURE)
    form = CycleForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            cycle = services.cycle_create(
                actor=user,
                name=data["name"],
                framework=data["framework"],
                period_start=data["period_start"],
                period_end=data["period_end"],
                synthesis_config=data["synthesis"],
            )
        except ServiceError as error:
            attach_service_error(form, error, {"synthesis": "synthesis"})
            if error.field and error.field.startswith("synthesis."):
                form.add_error("synthesis", f"{error.field}: {error.message}")
        else:
            messages.success(request, f"Cycle {cycle.name} started.")
            return redirect("competency_cycle", pk=cycle.pk)
    return _cycles_page(request, form, status=422)


def _cycle_page(
    request: HttpRequest, cycle: AssessmentCycle, form: OpenForm | None = None, status: int = 200
) -> HttpResponse:
    user = user_of(request)
    may_assess = can(user, Action.COMPETENCY_ASSESS)
    return render(
        request,
        "assessments/cycle.html",
        {
            "cycle": cycle,
            "config": read.cycle_config(cycle),
            "rows": read.cycle_progress(cycle, user),
            "agreement": _agreement_rows(read.cycle_agreement(cycle)) if may_assess else None,
            "form": form or (OpenForm(user=user, cycle=cycle) if may_assess else None),
            "can_configure": can(user, Action.COMPETENCY_CONFIGURE),
        },
        status=status,
    )


def _agreement_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    statistics = ("kappa_quadratic", "kappa_linear", "icc_single", "icc_average")
    return [
        {"kind": kind, **row, "statistics": [row[name] for name in statistics]}
        for kind, row in report.items()
    ]


@desk_view
def cycle_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    require(user, Action.COMPETENCY_VIEW_OWN)
    return _cycle_page(request, read.cycle_get(user, pk))


@desk_view
@require_POST
def cycle_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Open an assessment for an agent of the lead's team (anyone, for managers)."""
    user = user_of(request)
    require(user, Action.COMPETENCY_ASSESS)
    cycle = read.cycle_get(user, pk)
    form = OpenForm(request.POST, user=user, cycle=cycle)
    if form.is_valid():
        try:
            assessment = services.assessment_open(
                actor=user,
                cycle=cycle,
                agent=form.cleaned_data["agent"],
                skills=list(form.cleaned_data["skills"]) or None,
            )
        except ServiceError as error:
            attach_service_error(form, error)
        else:
            messages.success(request, f"Assessment of {assessment.agent} opened.")
            return redirect("competency_assessment", pk=assessment.pk)
    return _cycle_page(request, cycle, form, status=422)


@desk_view
@require_POST
def cycle_close(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    services.cycle_close(actor=user, cycle=read.cycle_get(user, pk))
    messages.success(request, "Cycle closed: no new assessments.")
    return redirect("competency_cycle", pk=pk)


# ---- an assessment ------------------------------------------------------------------------


def _format(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "seconds":
        return f"{value / 60:.1f} min"
    return f"{value:.1%}"


def _evidence_rows(page: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for item in page["kpi_evidence"].values():
        rows.append(
            {
                "item": item,
                "observed": _format(item.observed, item.unit),
                "expected": _format(item.expected, item.unit),
                "adjusted": _format(item.adjusted, item.unit),
            }
        )
    return rows


def _forms(skills: list[Skill], grades: list[str], data: Any = None) -> dict[str, forms.Form]:
    return {
        "rating_form": RatingForm(data, skills=skills, prefix="rate"),
        "exam_form": ExamDrawForm(data, skills=skills, prefix="exam"),
        "override_form": OverrideForm(data, skills=skills, prefix="override"),
        "grade_form": GradeForm(data, grades=grades, prefix="grade"),
    }


def _assessment_page(
    request: HttpRequest,
    assessment: Assessment,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = user_of(request)
    page = read.assessment_page(assessment)
    skills = [row["skill"] for row in page["skills"]]
    config = read.cycle_config(assessment.cycle)
    grades = [g.name for g in config.grades]
    may_assess = user.pk != assessment.agent_id and selectors.can_assess_agent(
        user, assessment.agent_id
    )
    return render(
        request,
        "assessments/assessment.html",
        {
            "assessment": assessment,
            "cycle": assessment.cycle,
            "config": config,
            "page": page,
            "evidence_rows": _evidence_rows(page),
            "is_agent": user.pk == assessment.agent_id,
            "may_assess": may_assess,
            "open": assessment.state == AssessmentState.OPEN,
            "synthesised": assessment.state == AssessmentState.SYNTHESISED,
            **_forms(skills, grades),
            **(bound or {}),
        },
        status=status,
    )


@desk_view
def assessment_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    require(user, Action.COMPETENCY_VIEW_OWN)
    return _assessment_page(request, read.assessment_get(user, pk))


def _result(assessment: Assessment, skill: Skill) -> SkillResult:
    found = (
        SkillResult.objects.select_related("skill", "assessment__agent", "assessment__cycle")
        .filter(assessment=assessment, skill=skill)
        .first()
    )
    if found is None:
        raise NotFound(f"{skill.code} has not been synthesised yet.")
    return found


@desk_view
@require_POST
def assessment_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """rate, exam, synthesise, override, grade or validate."""
    user = user_of(request)
    require(user, Action.COMPETENCY_VIEW_OWN)
    assessment = read.assessment_get(user, pk)
    skills = list(assessment.skills.order_by("code"))
    grades = [g.name for g in read.cycle_config(assessment.cycle).grades]
    bound = _forms(skills, grades, request.POST)
    try:
        if action == "synthesise":
            services.assessment_synthesise(actor=user, assessment=assessment)
            messages.success(request, "Synthesised: levels and grade below, with their inputs.")
        elif action == "validate":
            services.assessment_validate(actor=user, assessment=assessment)
            messages.success(request, "Validated: the levels are now on the agent's record.")
        elif action in ("rate", "exam", "override", "grade"):
            form = bound[f"{'rating' if action == 'rate' else action}_form"]
            if not form.is_valid():
                return _assessment_page(request, assessment, _only(bound, form), 422)
            _do(user, assessment, action, form.cleaned_data)
            messages.success(request, "Saved.")
        else:
            raise Http404(f"No action {action}.")
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect("competency_assessment", pk=assessment.pk)


def _only(bound: dict[str, forms.Form], form: forms.Form) -> dict[str, forms.Form]:
    """The one bound form with its errors; the others fresh."""
    return {name: f for name, f in bound.items() if f is form}


def _do(user: User, assessment: Assessment, action: str, data: dict[str, Any]) -> None:
    if action == "rate":
        services.rating_record(
            actor=user,
            assessment=assessment,
            indicator=data["indicator"],
            kind=data["kind"],
            score=data["score"],
            note=data["note"],
        )
    elif action == "exam":
        exams.exam_draw(
            actor=user,
            assessment=assessment,
            skill=data["skill"],
            level=data["level"],
            questions=data["questions"],
            seed=data["seed"],
        )
    elif action == "override":
        services.skill_result_override(
            actor=user,
            result=_result(assessment, data["skill"]),
            level=data["level"],
            reason=data["reason"],
        )
    else:
        services.grade_override(
            actor=user, assessment=assessment, grade=data["grade"], reason=data["reason"]
        )


# ---- the exam -------------------------------------------------------------------------------


def _exam_answers(posted: Any) -> dict[str, int]:
    """Question id → index of the chosen answer, from the exam form."""
    answers: dict[str, int] = {}
    for key in posted:
        value = posted.get(key, "")
        if key.startswith("q-") and value.isascii() and value.isdigit() and len(value) < 4:
            answers[key.removeprefix("q-")] = int(value)
    return answers


@desk_view
def exam_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The agent takes their own exam here; whoever sees the assessment sees the result."""
    user = user_of(request)
    require(user, Action.COMPETENCY_VIEW_OWN)
    attempt = read.exam_get(user, pk)
    is_agent = attempt.assessment.agent_id == user.pk
    submitted = attempt.submitted_at is not None
    can_take = is_agent and not submitted and attempt.assessment.state == AssessmentState.OPEN
    questions = list(attempt.questions.order_by("id"))
    chosen: dict[str, int] = attempt.answers or {}
    blank = 0
    if request.method == "POST":
        if not is_agent:
            raise Http404("Only the agent being assessed takes this exam.")
        chosen = _exam_answers(request.POST)
        blank = sum(1 for q in questions if str(q.pk) not in chosen)
        # The exam is handed in once and a blank counts as wrong: ask first,
        # on the server so it asks without JavaScript too. The confirmation
        # names the count, so answering more on the way resets the question.
        if not (can_take and blank) or request.POST.get("confirm_blank") == str(blank):
            try:
                exams.exam_submit(actor=user, attempt=attempt, answers=chosen)
            except ServiceError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, "Exam handed in.")
            return redirect("competency_exam", pk=attempt.pk)
    return render(
        request,
        "assessments/assessment_exam.html",
        {
            "attempt": attempt,
            "is_agent": is_agent,
            "submitted": submitted,
            "passed": read.exam_passed(attempt),
            "blank": blank,
            # Right answers are never shown; after handing in, whether each choice was right.
            "items": [
                {
                    "question": q,
                    "choices": list(enumerate(q.choices)),
                    "chosen": chosen.get(str(q.pk)),
                    "right": submitted and chosen.get(str(q.pk)) == q.correct,
                }
                for q in questions
            ],
            "can_take": can_take,
        },
    )
