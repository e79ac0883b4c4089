"""`netdesk serve`: the production web server (granian, WSGI) plus the
background worker, in one command. Static files are served by granian."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from granian.constants import Interfaces
from granian.server import Server

from netdesk.core.forking import connections_close_before_fork
from netdesk.core.parentguard import SERVER_PID_VARIABLE

SHUTDOWN_GRACE_SECONDS = 15


# The most web processes `serve` starts unless told (a process costs about
# 150 MB; a larger machine sets NETDESK_WEB_WORKERS).
MOST_DEFAULT_WEB_WORKERS = 16


def default_web_workers() -> int:
    """Two web processes per core, each of NETDESK_WEB_THREADS threads:
    fewer threads share each interpreter lock (settings)."""
    return min(2 * (os.cpu_count() or 1), MOST_DEFAULT_WEB_WORKERS)


class Command(BaseCommand):
    help = "Serve the agent UI and the API, with the background worker alongside."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers",
            type=int,
            default=settings.NETDESK_WEB_WORKERS or None,
            help="web worker processes (default: two per CPU core, at most 16)",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=settings.NETDESK_WEB_THREADS,
            help="requests each web worker works on at once (NETDESK_WEB_THREADS)",
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="do not start the background worker (run `netdesk worker`)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("collectstatic", interactive=False, verbosity=0)
        # The processes started below stop when this one is gone.
        os.environ[SERVER_PID_VARIABLE] = str(os.getpid())
        # The web workers size their request slots from this (core.connections).
        os.environ["NETDESK_WEB_THREADS"] = str(options["threads"])
        settings.NETDESK_WEB_THREADS = options["threads"]
        worker = None
        if not options["no_worker"]:
            worker = subprocess.Popen(
                [sys.executable, "-m", "netdesk", "worker", "--stop-with-parent"],
                env=os.environ.copy(),
            )
        workers = options["workers"] or default_web_workers()
        self.stdout.write(
            f"NetDesk on http://{options['host']}:{options['port']}/ "
            f"({workers} web workers{', background worker on' if worker else ''})"
        )
        # The web workers are forked from this process: a connection or a
        # pool of connections opened here would be shared with each of them.
        connections_close_before_fork()
        server = Server(
            # The desk's WSGI application, in web workers that stop when
            # this process is killed (netdesk.core.serving).
            "netdesk.core.serving:application",
            address=options["host"],
            port=options["port"],
            interface=Interfaces.WSGI,
            workers=workers,
            # Long polls wait on threads of their own (netdesk.core.live);
            # granian starts threads as needed and retires idle ones
            # (after NETDESK_WEB_THREAD_IDLE_SECONDS).
            blocking_threads=options["threads"] + settings.NETDESK_LIVE_WAITERS,
            blocking_threads_idle_timeout=settings.NETDESK_WEB_THREAD_IDLE_SECONDS,
            backlog=2048,
            static_path_route=["/static"],
            static_path_mount=[settings.STATIC_ROOT],
            log_access=False,
            respawn_failed_workers=True,
            # A web worker that has not stopped this long after SIGTERM (a
            # request stuck on a dead peer) is killed, so a stop or restart
            # always ends and the background worker below is stopped too.
            workers_kill_timeout=SHUTDOWN_GRACE_SECONDS,
        )
        try:
            server.serve()
        finally:
            if worker is not None and worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
