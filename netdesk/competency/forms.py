"""Forms of the framework screens: an agent's level, a plan item, and a
draft's skills, levels, indicators and profile requirements."""

from __future__ import annotations

from typing import Any

from django import forms

from netdesk.competency.models import (
    EvidenceKind,
    Framework,
    FrameworkState,
    LevelSource,
    Skill,
    SkillCategory,
)
from netdesk.competency.services import framework as fw
from netdesk.competency.services import people
from netdesk.core.dates import DeskDateField


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
