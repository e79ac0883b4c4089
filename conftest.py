"""Test set-up shared by every app: fresh data dir per run, mail servers on demand."""

import os
import tempfile
from collections.abc import Iterator

import pytest

from tests import databases, mailservers

os.environ.setdefault("NETDESK_DATA_DIR", tempfile.mkdtemp(prefix="netdesk-test-"))


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


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory) -> Iterator[dict[str, str]]:
    """A database migrated once per run, for `databases.database_copy`: a
    SQLite file, or a PostgreSQL database when NETDESK_DATABASE_URL is set."""
    with databases.migrated_database(tmp_path_factory.mktemp("migrated")) as env:
        yield env


@pytest.fixture
def database_copy(migrated_database, tmp_path) -> Iterator[dict[str, str]]:
    """The environment of a netdesk with a migrated database of this test's
    own, for running the desk in other processes."""
    with databases.database_copy(migrated_database, tmp_path / "data") as env:
        yield env
