"""Reads about the desk's people and groups."""

from __future__ import annotations

from collections.abc import Hashable

from django.db.models import QuerySet

from netdesk.accounts.models import ApiToken, SupportGroup, TierKind, hash_token
from netdesk.core.compiled import CompiledQuery


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


def _token_by_hash(shape: Hashable, key_hash: str) -> QuerySet[ApiToken]:  # noqa: ARG001 - one shape
    # Not .first(): its ORDER BY makes Django compare every selected column
    # (the user's too) with the ordering.
    return ApiToken.objects.select_related("user").filter(
        key_hash=key_hash, revoked_at__isnull=True
    )[:1]


# Read by every API call: compiled once per process and database.
_TOKEN_BY_HASH = CompiledQuery(_token_by_hash)


def api_token_unrevoked(*, secret: str) -> ApiToken | None:
    """The token with this secret, not revoked, with its user (expiry and
    the user's being active are the caller's to judge)."""
    found = _TOKEN_BY_HASH.instances(None, key_hash=hash_token(secret))
    return found[0] if found else None
