"""Who am I: the authenticated user, their role and what they may do."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from netdesk.accounts.models import User
from netdesk.accounts.permissions import ROLE_ACTIONS
from netdesk.core.schemas import OutputSchema, answers

router = Router(tags=["accounts"])


class MeOut(OutputSchema):
    username: str
    name: str
    role: str
    groups: list[str]
    actions: list[str]


@router.get("", response=answers(MeOut), summary="The authenticated user and their permissions")
def me(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    assert isinstance(user, User)
    return {
        "username": user.username,
        "name": str(user),
        "role": user.role,
        "groups": [g.name for g in user.support_groups.all()],
        "actions": sorted(a.value for a in ROLE_ACTIONS.get(user.role, frozenset())),
    }
