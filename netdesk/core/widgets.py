"""Form widgets for the busiest pages.

Django renders a select through a template and each of its options through
another: on the queue, polled by every agent, the filter row's six selects
cost about 2 ms of the page. `QuickSelect` writes the same markup in Python.
Grouped choices (optgroups) are rare on the desk's pages and left to Django.
"""

from __future__ import annotations

from html import escape
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.safestring import SafeString, mark_safe


class QuickSelect(forms.Select):
    """A single-choice select whose markup is built in Python: the first
    option whose value equals the field's value is selected, as Django's."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        choices = list(self.choices)
        if any(isinstance(label, list | tuple) for _value, label in choices):
            return super().render(name, value, attrs, renderer)  # optgroups
        chosen = self.format_value(value)
        selected = False
        options = []
        for option_value, label in choices:
            text = "" if option_value is None else str(option_value)
            mark = ""
            if not selected and text in chosen:
                mark, selected = " selected", True
            options.append(f'<option value="{escape(text)}"{mark}>{escape(str(label))}</option>')
        attributes = flatatt(self.build_attrs(self.attrs, attrs))
        return mark_safe(  # noqa: S308 - every value escaped above, the attributes by flatatt
            f'<select name="{escape(name)}"{attributes}>{"".join(options)}</select>'
        )
