"""The WSGI application as `netdesk serve` hands it to its web workers:
Django's, as in netdesk.wsgi (which apps may not import), plus a guard that ends a web worker whose `netdesk serve`
process is gone.

granian's web workers are child processes of `netdesk serve`. When that
process is killed outright (SIGKILL, the kernel's out-of-memory killer) its
workers are left running: still listening on the port (shared with
SO_REUSEPORT), answering with the code they started with, restarted by
nobody, and beside the `netdesk serve` started in its place. The guard
notices the parent is gone within a second and stops the worker: first as
SIGTERM would (requests in flight may finish), then for good."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

from django.core.wsgi import get_wsgi_application

__all__ = ["application", "parent_guard_start"]

logger = logging.getLogger("netdesk.serve")
CHECK_SECONDS = 1.0
# As long as `netdesk serve` gives its workers to stop (SHUTDOWN_GRACE_SECONDS).
GRACE_SECONDS = 15.0


def _guard(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(CHECK_SECONDS)
    logger.warning("web worker %d: its server process %d is gone; stopping", os.getpid(), parent)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(GRACE_SECONDS)
    os._exit(1)


def parent_guard_start() -> None:
    """Watch this process's parent from a daemon thread (once per process)."""
    threading.Thread(
        target=_guard, args=(os.getppid(),), name="netdesk-parent-guard", daemon=True
    ).start()


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netdesk.settings")
application = get_wsgi_application()
parent_guard_start()
