"""`netdesk outages learn [--days 56]`: learn every element's and area's
complaint baseline from the fault tickets of the last N days (run it
weekly, e.g. from cron; the detector picks new baselines up by itself)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from netdesk.noc.services.baselines import baselines_learn


class Command(BaseCommand):
    help = "Suspected outages from complaint spikes."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        learn = sub.add_parser("learn", help="learn complaint baselines from ticket history")
        learn.add_argument(
            "--days",
            type=int,
            default=56,
            help="how many days of history to learn from (default 56: eight of each weekday)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if days < 1:
            raise CommandError(f"--days {days} is not accepted: give 1 or more days.")
        until = timezone.now()
        started = time.monotonic()
        result = baselines_learn(since=until - timedelta(days=days), until=until)
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Learned from {result.complaints} complaints over {days} days: "
            f"{result.elements} elements and {result.areas} areas have a baseline "
            f"({elapsed:.1f} s)."
        )
