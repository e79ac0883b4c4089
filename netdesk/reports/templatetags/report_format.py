"""Template filters of the report pages: `{{ seconds|duration }}`,
`{{ minutes|duration_minutes }}`."""

from __future__ import annotations

from django import template

from netdesk.reports.formatting import format_duration

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    return format_duration(seconds)


@register.filter
def duration_minutes(minutes: float | None) -> str:
    return format_duration(None if minutes is None else minutes * 60)
