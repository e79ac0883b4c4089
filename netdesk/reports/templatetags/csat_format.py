"""Template filters of the satisfaction report: `{{ share|percent }}` (a 0–1
share as a whole percentage), `{{ points|signed }}` (an NPS)."""

from __future__ import annotations

from django import template

from netdesk.reports.formatting import NO_VALUE

register = template.Library()


@register.filter
def percent(share: float | None) -> str:
    return NO_VALUE if share is None else f"{round(share * 100)} %"


@register.filter
def signed(points: float | None) -> str:
    if points is None:
        return NO_VALUE
    whole = round(points)
    return f"+{whole}" if whole > 0 else str(whole)
