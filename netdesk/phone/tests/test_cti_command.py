"""`netdesk cti endpoint create|list|revoke` and `netdesk cti play`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from netdesk.accounts.models import Role, hash_token
from netdesk.core.live import live_read
from netdesk.core.views_live import agent_stream
from netdesk.phone.models import Call, CtiEndpoint
from tests import factories as f


def cti(*args: str) -> str:
    out = StringIO()
    call_command("cti", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_create_prints_the_path_once_and_keeps_only_the_tokens_hash():
    printed = cti("endpoint", "create", "--name", "Main PBX")
    path = printed.strip().splitlines()[-1]
    assert path.startswith("/api/v1/cti/cti_")
    token = path.removeprefix("/api/v1/cti/")
    endpoint = CtiEndpoint.objects.get()
    assert endpoint.token_hash == hash_token(token)
    assert token not in str(CtiEndpoint.objects.values_list().get())
    listed = cti("endpoint", "list")
    assert "Main PBX" in listed
    assert endpoint.prefix in listed
    assert token not in listed


@pytest.mark.django_db
def test_a_name_is_used_once_and_revoking_an_unknown_name_is_refused():
    cti("endpoint", "create", "--name", "Main PBX")
    with pytest.raises(CommandError, match="taken"):
        cti("endpoint", "create", "--name", "Main PBX")
    with pytest.raises(CommandError, match="No endpoint is named 'Branch'"):
        cti("endpoint", "revoke", "--name", "Branch")


@pytest.mark.django_db
def test_revoke_marks_the_endpoint_revoked_and_list_says_so():
    cti("endpoint", "create", "--name", "Main PBX")
    assert "revoked" in cti("endpoint", "revoke", "--name", "Main PBX")
    first = CtiEndpoint.objects.get().revoked_at
    cti("endpoint", "revoke", "--name", "Main PBX")
    assert CtiEndpoint.objects.get().revoked_at == first
    assert "revoked" in cti("endpoint", "list")


@pytest.mark.django_db
def test_play_refuses_an_address_that_is_not_an_endpoints():
    with pytest.raises(CommandError, match="--url"):
        cti("play", "--url", "ftp://example.net/x")


@pytest.mark.django_db(transaction=True)
def test_play_posts_answered_missed_busy_and_abandoned_calls_of_known_customers(live_server):
    agent = f.user(Role.HOTLINE_OPERATOR, username="emma")
    customer = f.customer(phone="+49 30 55501234")
    path = cti("endpoint", "create", "--name", "Main PBX").strip().splitlines()[-1]

    played = cti("play", "--url", live_server.url + path, "--calls", "4", "--pause", "0")

    assert played.count("Call ") == 4
    calls = list(Call.objects.order_by("pk"))
    assert [c.outcome for c in calls] == ["answered", "missed", "busy", "abandoned"]
    assert {c.customer_id for c in calls} == {customer.pk}
    assert calls[0].answered_by_id == agent.pk
    kinds = [item.kind for item in live_read(streams=[agent_stream(agent.pk)], after=0)]
    assert kinds == ["call_answered", "call_ended"]


@pytest.mark.django_db(transaction=True)
def test_play_says_why_when_the_desk_refuses(live_server):
    f.user(Role.HOTLINE_OPERATOR, username="emma")
    with pytest.raises(CommandError, match="refused the newCall event: 404"):
        cti("play", "--url", live_server.url + "/api/v1/cti/cti_unknown", "--pause", "0")
