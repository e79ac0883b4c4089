"""Test set-up shared by every app: fresh data dir per run, mail servers on demand."""

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from pytest_django.live_server_helper import LiveServer

from netdesk import api
from netdesk.core import ratelimit
from netdesk.core.live import live_waker_stop
from tests import databases, mailservers

os.environ.setdefault("NETDESK_DATA_DIR", tempfile.mkdtemp(prefix="netdesk-test-"))


@pytest.fixture(scope="session", autouse=True)
def quick_password_hashing() -> Iterator[None]:
    """Passwords are hashed with one round of PBKDF2 in tests: the
    production million rounds cost a quarter of a second for each user a
    test makes. Hashes made either way verify in tests and in the desk."""
    hashers = ["tests.hashers.QuickPBKDF2PasswordHasher", *django_settings.PASSWORD_HASHERS]
    with override_settings(PASSWORD_HASHERS=hashers):
        yield


@pytest.fixture(scope="session", autouse=True)
def api_calls_counted_one_by_one() -> Iterator[None]:
    """Every API call writes its count, so the statements a request costs do
    not depend on the calls before it (tests of the batched count turn
    NETDESK_API_RATE_HELD back on)."""
    with override_settings(NETDESK_API_RATE_HELD=0):
        yield


@pytest.fixture(scope="session", autouse=True)
def statements_independent_of_the_clock() -> Iterator[None]:
    """A token's "last used" is written by its first call only, and a rate
    count's new window does not delete the past ones: otherwise a call
    made a minute after another, or in the next window, costs one statement
    more, and on a busy machine tests comparing two calls' statements failed
    at random. The tests of those two writes turn them back on."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(api, "TOKEN_TOUCH_SECONDS", 10**9)
        patch.setattr(ratelimit, "PAST_WINDOWS_DELETED", False)
        yield


@pytest.fixture(autouse=True)
def live_waker_stopped() -> Iterator[None]:
    """A test that waited on live events leaves no waker thread behind: its
    connection would outlive the test's database."""
    yield
    live_waker_stop()


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """pytest-django's live server, with a connection of its own for each
    request thread. pytest-django hands every request thread the test
    thread's one connection to the in-memory SQLite database, so two
    browsers' requests at once (a long poll beside a reply) interleave
    their statements and transactions on it, which SQLite answers with
    errors such as "another row available". Each thread now opens its own
    connection to the same shared-cache database, as each thread of a real
    server opens its own to the database file; tests with the live server
    commit their data (pytest-django makes them transactional)."""
    addr = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    server = LiveServer(addr, start=False)
    server.thread.connections_override.clear()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def dovecot() -> Iterator[mailservers.DovecotServer]:
    """Dovecot on 127.0.0.1 with the account MAILBOX_USER; skips where not installed."""
    users = {mailservers.MAILBOX_USER: mailservers.MAILBOX_PASSWORD}
    with mailservers.dovecot_server(users) as server:
        yield server


@pytest.fixture
def smtp_sink() -> Iterator[mailservers.SmtpSink]:
    """An SMTP server on 127.0.0.1 that keeps every message (see SmtpSink.refuse)."""
    with mailservers.smtp_sink() as sink:
        yield sink


@pytest.fixture
def mail_settings(settings, smtp_sink: mailservers.SmtpSink) -> mailservers.SmtpSink:
    """Django sends its mail over SMTP to `smtp_sink`, which this returns."""
    for name, value in mailservers.smtp_settings(smtp_sink).items():
        setattr(settings, name, value)
    return smtp_sink


MIGRATION = pytest.StashKey[databases.Migration]()


def pytest_collection_finish(session: pytest.Session) -> None:
    """When a selected test runs the desk on a database of its own, start
    migrating the template of those databases now, beside the tests."""
    if any("migrated_database" in getattr(item, "fixturenames", ()) for item in session.items):
        _migration(session.config)


def pytest_unconfigure(config: pytest.Config) -> None:
    migration = config.stash.get(MIGRATION, None)
    if migration is not None:
        migration.close()
        shutil.rmtree(migration.data_dir, ignore_errors=True)


def _migration(config: pytest.Config) -> databases.Migration:
    if MIGRATION not in config.stash:
        data_dir = Path(tempfile.mkdtemp(prefix="netdesk-migrated-"))
        config.stash[MIGRATION] = databases.Migration(data_dir)
    return config.stash[MIGRATION]


@pytest.fixture(scope="session")
def migrated_database(pytestconfig: pytest.Config) -> dict[str, str]:
    """A database migrated once per run, for `databases.database_copy`: a
    SQLite file, or a PostgreSQL database when NETDESK_DATABASE_URL is set."""
    return _migration(pytestconfig).ready()


@pytest.fixture
def database_copy(migrated_database, tmp_path) -> Iterator[dict[str, str]]:
    """The environment of a netdesk with a migrated database of this test's
    own, for running the desk in other processes."""
    with databases.database_copy(migrated_database, tmp_path / "data") as env:
        yield env
