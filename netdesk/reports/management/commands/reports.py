"""`netdesk reports rollup [--since DAY]`: compute the dashboards'
precomputed figures for every day from DAY (default: 180 days ago) to
today, replacing what was stored for those days."""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from netdesk.reports.rollups import rollup_since

DEFAULT_DAYS = 180


class Command(BaseCommand):
    help = "Reports: compute the dashboards' daily figures (a backfill)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, title="actions")
        rollup = actions.add_parser("rollup", help="compute the daily figures from a day on")
        rollup.add_argument(
            "--since",
            help=f"first day, YYYY-MM-DD (default: {DEFAULT_DAYS} days ago)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        since_text = options.get("since")
        if since_text:
            try:
                since = date.fromisoformat(since_text)
            except ValueError as error:
                raise CommandError(f"--since {since_text!r} is not a day (YYYY-MM-DD).") from error
        else:
            since = timezone.localdate() - timedelta(days=DEFAULT_DAYS)
        began = time.perf_counter()
        written = rollup_since(since=since)
        took = time.perf_counter() - began
        self.stdout.write(f"Daily figures from {since}: {written} rows in {took:.1f} s.")
