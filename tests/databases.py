"""Databases of their own for tests that run the desk in other processes.

`fresh_database` gives an empty one: a SQLite file in a data directory, or,
when NETDESK_DATABASE_URL names a PostgreSQL server, a new database there.
Migrating one costs tens of seconds on a small machine, so a `Migration`
migrates one once per test run, in the background (conftest.py starts it
when a selected test needs it), and `database_copy` hands each test a copy
of it: the SQLite file copied, or a PostgreSQL database made from it as a
template.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg

REPOSITORY = Path(__file__).resolve().parents[1]
SQLITE_FILE = "netdesk.sqlite3"
# CREATE DATABASE ... TEMPLATE fails while the template's last session is
# still ending on the server; that takes milliseconds.
TEMPLATE_BUSY_SECONDS = 10.0


def environment(data_dir: Path) -> dict[str, str]:
    """This process's environment without its NETDESK_ settings, with
    `data_dir` as the data directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETDESK_")}
    env["NETDESK_DATA_DIR"] = str(data_dir)
    return env


@contextlib.contextmanager
def fresh_database(data_dir: Path) -> Iterator[dict[str, str]]:
    """The environment of a netdesk with an empty database of its own: a
    SQLite file in `data_dir`, or, when NETDESK_DATABASE_URL names a
    PostgreSQL server, a new database there (dropped afterwards)."""
    with _database(data_dir, template=None) as env:
        yield env


class Migration:
    """A new database (`fresh_database`) that a process of its own migrates:
    started early, so that it runs beside the tests on the machine's other
    core, and waited for by the first test that copies it."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        self._stack = contextlib.ExitStack()
        self.env = self._stack.enter_context(fresh_database(data_dir))
        self._log = data_dir / "migrate.log"
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "netdesk", "migrate", "--no-input", "-v", "0"],
                cwd=REPOSITORY,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._stack.callback(self._stop)

    def ready(self) -> dict[str, str]:
        """The migrated database's environment, once the migration is done."""
        if self._process.wait() != 0:
            raise RuntimeError(f"migrating the template database failed:\n{self._log.read_text()}")
        return self.env

    def close(self) -> None:
        """Stop the migration if it still runs; drop a PostgreSQL database."""
        self._stack.close()

    def _stop(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()


@contextlib.contextmanager
def database_copy(template: dict[str, str], data_dir: Path) -> Iterator[dict[str, str]]:
    """The environment of a netdesk whose database is a copy of the one in
    `template` (a `Migration`'s), with `data_dir` of its own."""
    url = template.get("NETDESK_DATABASE_URL", "")
    if url:
        with _database(data_dir, template=url.rsplit("/", 1)[1]) as env:
            yield env
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    # The template's last connection closed with its migrate: no WAL is left.
    shutil.copyfile(Path(template["NETDESK_DATA_DIR"]) / SQLITE_FILE, data_dir / SQLITE_FILE)
    yield environment(data_dir)


@contextlib.contextmanager
def _database(data_dir: Path, *, template: str | None) -> Iterator[dict[str, str]]:
    env = environment(data_dir)
    server_url = os.environ.get("NETDESK_DATABASE_URL", "")
    if not server_url:
        yield env
        return
    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        _create(admin, name, template)
    env["NETDESK_DATABASE_URL"] = server_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield env
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _create(admin: psycopg.Connection[tuple[object, ...]], name: str, template: str | None) -> None:
    if template is None:
        admin.execute(f"CREATE DATABASE {name}")
        return
    deadline = time.monotonic() + TEMPLATE_BUSY_SECONDS
    while True:
        try:
            admin.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
            return
        except psycopg.errors.ObjectInUse:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
