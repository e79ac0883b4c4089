"""Reads about the desk's people and groups."""

from __future__ import annotations

from netdesk.accounts.models import SupportGroup, TierKind


def line_group(kind: TierKind) -> SupportGroup | None:
    """The group that speaks for a line of support (the first line's intake,
    the second line's NOC), found by the line, never by the group's name.
    Where the line has several active groups, the oldest one: the desk's
    first group of that line, as set up when the desk began."""
    return (
        SupportGroup.objects.filter(is_active=True, tier__kind=kind)
        .select_related("tier")
        .order_by("id")
        .first()
    )
