"""`netdesk sla recompute [--open-only] [--force] [--processes N]`:
recompute service-level timers, e.g. after changing policies or importing
tickets. Tickets whose inputs did not change since their figures were
computed are skipped (sla/recompute.py says how); only timers whose
figures change are written."""

from __future__ import annotations

import os
import time
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from netdesk.sla.recompute import sla_recompute_many
from netdesk.tickets.models import Ticket


class Command(BaseCommand):
    help = "Service-level maintenance."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        recompute = sub.add_parser("recompute", help="recompute SLA and OLA timers")
        recompute.add_argument(
            "--open-only", action="store_true", help="only tickets that are still open"
        )
        recompute.add_argument(
            "--force",
            action="store_true",
            help="recompute every ticket, also those whose inputs did not change",
        )
        recompute.add_argument("--batch", type=int, default=5000, help="tickets per batch")
        recompute.add_argument(
            "--processes",
            type=int,
            default=os.cpu_count() or 1,
            help="worker processes sharing the batches (default: one per core)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tickets = Ticket.objects.all()
        if options["open_only"]:
            tickets = tickets.filter(is_open=1)
        total = tickets.count()
        started = time.monotonic()
        with tqdm(total=total, unit=" tickets", disable=options["verbosity"] == 0) as bar:
            try:
                done = sla_recompute_many(
                    tickets=tickets,
                    batch=options["batch"],
                    processes=options["processes"],
                    force=options["force"],
                    progress=bar.update,
                )
            except BrokenProcessPool as error:
                # Each batch commits on its own: what finished is kept, and a
                # second run skips it (its inputs no longer differ).
                raise CommandError(
                    "A worker process of the recompute stopped (killed, or out of memory); "
                    f"the batches it held were not written ({error}). Batches that finished "
                    "are kept: run the command again to recompute the rest."
                ) from error
        elapsed = time.monotonic() - started
        rate = done.tickets / elapsed if elapsed else 0.0
        self.stdout.write(
            f"Went through {done.tickets} tickets in {elapsed:.1f} s ({rate:.0f} per second); "
            f"recomputed {done.recomputed} whose inputs had changed."
        )
