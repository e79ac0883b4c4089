"""The scale-out test's short run (bench/scale_test.py; `make scale-test`
runs it for minutes): two web processes behind HAProxy and two workers on
PostgreSQL, one of each killed with SIGKILL and started again while
tickets, alarms, mail and service-level timers flow; every count holds."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.databases import REPOSITORY

pytestmark = pytest.mark.skipif(
    not os.environ.get("NETDESK_DATABASE_URL", "").startswith("postgres"),
    reason="needs PostgreSQL (make test-postgres runs it): several processes on one database",
)
SECONDS = 50


def test_kills_lose_and_double_nothing(database_copy: dict[str, str], tmp_path: Path) -> None:
    if shutil.which("haproxy") is None:
        pytest.skip("haproxy is not installed (apt-get install haproxy; .ci/run installs it)")
    counts = tmp_path / "counts.json"
    command = [sys.executable, "bench/scale_test.py", "--use-database", "--json", str(counts)]
    command += ["--seconds", str(SECONDS), "--kill-every", "8", "--creators", "2"]
    done = subprocess.run(
        [*command, "--settle", "120"],
        cwd=REPOSITORY,
        env=database_copy,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-4000:]
    answer = json.loads(counts.read_text())
    checks = answer["checks"]
    assert all(check["ok"] for check in checks.values()), checks
    assert answer["kills"]["web"] >= 1
    assert answer["kills"]["worker"] >= 1
    assert checks["creates"]["acknowledged"] > 100
    assert (
        checks["creates"]["tickets"]
        == checks["creates"]["acknowledged"] + (checks["creates"]["unacknowledged_but_made"])
    )
    assert checks["creates"]["duplicates"] == 0
    assert checks["alarms"]["alarms_acknowledged"] == checks["alarms"]["alarms_stored"] > 0
    assert checks["service_levels"]["warnings_due"] > 0
    assert checks["service_levels"]["fired_twice"] == 0
    assert checks["impact"]["incidents"] > 0
    if "mail" in checks:
        assert checks["mail"]["stored"] == checks["mail"]["delivered"] > 0
    assert answer["healthz_at_end"] == 200
