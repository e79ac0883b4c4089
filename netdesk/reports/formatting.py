"""How report figures read: durations in hours and minutes, codes as the
labels of their choices."""

from __future__ import annotations

from typing import Any

from django.db.models import Choices

NO_VALUE = "—"


def format_duration(seconds: float | None) -> str:
    """`2 h 05 min`; under a minute in seconds; `—` without a figure."""
    if seconds is None:
        return NO_VALUE
    if seconds < 60:
        return f"{round(seconds)} s"
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def choice_label(choices: type[Choices], value: Any) -> str:
    """The label of a stored code; a value the choices do not know (free text
    from older records) is shown as it is."""
    if value is None or value == "":
        return NO_VALUE
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)
