"""CTI endpoints: where a PBX (or a bridge) posts its call events. The token
in the endpoint's path is its only secret; it is shown once, and only its
SHA-256 is kept, like an API token's."""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from netdesk.accounts.models import hash_token
from netdesk.core.errors import NotFound, ValidationFailed
from netdesk.core.locking import locked
from netdesk.phone.models import CtiEndpoint

TOKEN_PREFIX = "cti_"  # noqa: S105 - the shown start of every endpoint token, not a secret
NAME_MAX = 100


def cti_endpoint_path(token: str) -> str:
    """The path the PBX posts to."""
    return f"/api/v1/cti/{token}"


def cti_endpoint_create(*, name: str) -> tuple[CtiEndpoint, str]:
    """A new endpoint named `name` and its token, returned once."""
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise ValidationFailed(
            f"name {name!r} cannot name an endpoint: give 1 to {NAME_MAX} characters.",
            field="name",
            value=name,
            accepted=f"1 to {NAME_MAX} characters, unique among endpoints",
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            endpoint = CtiEndpoint.objects.create(
                name=name,
                token_hash=hash_token(token),
                prefix=token[: len(TOKEN_PREFIX) + 6],
                created_at=timezone.now(),
            )
    except IntegrityError:
        raise ValidationFailed(
            f"name {name!r} is taken by another endpoint.",
            field="name",
            value=name,
            accepted="a name no other endpoint has (netdesk cti endpoint list)",
        ) from None
    return endpoint, token


@transaction.atomic
def cti_endpoint_revoke(*, name: str) -> CtiEndpoint:
    """Revoke the endpoint named `name`: its events are refused from now on.
    Revoking it again keeps the first revocation's time."""
    endpoint = CtiEndpoint.objects.filter(name=name).first()
    if endpoint is None:
        raise NotFound(
            f"No endpoint is named {name!r}.",
            field="name",
            value=name,
            accepted="the name of an existing endpoint (netdesk cti endpoint list)",
        )
    endpoint = locked(endpoint, what="CTI endpoint")
    if endpoint.revoked_at is None:
        endpoint.revoked_at = timezone.now()
        endpoint.save(update_fields=["revoked_at"])
    return endpoint
