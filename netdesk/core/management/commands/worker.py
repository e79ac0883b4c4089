"""`netdesk worker`: runs queued background tasks from the database queue.
Several may run at once on PostgreSQL (rows are claimed with SKIP LOCKED)."""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, connection
from django.utils.module_loading import import_string

from netdesk.core.parentguard import parent_guard_start
from netdesk.core.ticks import ticks_abandoned

logger = logging.getLogger("netdesk.worker")
# How often a worker looks for ticks whose worker was killed mid-run.
ABANDONED_CHECK_SECONDS = 60.0


def ticks_start() -> None:
    """Recurring work (the service-level clock) queues its next run itself;
    these hooks start it when no run is waiting, e.g. on a fresh install."""
    for hook in settings.NETDESK_WORKER_STARTUP:
        import_string(hook)()


def _watch_abandoned(stop: threading.Event) -> None:
    """Start the ticks again whenever a run of one was abandoned by a
    killed worker (netdesk.core.ticks)."""
    while not stop.wait(ABANDONED_CHECK_SECONDS):
        try:
            abandoned = ticks_abandoned()
            if abandoned:
                logger.warning(
                    "%d tick runs abandoned by a stopped worker; ticks started again", abandoned
                )
                ticks_start()
        except DatabaseError:
            logger.exception("looking for abandoned tick runs failed; trying again later")
        finally:
            connection.close()


# The highest nice value (the lowest CPU priority) Linux knows.
NICEST = 19


def priority_lower(nice: int) -> int:
    """Run this process (its current thread and every thread it starts
    afterwards) at `nice` when that is lower than its priority now; a
    process cannot raise its own priority without privilege, so a higher
    one is left as it is. Returns the nice value in effect."""
    wanted = min(nice, NICEST)
    if wanted > os.getpriority(os.PRIO_PROCESS, 0):
        os.setpriority(os.PRIO_PROCESS, 0, wanted)
    return os.getpriority(os.PRIO_PROCESS, 0)


class Command(BaseCommand):
    help = "Run background tasks (SLA timers, notifications, imports)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="seconds between polls when the queue is empty",
        )
        parser.add_argument(
            "--batch", action="store_true", help="process what is queued, then exit"
        )
        parser.add_argument(
            "--stop-with-parent",
            action="store_true",
            help="stop when the process that started this one is gone (netdesk serve)",
        )
        parser.add_argument(
            "--nice",
            type=int,
            default=settings.NETDESK_WORKER_NICE,
            help="CPU priority, 0-19: higher yields the CPU to the web processes "
            "(NETDESK_WORKER_NICE)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # First, before any thread starts: on Linux a thread's priority is
        # its own, and threads started later inherit it.
        priority_lower(options["nice"])
        if options["stop_with_parent"]:
            parent_guard_start()
        ticks_start()
        extra = ["--batch"] if options["batch"] else []
        stop = threading.Event()
        if not options["batch"]:
            threading.Thread(
                target=_watch_abandoned, args=(stop,), name="netdesk-ticks-watch", daemon=True
            ).start()
        try:
            call_command("db_worker", "--interval", str(options["interval"]), *extra)
        finally:
            stop.set()
