"""What the NOC endpoints share."""

from __future__ import annotations

from django.http import HttpRequest

from netdesk.accounts.models import User


def user_of(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user
