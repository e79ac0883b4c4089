"""The range of dates the desk accepts from people and scripts, and the form
fields that enforce it with a date picker.

Python's dates end in 9999: a day after 9999-12-31, or a period shifted by
a time zone, cannot be computed, and nothing the desk records lies centuries
away. Every date a form, a query string or a request body gives is checked
against one range, with a message that names the field and the range."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from django import forms

FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2099, 12, 31)
DATE_RANGE = f"a date from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}"
# Aware bounds, so a time in any zone compares.
FIRST_MOMENT = datetime(FIRST_DAY.year, 1, 1, tzinfo=UTC)
AFTER_LAST_MOMENT = datetime(LAST_DAY.year + 1, 1, 1, tzinfo=UTC)


def out_of_range(value: date) -> str | None:
    """Why the date or time cannot be taken, or None when it can."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        inside = FIRST_MOMENT <= moment < AFTER_LAST_MOMENT
    else:
        inside = FIRST_DAY <= value <= LAST_DAY
    return None if inside else f"{value.isoformat()} is out of range; give {DATE_RANGE}."


def _check(value: date | None, label: Any) -> None:
    problem = out_of_range(value) if value is not None else None
    if problem is not None:
        message = f"{label}: {problem}" if label else problem
        raise forms.ValidationError(message, code="date_out_of_range")


class DeskDateField(forms.DateField):
    """A day picked with the browser's date picker, within the desk's range."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            forms.DateInput(
                format="%Y-%m-%d",
                attrs={"type": "date", "min": FIRST_DAY.isoformat(), "max": LAST_DAY.isoformat()},
            ),
        )
        kwargs.setdefault("help_text", "YYYY-MM-DD")
        super().__init__(**kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        _check(value, self.label)


class DeskDateTimeField(forms.DateTimeField):
    """A date and time in the reader's zone, with the browser's picker."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            forms.DateTimeInput(
                format="%Y-%m-%dT%H:%M",
                attrs={
                    "type": "datetime-local",
                    "min": f"{FIRST_DAY.isoformat()}T00:00",
                    "max": f"{LAST_DAY.isoformat()}T23:59",
                },
            ),
        )
        kwargs.setdefault("help_text", "YYYY-MM-DD HH:MM, your time zone")
        super().__init__(**kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        _check(value, self.label)
