"""The API is throttled per user (all their tokens and their session), with
the count kept in the shared database cache so every web process sees it."""

import pytest
from django.db import connection
from django.test import Client

from netdesk.accounts.models import Role
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
def test_the_count_is_kept_in_the_database_cache_shared_by_every_process(settings):
    settings.NETDESK_API_RATE = "5/minute"
    token = f.token_for(f.user())
    me(Client(), token)
    table = settings.CACHES["default"]["LOCATION"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        (rows,) = cursor.fetchone()
    assert rows >= 1


@pytest.mark.django_db
def test_every_operation_documents_its_429_problem():
    schema = Client().get("/api/v1/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            answer = operation["responses"].get("429")
            assert answer is not None, f"{method.upper()} {path} does not document 429"
            assert "application/problem+json" in answer["content"]
