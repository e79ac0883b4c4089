"""The API is throttled per user (all their tokens and their session), with
the count kept in the database so every web process sees it."""

import threading

import pytest
from django.db import connection, connections
from django.test import Client

from netdesk.accounts.models import Role
from netdesk.accounts.throttling import api_tally
from netdesk.core import ratelimit
from netdesk.core.models import RateCount
from netdesk.core.ratelimit import LOCAL_MIN_LIMIT, LOCAL_SHARE, rate_count_bump
from tests import factories as f


def me(client, token):
    return client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.mark.django_db
def test_api_answers_429_problem_with_retry_after_past_the_rate(settings):
    settings.NETDESK_API_RATE = "3/minute"
    token = f.token_for(f.user(Role.TEAM_LEAD))
    client = Client()
    assert [me(client, token).status_code for _ in range(3)] == [200, 200, 200]
    refused = me(client, token)
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert 1 <= int(refused["Retry-After"]) <= 60
    problem = refused.json()
    assert problem["status"] == 429
    assert "3 requests per minute" in problem["detail"]


@pytest.mark.django_db
def test_every_token_of_a_user_shares_one_allowance_and_others_keep_theirs(settings):
    settings.NETDESK_API_RATE = "2/minute"
    lead = f.user(Role.TEAM_LEAD)
    first, second = f.token_for(lead), f.token_for(lead)
    colleague = f.token_for(f.user(Role.TEAM_LEAD))
    client = Client()
    assert me(client, first).status_code == 200
    assert me(client, second).status_code == 200
    assert me(client, first).status_code == 429
    assert me(client, second).status_code == 429
    assert me(client, colleague).status_code == 200


@pytest.mark.django_db
def test_session_requests_count_against_the_same_user(settings):
    settings.NETDESK_API_RATE = "2/minute"
    lead = f.user(Role.TEAM_LEAD)
    token = f.token_for(lead)
    browser = Client()
    browser.force_login(lead)
    assert browser.get("/api/v1/me").status_code == 200
    assert me(Client(), token).status_code == 200
    assert browser.get("/api/v1/me").status_code == 429


@pytest.mark.django_db
def test_the_count_is_kept_in_the_database_and_old_windows_go(settings, monkeypatch):
    monkeypatch.setattr(ratelimit, "PAST_WINDOWS_DELETED", True)
    settings.NETDESK_API_RATE = "5/minute"
    user = f.user()
    token = f.token_for(user)
    RateCount.objects.create(key=f"api:{user.pk}:60", period_start=1, count=5)
    me(Client(), token)
    [row] = RateCount.objects.filter(key=f"api:{user.pk}:60")
    assert row.count == 1
    assert row.period_start > 1


@pytest.mark.django_db
def test_the_throttle_costs_one_statement_per_call(settings):
    settings.NETDESK_API_RATE = "50/minute"
    client, token = Client(), f.token_for(f.user())
    me(client, token)
    statements = _Statements()
    with connection.execute_wrapper(statements):
        me(client, token)
    assert len([sql for sql in statements.seen if "core_ratecount" in sql]) == 1


class _Statements:
    def __init__(self):
        self.seen = []

    def __call__(self, execute, sql, params, many, context):
        self.seen.append(sql)
        return execute(sql, params, many, context)


@pytest.mark.django_db(transaction=True)
def test_concurrent_calls_are_each_counted_once():
    # Many web processes bump one user's count at the same moment: no call
    # may be lost or counted twice. Each thread has its own connection.
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need a server database")
    seen: list[int] = []
    lock = threading.Lock()

    def bump_25():
        try:
            for _ in range(25):
                count = rate_count_bump(key="api:race:60", period_start=7)
                with lock:
                    seen.append(count)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=bump_25) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen) == list(range(1, 201))
    assert RateCount.objects.get(key="api:race:60").count == 200


@pytest.mark.django_db
def test_every_operation_documents_its_429_problem():
    schema = Client().get("/api/v1/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            answer = operation["responses"].get("429")
            assert answer is not None, f"{method.upper()} {path} does not document 429"
            assert "application/problem+json" in answer["content"]


LOCAL_CALLS = 20


@pytest.fixture
def tally_forgotten(settings):
    settings.NETDESK_API_RATE_HELD = LOCAL_CALLS
    api_tally.forget()
    yield
    api_tally.forget()


@pytest.mark.django_db
def test_a_large_allowance_is_written_in_batches_far_from_the_limit(settings, tally_forgotten):
    # On SQLite a write on every read would queue every API read behind the
    # ticket being created; far below the limit calls are written in batches.
    settings.NETDESK_API_RATE = "1000/minute"
    user = f.user()
    client, token = Client(), f.token_for(user)
    statements = _Statements()
    with connection.execute_wrapper(statements):
        for _ in range(LOCAL_CALLS * 2):
            assert me(client, token).status_code == 200
    writes = [sql for sql in statements.seen if "core_ratecount" in sql and "INSERT" in sql]
    assert 1 <= len(writes) <= 3
    # Nothing was lost: what was held is written with the next batch.
    held = RateCount.objects.get(key=f"api:{user.pk}:60").count
    assert LOCAL_CALLS <= held <= LOCAL_CALLS * 2


@pytest.mark.django_db
def test_near_the_limit_every_call_is_counted_in_the_database(tally_forgotten):
    limit = LOCAL_MIN_LIMIT
    RateCount.objects.create(key="api:near:60", period_start=9, count=int(limit * LOCAL_SHARE))
    counts = [api_tally.bump(key="api:near:60", period_start=9, limit=limit) for _ in range(5)]
    assert counts == [int(limit * LOCAL_SHARE) + n for n in range(1, 6)]
    assert RateCount.objects.get(key="api:near:60").count == counts[-1]


@pytest.mark.django_db
def test_other_processes_calls_are_seen_at_the_next_write(tally_forgotten):
    limit = 1000
    first = api_tally.bump(key="api:two:60", period_start=3, limit=limit)
    # Another web process counted 600 calls meanwhile.
    RateCount.objects.filter(key="api:two:60").update(count=601)
    counts = [api_tally.bump(key="api:two:60", period_start=3, limit=limit) for _ in range(30)]
    assert first == 1
    assert counts[-1] > 600
    # Once above the share, each call is exact and can be refused at the limit.
    RateCount.objects.filter(key="api:two:60").update(count=limit)
    assert api_tally.bump(key="api:two:60", period_start=3, limit=limit) == limit + 1
