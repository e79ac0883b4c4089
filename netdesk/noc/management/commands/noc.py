"""`netdesk noc root-cause-learn [--days 90]`: learn the root-cause ranking's
type priors and precedence from the alarms of the incidents of the last N
days, as the nightly task does (docs/root-cause.md)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from netdesk.noc.root_cause_tasks import LEARN_DAYS
from netdesk.noc.services.root_cause import root_cause_learn


class Command(BaseCommand):
    help = "Network operations tasks."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        learn = sub.add_parser(
            "root-cause-learn", help="learn the root-cause ranking from past incidents"
        )
        learn.add_argument(
            "--days",
            type=int,
            default=LEARN_DAYS,
            help=f"how many days of incidents to learn from (default {LEARN_DAYS})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if days < 1:
            raise CommandError(f"--days {days} is not accepted: give 1 or more days.")
        now = timezone.now()
        started = time.monotonic()
        model = root_cause_learn(since=now - timedelta(days=days), until=now, now=now)
        elapsed = time.monotonic() - started
        if model is None:
            self.stdout.write(
                f"Nothing learned: no incident of the last {days} days had two alarm "
                f"types or more ({elapsed:.1f} s)."
            )
            return
        figures = model.figures
        self.stdout.write(
            f"Learned from {model.alarms} alarms in {figures['incidents']} incidents "
            f"({figures['incidents_with_several_types']} with several alarm types, "
            f"{figures['alarm_types']} types); precedence window {model.window_seconds} s "
            f"({elapsed:.1f} s)."
        )
