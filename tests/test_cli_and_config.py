"""The `netdesk` command and its configuration, run as real processes."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

NETDESK = [sys.executable, "-m", "netdesk"]


def run(args, env, check=True):
    return subprocess.run(
        [*NETDESK, *args], env=env, capture_output=True, text=True, timeout=300, check=check
    )


@pytest.fixture
def fresh_env(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETDESK_")}
    env["NETDESK_DATA_DIR"] = str(tmp_path / "data")
    env["DJANGO_SETTINGS_MODULE"] = "netdesk.settings"
    return env


def test_bad_database_url_fails_at_start_naming_the_setting(fresh_env):
    fresh_env["NETDESK_DATABASE_URL"] = "mysql://x@y/z"
    result = run(["check"], fresh_env, check=False)
    assert result.returncode != 0
    assert "NETDESK_DATABASE_URL" in result.stderr
    assert "postgresql://" in result.stderr


def test_bad_debug_flag_fails_at_start(fresh_env):
    fresh_env["NETDESK_DEBUG"] = "maybe"
    result = run(["check"], fresh_env, check=False)
    assert result.returncode != 0
    assert "NETDESK_DEBUG='maybe'" in result.stderr


def test_short_secret_key_is_refused(fresh_env):
    fresh_env["NETDESK_SECRET_KEY"] = "short"
    result = run(["check"], fresh_env, check=False)
    assert "NETDESK_SECRET_KEY is too short" in result.stderr


def test_processes_started_at_once_on_a_fresh_data_dir_share_one_key(tmp_path: Path):
    """serve and its worker, or several mail pipes, may start together on a
    fresh data dir: each must start, and all must sign with the same key."""
    from netdesk.config import secret_key

    # Each process waits for the same moment, then asks for the key.
    script = (
        "import sys, time; from pathlib import Path; from netdesk.config import secret_key\n"
        "start = float(sys.argv[2])\n"
        "while time.time() < start: pass\n"
        "print(secret_key(Path(sys.argv[1])))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETDESK_")}
    for attempt in range(3):
        directory = tmp_path / f"data{attempt}"
        directory.mkdir()
        start = time.time() + 2
        starts = [
            subprocess.Popen(
                [sys.executable, "-c", script, str(directory), str(start)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(8)
        ]
        keys = set()
        for started in starts:
            out, err = started.communicate(timeout=60)
            assert started.returncode == 0, err
            keys.add(out.strip())
        assert len(keys) == 1
        assert keys == {secret_key(directory)}
        assert sorted(path.name for path in directory.iterdir()) == ["secret_key"]


def test_secret_key_is_generated_once_and_kept_private(fresh_env):
    run(["check"], fresh_env)
    key_file = Path(fresh_env["NETDESK_DATA_DIR"]) / "secret_key"
    first = key_file.read_text()
    run(["check"], fresh_env)
    assert key_file.read_text() == first
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_migrate_createuser_token_and_serve(fresh_env):
    """The production server answers the API with a token made by the CLI."""
    run(["migrate", "--no-input", "-v", "0"], fresh_env)
    created = run(
        [
            "createuser",
            "--username",
            "ops1",
            "--role",
            "team_lead",
            "--password",
            "correct-horse-battery-9",
            "--group",
            "Hotline",
        ],
        fresh_env,
    )
    assert "Created ops1" in created.stdout
    bad_role = run(["createuser", "--username", "x", "--role", "boss"], fresh_env, check=False)
    assert bad_role.returncode != 0
    assert "boss" in bad_role.stderr
    token = run(["token", "create", "--user", "ops1"], fresh_env).stdout.strip()
    assert token.startswith("ndk_")
    # Only the hash is kept: the printed token appears nowhere in the database file.
    database = (Path(fresh_env["NETDESK_DATA_DIR"]) / "netdesk.sqlite3").read_bytes()
    assert token.encode() not in database

    port = _free_port()
    server = subprocess.Popen(
        [*NETDESK, "serve", "--port", str(port), "--workers", "1"],
        env=fresh_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/api/v1/me",
                    headers={"Authorization": f"Bearer {token}"},
                )
                with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                    body = response.read().decode()
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.5)
        assert '"username": "ops1"' in body or '"username":"ops1"' in body
        with pytest.raises(urllib.error.HTTPError) as denied:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/me", timeout=5)
        assert denied.value.code == 401
        denied.value.close()
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/static/admin/css/base.css", timeout=5
        ) as static:
            assert static.status == 200
    finally:
        # The web workers get a grace period to finish, then are killed
        # (SHUTDOWN_GRACE_SECONDS); the background worker is stopped after them.
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            raise
