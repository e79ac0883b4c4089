"""Revoking an API token works on the token as stored, not on a copy loaded
before: a token deleted meanwhile is not found, one revoked twice keeps the
time of its first revocation."""

from __future__ import annotations

import pytest

from netdesk.accounts.models import ApiToken
from netdesk.accounts.services import token_create, token_revoke
from netdesk.core.errors import NotFound
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_a_token_revoked_twice_keeps_its_first_revocation():
    token, _ = token_create(user=f.user())
    stale = ApiToken.objects.get(pk=token.pk)
    token_revoke(token=token)
    first = ApiToken.objects.get(pk=token.pk).revoked_at

    token_revoke(token=stale)

    assert first is not None
    assert ApiToken.objects.get(pk=token.pk).revoked_at == first


def test_revoking_a_token_deleted_meanwhile_is_not_found():
    token, _ = token_create(user=f.user())
    ApiToken.objects.filter(pk=token.pk).delete()
    with pytest.raises(NotFound):
        token_revoke(token=token)
