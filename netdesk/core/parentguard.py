"""Processes that `netdesk serve` starts (its granian web workers, its
background worker) stop when `netdesk serve` is gone.

Killed outright (SIGKILL, the kernel's out-of-memory killer), a parent
leaves its children running: web workers still listening on the port
(shared with SO_REUSEPORT) and answering with the code they started with,
a background worker beside the one the restarted server starts, none of
them restarted by anybody. The guard notices within a second that its
parent is gone and stops the process: first as SIGTERM would (what is in
flight may finish), then for good."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

logger = logging.getLogger("netdesk.serve")
CHECK_SECONDS = 1.0
# As long as `netdesk serve` gives its web workers to stop.
GRACE_SECONDS = 15.0
# `netdesk serve` names itself to the processes it starts: one started just
# as the server died would otherwise take its new parent (init) for it.
SERVER_PID_VARIABLE = "NETDESK_SERVE_PID"


def _guard(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(CHECK_SECONDS)
    logger.warning("process %d: its server process %d is gone; stopping", os.getpid(), parent)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(GRACE_SECONDS)
    os._exit(1)


def parent_guard_start() -> None:
    """Watch this process's parent (the server that named itself, else the
    parent it has now) from a daemon thread."""
    parent = int(os.environ.get(SERVER_PID_VARIABLE) or os.getppid())
    threading.Thread(
        target=_guard, args=(parent,), name="netdesk-parent-guard", daemon=True
    ).start()
