"""Writes for people, groups and API tokens."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from netdesk.accounts.models import ApiToken, Role, User, hash_token
from netdesk.core.errors import ValidationFailed
from netdesk.core.locking import locked

TOKEN_PREFIX = "ndk_"  # noqa: S105 - a visible prefix, not a secret


@transaction.atomic
def user_create(
    *,
    username: str,
    role: str,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
) -> User:
    if role not in Role.values:
        raise ValidationFailed(
            f"Unknown role {role!r}.", field="role", value=role, accepted=list(Role.values)
        )
    if not username or User.objects.filter(username=username).exists():
        raise ValidationFailed(
            f"Username {username!r} is empty or already taken.",
            field="username",
            value=username,
            accepted="a unique, non-empty user name",
        )
    user = User(
        username=username,
        role=role,
        first_name=first_name,
        last_name=last_name,
        email=email,
        is_staff=role in {Role.ADMINISTRATOR, Role.SERVICE_DESK_MANAGER},
        is_superuser=role == Role.ADMINISTRATOR,
    )
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationFailed(
                " ".join(exc.messages),
                field="password",
                value="(hidden)",
                accepted=(
                    "at least 8 characters, not a common password, not all digits, "
                    "not like the user name, name or e-mail"
                ),
            ) from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def token_create(
    *, user: User, name: str = "", expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token; the secret is returned once and only its hash is kept."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        key_hash=hash_token(secret),
        expires_at=expires_at,
    )
    return token, secret


@transaction.atomic
def token_revoke(*, token: ApiToken) -> None:
    """Revoke the token; revoking it again keeps the first revocation's time."""
    token = locked(token, what="API token")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def token_touch(*, token: ApiToken, at: datetime) -> None:
    """Note the token's last use. One autocommitted UPDATE without a lock:
    two calls racing write nearly the same time, and either is right."""
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=at)
