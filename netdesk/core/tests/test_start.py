"""A freshly started web process (settings, the WSGI application, every URL
and view module) loads no library that only training, spreadsheet files or
PostgreSQL's listener need: each cost every start and every command
tenths of a second, and scikit-learn about 1.5 s."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PROBE = """
import json, sys
import netdesk.wsgi
from django.db import connection
from django.urls import get_resolver
get_resolver().url_patterns
import netdesk.triage.tasks, netdesk.triage.views, netdesk.tickets.exports
print(json.dumps({"vendor": connection.vendor, "modules": sorted({m.split(".")[0] for m in sys.modules})}))
"""


def _started() -> tuple[str, set[str]]:
    """The database vendor and the top-level modules a started process holds."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "netdesk.settings"}
    answer = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert answer.returncode == 0, answer.stderr[-3000:]
    started = json.loads(answer.stdout.strip().splitlines()[-1])
    return str(started["vendor"]), set(started["modules"])


def test_a_web_process_starts_without_training_or_spreadsheet_libraries():
    vendor, modules = _started()

    assert {"netdesk", "django", "ninja"} <= modules
    assert modules & {"sklearn", "scipy", "openpyxl", "threadpoolctl"} == set()
    if vendor == "sqlite":
        assert "psycopg" not in modules
