"""The checks every app's services make on what they are given: a text within
its length, a value among the accepted ones. Each refusal names the field,
the value and what is accepted."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db.models import Choices

from netdesk.core.errors import ValidationFailed

Value = TypeVar("Value")


def checked_text(field: str, value: str | None, limit: int, *, blank: bool = False) -> str:
    """`value` stripped, refused when longer than `limit` characters or,
    unless `blank`, empty."""
    value = (value or "").strip()
    if (not value and not blank) or len(value) > limit:
        raise ValidationFailed(
            f"{field} must be {'up to' if blank else '1 to'} {limit} characters.",
            field=field,
            value=value[:100],
            accepted=f"{0 if blank else 1} to {limit} characters",
        )
    return value


def checked_choice(field: str, value: Value, accepted: Iterable[Any] | type[Choices]) -> Value:
    """`value` when it is one of `accepted` (values, or a Choices class)."""
    options = list(accepted.values if isinstance(accepted, type) else accepted)
    if value not in options:
        raise ValidationFailed(
            f"{field} {value!r} is not one of the accepted values.",
            field=field,
            value=value,
            accepted=options,
        )
    return value
