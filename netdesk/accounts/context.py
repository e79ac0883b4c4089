"""Template context: what the signed-in user may do, so the menu offers
only the pages their role opens (each page checks again)."""

from __future__ import annotations

from django.http import HttpRequest

from netdesk.accounts.permissions import ROLE_ACTIONS


def user_actions(request: HttpRequest) -> dict[str, frozenset[str]]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return {"user_actions": frozenset()}
    return {"user_actions": frozenset(str(a) for a in ROLE_ACTIONS.get(user.role, frozenset()))}
