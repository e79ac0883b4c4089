"""Forms of the macro pages. They parse and offer choices; the macro
services check the rules (placeholders, who keeps which group's macros) and
their errors land on these fields."""

from __future__ import annotations

from typing import Any

from django import forms

from netdesk.accounts.models import Role, SupportGroup, User
from netdesk.knowledge.services.macros import BODY_LIMIT, NAME_LIMIT, PLACEHOLDERS, own_group_ids


def groups_keepable_by(user: User) -> forms.ModelMultipleChoiceField[SupportGroup]:
    """The groups a user may offer a macro to (their own, or all for managers)."""
    groups = SupportGroup.objects.order_by("name")
    if user.role not in (Role.SERVICE_DESK_MANAGER, Role.ADMINISTRATOR):
        groups = groups.filter(pk__in=own_group_ids(user))
    return forms.ModelMultipleChoiceField(
        queryset=groups,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Offered to these groups' members only; none: to every agent "
        "(kept by a service desk manager).",
    )


class MacroForm(forms.Form):
    name = forms.CharField(max_length=NAME_LIMIT)
    # No maxlength in the page: a pasted text comes back whole with the error.
    body = forms.CharField(
        label="Text",
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Placeholders: "
        + ", ".join(f"{{{{{name}}}}} ({what})" for name, what in PLACEHOLDERS.items())
        + f". At most {BODY_LIMIT} characters.",
        strip=False,
    )
    language = forms.CharField(max_length=10, initial="en", help_text="e.g. en, de")
    groups = forms.ModelMultipleChoiceField(queryset=SupportGroup.objects.none(), required=False)
    is_active = forms.BooleanField(
        label="Offered to agents",
        required=False,
        initial=True,
        help_text="Unticked: kept, not offered.",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["groups"] = groups_keepable_by(user)


class MacroFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200)
    group = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [  # type: ignore[attr-defined]
            ("", "All groups"),
            *SupportGroup.objects.order_by("name").values_list("pk", "name"),
        ]
