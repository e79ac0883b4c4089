"""A token's last use is written by its first call, and again only once it
is older than TOKEN_TOUCH_SECONDS: a write per call would make every read
of the API a write on SQLite."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from netdesk import api
from netdesk.accounts.models import ApiToken
from netdesk.accounts.services import token_create
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_last_use_is_written_once_a_minute(monkeypatch):
    monkeypatch.setattr(api, "TOKEN_TOUCH_SECONDS", 60)
    token, secret = token_create(user=f.user())
    client = Client(headers={"Authorization": f"Bearer {secret}"})

    assert client.get("/api/v1/me").status_code == 200
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    assert client.get("/api/v1/me").status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first

    a_minute_ago = timezone.now() - timedelta(seconds=61)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=a_minute_ago)
    assert client.get("/api/v1/me").status_code == 200
    last = ApiToken.objects.get(pk=token.pk).last_used_at
    assert last is not None
    assert last > a_minute_ago
