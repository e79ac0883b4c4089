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


@pytest.fixture(autouse=True)
def _fresh_network_caches():
    """Topology, element names and the impact index are cached per process;
    each test builds its own network."""
    from netdesk.network.selectors import topology_changed
    from netdesk.noc.impact import services_changed
    from netdesk.noc.services.alarms import elements_changed
    from netdesk.noc.services.outages import complaint_detector_reset

    caches = (topology_changed, services_changed, elements_changed, complaint_detector_reset)
    for forget in caches:
        forget()
    yield
    for forget in caches:
        forget()
