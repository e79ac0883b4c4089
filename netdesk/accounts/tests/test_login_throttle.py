"""Sign-in is throttled per account and per client address: a password
cannot be guessed by trying many, even when the right one comes last."""

import logging

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from netdesk.accounts.models import Role, User
from netdesk.accounts.services import user_create
from netdesk.core.errors import ValidationFailed
from netdesk.demo.generate import DEMO_LOGINS, DEMO_PASSWORD
from tests import factories as f

PASSWORD = "correct-horse-battery-9"


def sign_in(client, path, username, password, address="192.0.2.10"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_forty_wrong_passwords_then_the_right_one_is_refused(path, settings):
    given = f.user(Role.SERVICE_DESK_MANAGER)
    client = Client()
    for _ in range(40):
        sign_in(client, path, given.username, "wrong-guess-123")
    answer = sign_in(client, path, given.username, PASSWORD)
    assert answer.status_code == 429
    assert "_auth_user_id" not in client.session
    page = answer.content.decode()
    assert "Too many failed sign-ins" in page
    assert int(answer["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()


@pytest.mark.django_db
def test_account_is_locked_from_every_address_after_its_limit(settings):
    given = f.user()
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "/login/", given.username, "wrong-guess-123", address=f"198.51.100.{n}")
    answer = sign_in(client, "/login/", given.username, PASSWORD, address="203.0.113.7")
    assert answer.status_code == 429


@pytest.mark.django_db
def test_one_wrong_password_less_than_the_limit_still_signs_in(settings):
    given = f.user()
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "/login/", given.username, "wrong-guess-123")
    answer = sign_in(client, "/login/", given.username, PASSWORD)
    assert answer.status_code == 302
    assert client.session["_auth_user_id"] == str(given.pk)


@pytest.mark.django_db
def test_an_address_guessing_many_accounts_is_locked_out_and_others_are_not(settings):
    victims = [f.user() for _ in range(settings.AXES_FAILURE_LIMIT)]
    attacker = Client()
    for victim in victims:
        sign_in(attacker, "/login/", victim.username, "wrong-guess-123", address="192.0.2.66")
    fresh = f.user()
    refused = sign_in(attacker, "/login/", fresh.username, PASSWORD, address="192.0.2.66")
    assert refused.status_code == 429
    colleague = Client()
    allowed = sign_in(colleague, "/login/", fresh.username, PASSWORD, address="192.0.2.67")
    assert allowed.status_code == 302


@pytest.mark.django_db
def test_lockout_is_logged_with_account_and_address(settings, caplog):
    given = f.user()
    client = Client()
    with caplog.at_level(logging.WARNING, logger="netdesk.accounts"):
        for _ in range(settings.AXES_FAILURE_LIMIT + 1):
            sign_in(client, "/login/", given.username, "wrong-guess-123", address="192.0.2.99")
    lockouts = [r for r in caplog.records if r.name == "netdesk.accounts.throttling"]
    assert lockouts, "the lockout was not logged"
    message = lockouts[0].getMessage()
    assert given.username in message
    assert "192.0.2.99" in message


@pytest.mark.django_db
def test_client_address_is_taken_from_the_trusted_proxy_only(settings):
    """Behind one proxy the address it appends is the client's; anything the
    client wrote further left is not believed."""
    settings.NETDESK_PROXY_COUNT = 1
    given = f.user()
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/login/",
            {"username": f"nobody{n}", "password": "wrong-guess-123"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, 192.0.2.44",
        )
    answer = client.post(
        "/login/",
        {"username": given.username, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="192.0.2.44",
    )
    assert answer.status_code == 429
    other = Client().post(
        "/login/",
        {"username": given.username, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="192.0.2.45",
    )
    assert other.status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "said"),
    [("20250117123456", "entirely numeric"), ("anna.kowalski", "too similar")],
)
def test_numeric_and_name_like_passwords_are_refused(password, said):
    with pytest.raises(ValidationFailed) as refused:
        user_create(
            username="anna.kowalski",
            role=Role.HOTLINE_OPERATOR,
            password=password,
            first_name="Anna",
            last_name="Kowalski",
        )
    assert said in refused.value.message
    assert refused.value.field == "password"


@pytest.mark.django_db
def test_demo_and_test_passwords_pass_the_validators():
    for username, role in DEMO_LOGINS:
        demo_login = User(username=username, role=role, email=f"{username}@desk.example.net")
        validate_password(DEMO_PASSWORD, demo_login)
    given = f.user()
    try:
        validate_password(PASSWORD, given)
    except ValidationError as exc:  # pragma: no cover - the message is the point
        pytest.fail(f"{PASSWORD!r} refused: {exc.messages}")
