"""`netdesk demo`: a believable desk in one command — network, agents,
subscribers and months of ticket history — then the server."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from netdesk.customers.models import Contact, Customer, Service
from netdesk.demo.assessment import build_assessment
from netdesk.demo.bulk import reset_sequences
from netdesk.demo.channels_demo import (
    ChannelsDemo,
    build_channels,
    channels_of,
    channels_print,
)
from netdesk.demo.competency import build_competency
from netdesk.demo.floor_plans import build_floor_plans
from netdesk.demo.floor_reports import build_floor_reports
from netdesk.demo.floor_views import build_floor_views
from netdesk.demo.generate import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    build_network,
    build_staff,
    build_subscribers,
)
from netdesk.demo.history import build_history
from netdesk.demo.knowledge import build_knowledge
from netdesk.demo.mail import build_mail
from netdesk.demo.models import DemoRun
from netdesk.demo.operations import build_operations
from netdesk.demo.reset import demo_delete
from netdesk.demo.routing import build_routing
from netdesk.demo.surveys import build_surveys
from netdesk.network.models import Area, NetworkElement
from netdesk.sla.recompute import sla_recompute_many
from netdesk.tickets.models import Ticket
from netdesk.triage.learning import triage_bootstrap

# Resolved tickets the demo's triage model is trained on. The demo's wording
# is formulaic: a few thousand teach the model all it can, in seconds rather
# than the minutes 50,000 take (the worker retrains on all of them later).
DEMO_TRIAGE_TICKETS = 3_000


def _positive(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError(raw)
    return value


class Command(BaseCommand):
    help = "Fill the database with a realistic demo desk and serve it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--subscribers", type=_positive, default=10_000)
        parser.add_argument("--tickets", type=int, default=50_000)
        parser.add_argument("--months", type=_positive, default=6)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--reset", action="store_true", help="delete earlier demo data first")
        parser.add_argument("--no-serve", action="store_true", help="load only, do not serve")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        verbosity = int(options["verbosity"])
        call_command("migrate", interactive=False, verbosity=0)
        if options["tickets"] < 0:
            raise CommandError(f"--tickets {options['tickets']} is negative; give 0 or more.")
        earlier = DemoRun.objects.order_by("-id").first()
        if earlier is not None and not options["reset"]:
            if not earlier.finished:
                raise CommandError(
                    "An earlier demo load stopped half-way. Run `netdesk demo --reset` to "
                    "delete what it loaded and load again."
                )
            # `make demo` a second time: serve what is there rather than fail.
            self.stdout.write(
                "This database already holds the demo desk; serving it as it is "
                "(`netdesk demo --reset` deletes it and loads a fresh one)."
            )
            self._print_logins()
            channels_print(
                self.stdout, channels_of(earlier), host=options["host"], port=options["port"]
            )
        else:
            if earlier is not None:
                self.stdout.write("Deleting the earlier demo data…")
                demo_delete()
            channels = self._load(options, quiet=verbosity == 0)
            elapsed = time.monotonic() - started
            self._print_logins()
            channels_print(self.stdout, channels, host=options["host"], port=options["port"])
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo loaded in {elapsed:.1f} s: {options['subscribers']} subscribers, "
                    f"{options['tickets']} tickets over {options['months']} months."
                )
            )
        if not options["no_serve"]:
            call_command("serve", host=options["host"], port=options["port"])

    def _load(self, options: dict[str, Any], *, quiet: bool) -> ChannelsDemo:
        rng = random.Random(options["seed"])
        run = DemoRun.objects.create(
            seed=options["seed"],
            options={k: options[k] for k in ("subscribers", "tickets", "months", "seed")},
        )
        created: dict[str, Any] = {}

        def bar(name: str, total: int) -> tqdm:
            return tqdm(total=total, desc=name, unit=" rows", disable=quiet, leave=True)

        # One transaction per stage; the run's record is updated as each
        # stage commits, so --reset can undo a load that stopped half-way.
        with transaction.atomic(), bar("network and agents", 2) as progress:
            by_town = build_network(rng, created)
            progress.update(1)
            staff = build_staff(rng, created)
            progress.update(1)
            reset_sequences([Area, NetworkElement])
            self._record(run, created)
        with transaction.atomic(), bar("subscribers", options["subscribers"]) as progress:
            subscribers, _ = build_subscribers(
                rng, options["subscribers"], by_town, staff, created, progress
            )
            reset_sequences([Customer, Contact, Service])
            self._record(run, created)
        account_managers = {s.id: s.account_manager for s in subscribers if s.account_manager}
        with transaction.atomic(), bar("tickets", options["tickets"]) as progress:
            build_history(
                rng,
                count=options["tickets"],
                months=options["months"],
                staff=staff,
                subscribers=subscribers,
                account_managers=account_managers,
                created=created,
                progress=progress,
            )
            reset_sequences([Ticket])
            run.finished = True
            self._record(run, created)
        # Service levels for the whole history: queues and ticket pages show
        # due times, and the compliance report has six months to report on.
        span = created.get("tickets.Ticket") or [0, -1]
        history = Ticket.objects.filter(pk__range=span)
        with bar("service levels", history.count()) as progress:
            sla_recompute_many(tickets=history, progress=progress.update)
        # Triage learns from the resolved history; the open tickets show its suggestion.
        with transaction.atomic(), bar("text triage", 1) as progress:
            triage_bootstrap(now=timezone.now(), tickets=history, limit=DEMO_TRIAGE_TICKETS)
            progress.update(1)
        with transaction.atomic(), bar("competencies", 1) as progress:
            build_competency(rng, created)
            self._record(run, created)
            progress.update(1)
        with transaction.atomic(), bar("skills-based routing", 1) as progress:
            build_routing(created)
            self._record(run, created)
            progress.update(1)
        with transaction.atomic(), bar("assessment cycle", 1) as progress:
            build_assessment(rng, created)
            self._record(run, created)
            progress.update(1)
        with transaction.atomic(), bar("network operations", 1) as progress:
            build_operations(rng, created)
            self._record(run, created)
            progress.update(1)
        with transaction.atomic(), bar("mail", 1) as progress:
            build_mail(created)
            self._record(run, created)
            progress.update(1)
        with transaction.atomic(), bar("portal, chat and phone", 1) as progress:
            channels = build_channels(rng, created, seed=options["seed"])
            self._record(run, created)
            progress.update(1)
        self._closing_stages(run, created, rng, quiet=quiet)
        return channels

    def _closing_stages(
        self, run: DemoRun, created: dict[str, Any], rng: random.Random, *, quiet: bool
    ) -> None:
        """The last stages, in order, each in its own transaction. The
        dashboards' daily figures come last: computed once for the whole
        history (the worker's tick keeps the recent days current)."""
        stages: list[tuple[str, Callable[[], object]]] = [
            ("knowledge base", lambda: build_knowledge(rng, created)),
            # The history's surveys before the daily figures, which count them.
            ("satisfaction surveys", lambda: build_surveys(rng, created)),
            ("dashboards and service plan", lambda: build_floor_plans(created)),
            ("scheduled reports", lambda: build_floor_reports(created)),
            ("saved queue views", lambda: build_floor_views(created)),
        ]
        for name, build in stages:
            with (
                transaction.atomic(),
                tqdm(total=1, desc=name, unit=" rows", disable=quiet, leave=True) as progress,
            ):
                build()
                self._record(run, created)
                progress.update(1)

    @staticmethod
    def _record(run: DemoRun, created: dict[str, Any]) -> None:
        run.created = dict(created)
        run.save(update_fields=["created", "finished"])

    def _print_logins(self) -> None:
        self.stdout.write("\nDemo logins (one per role):")
        self.stdout.write(f"  {'username':<12} {'password':<18} role")
        for username, role in DEMO_LOGINS:
            self.stdout.write(f"  {username:<12} {DEMO_PASSWORD:<18} {role}")
        self.stdout.write("")
