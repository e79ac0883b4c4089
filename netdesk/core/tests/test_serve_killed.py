"""`netdesk serve` killed outright (SIGKILL): its web worker and its
background worker stop too, instead of going on (answering on the port)
with nobody to restart them; a web worker killed alone is started again by
the server."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.databases import REPOSITORY


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def _wait(condition, what: str, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {timeout:.0f} s:\n{log.read_text()}"
        time.sleep(0.2)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes (it no longer listens).
    status = Path(f"/proc/{pid}/status")
    return not status.exists() or "State:\tZ" not in status.read_text()


def _worker_pids(log: Path) -> list[int]:
    return [int(pid) for pid in re.findall(r"Spawning worker-1 with PID: (\d+)", log.read_text())]


def test_a_killed_server_takes_its_web_worker_along(database_copy, tmp_path):
    port = _free_port()
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "netdesk", "serve", "--no-worker", "--port", str(port)]
    with log.open("wb") as out:
        server = subprocess.Popen(
            [*command, "--workers", "1", "--threads", "2"],
            cwd=REPOSITORY,
            env=database_copy,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait(lambda: _healthy(port), "the server answers", log)
        first = _worker_pids(log)[0]
        os.kill(first, signal.SIGKILL)
        _wait(lambda: len(_worker_pids(log)) == 2 and _healthy(port), "a new web worker", log)
        second = _worker_pids(log)[1]
        assert second != first
        server.kill()
        server.wait()
        _wait(lambda: not _alive(second), "the orphaned web worker stops", log, timeout=20)
        assert not _healthy(port)
        assert "its server process" in log.read_text()
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def _children(parent: int) -> dict[int, str]:
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            found[int(proc.name)] = command
    return found


def test_a_killed_server_takes_its_background_worker_along(database_copy, tmp_path):
    port = _free_port()
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "netdesk", "serve", "--port", str(port), "--workers", "1"]
    with log.open("wb") as out:
        server = subprocess.Popen(
            command,
            cwd=REPOSITORY,
            env=database_copy,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait(lambda: _healthy(port), "the server answers", log)
        workers = [
            pid
            for pid, line in _children(server.pid).items()
            if "worker --stop-with-parent" in line
        ]
        assert len(workers) == 1, _children(server.pid)
        server.kill()
        server.wait()
        _wait(lambda: not _alive(workers[0]), "the background worker stops", log, timeout=25)
        web = _worker_pids(log)[0]
        _wait(lambda: not _alive(web), "the web worker stops", log, timeout=25)
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
