"""`netdesk worker`: runs queued background tasks from the database queue.
Several may run at once on PostgreSQL (rows are claimed with SKIP LOCKED)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils.module_loading import import_string


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

    def handle(self, *args: Any, **options: Any) -> None:
        # Recurring work (the service-level clock) queues its next run itself;
        # these hooks start it when no run is waiting, e.g. on a fresh install.
        for hook in settings.NETDESK_WORKER_STARTUP:
            import_string(hook)()
        extra = ["--batch"] if options["batch"] else []
        call_command("db_worker", "--interval", str(options["interval"]), *extra)
