"""`netdesk noc root-cause-learn [--days 90]`: learn the root-cause ranking's
type priors and precedence from the alarms of the incidents of the last N
days, as the nightly task does (docs/root-cause.md).

`netdesk noc impact-check`: compare the impact counts the database keeps
with a recount over the services (exit status 1 when they differ);
`netdesk noc impact-rebuild`: count them again (docs/noc.md)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from netdesk.core.memo import data_changed
from netdesk.customers.models import Service
from netdesk.noc.impact_triggers import impact_counts_differences, impact_counts_rebuild
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

        sub.add_parser("impact-check", help="compare the impact counts with a recount")
        sub.add_parser("impact-rebuild", help="count the impact counts again from the services")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "impact-check":
            self._impact_check()
            return
        if options["action"] == "impact-rebuild":
            started = time.monotonic()
            impact_counts_rebuild()
            data_changed(Service)  # every process reads the counts again
            self.stdout.write(f"Impact counts rebuilt ({time.monotonic() - started:.1f} s).")
            return
        self._learn(options)

    def _impact_check(self) -> None:
        started = time.monotonic()
        differences = impact_counts_differences()
        elapsed = time.monotonic() - started
        if differences:
            for line in differences:
                self.stdout.write(line)
            raise CommandError(
                f"The impact counts differ from a recount ({elapsed:.1f} s); "
                "run `netdesk noc impact-rebuild`."
            )
        self.stdout.write(f"The impact counts agree with a recount ({elapsed:.1f} s).")

    def _learn(self, options: dict[str, Any]) -> None:
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
