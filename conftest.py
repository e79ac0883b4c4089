"""Test set-up shared by every app: fresh data dir per run."""

import os
import tempfile

os.environ.setdefault("NETDESK_DATA_DIR", tempfile.mkdtemp(prefix="netdesk-test-"))


import pytest


@pytest.fixture(autouse=True)
def _fresh_sla_policy_cache():
    """Each test sees the service-level policies of its own database state."""
    from netdesk.sla.selectors import policies_changed

    policies_changed()
    yield
    policies_changed()
