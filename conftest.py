"""Test set-up shared by every app: fresh data dir per run."""

import os
import tempfile

os.environ.setdefault("NETDESK_DATA_DIR", tempfile.mkdtemp(prefix="netdesk-test-"))
