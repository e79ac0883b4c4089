"""Idempotency-Key support for create endpoints: a retried request returns
the first answer instead of creating a second record."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction

from netdesk.core.errors import ValidationFailed
from netdesk.core.models import IdempotencyKey

MAX_KEY_LENGTH = 200


def run_once(
    *,
    user: AbstractBaseUser,
    key: str | None,
    endpoint: str,
    payload: Any,
    create: Callable[[], tuple[int, Any]],
) -> tuple[int, Any]:
    """Run `create` unless this user already sent `key` to `endpoint`; then
    replay the stored answer. The same key with a different body is refused.

    `user` is typed as Django's base user because core sits below accounts."""
    if not key:
        return create()
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed(
            "The Idempotency-Key header is too long.",
            field="Idempotency-Key",
            value=key[:40] + "…",
            accepted=f"up to {MAX_KEY_LENGTH} characters",
        )
    fingerprint = hashlib.sha256(
        json.dumps(payload, sort_keys=True, default=str).encode()
    ).hexdigest()
    previous = IdempotencyKey.objects.filter(user_id=user.pk, key=key, endpoint=endpoint).first()
    if previous is None:
        try:
            with transaction.atomic():
                status, body = create()
                IdempotencyKey.objects.create(
                    user_id=user.pk,
                    key=key,
                    endpoint=endpoint,
                    request_fingerprint=fingerprint,
                    response_status=status,
                    response_body=json.loads(json.dumps(body, default=str)),
                )
                return status, body
        except IntegrityError:
            # A concurrent retry stored its answer first; replay that one.
            previous = IdempotencyKey.objects.filter(
                user_id=user.pk, key=key, endpoint=endpoint
            ).first()
            if previous is None:
                raise
    if previous.request_fingerprint != fingerprint:
        raise ValidationFailed(
            "This Idempotency-Key was already used with a different request body.",
            field="Idempotency-Key",
            value=key,
            accepted="a new key for a new request",
        )
    return previous.response_status, previous.response_body
