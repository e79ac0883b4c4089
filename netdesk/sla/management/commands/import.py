"""`netdesk import <source> FILE`: replay another desk's ticket history
through NetDesk's SLA engine. Sources are subcommands (`servicenow-events`)."""

from __future__ import annotations

import json
import time
from argparse import ArgumentTypeError
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from netdesk.core.errors import ImportFailed
from netdesk.sla.importers import SkipLog, report_lines
from netdesk.sla.importers.servicenow import DEFAULT_TARGETS, replay
from netdesk.sla.importers.servicenow_log import read_incidents
from netdesk.tickets.choices import Status

ACCEPTED_TARGETS = "priority=minutes pairs for priorities 1–4, e.g. 1=240,2=480,3=4320,4=7200"


def parse_targets(raw: str) -> dict[int, int]:
    """ "1=240,2=480" → {1: 240, 2: 480}; names the bad part otherwise."""
    targets: dict[int, int] = {}
    for part in raw.split(","):
        priority, _, minutes = part.strip().partition("=")
        if not (priority.strip().isdigit() and minutes.strip().isdigit()):
            raise ArgumentTypeError(f"{part!r} is not {ACCEPTED_TARGETS}")
        if int(priority) not in DEFAULT_TARGETS or int(minutes) < 1:
            raise ArgumentTypeError(f"{part!r} is out of range; give {ACCEPTED_TARGETS}")
        targets[int(priority)] = int(minutes)
    return targets


def _positive(raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise ArgumentTypeError(f"--limit {raw!r} is not a whole number of incidents above 0")
    return int(raw)


def read_policy_file(path: Path) -> tuple[dict[int, int] | None, list[str] | None]:
    """A JSON object with "resolution_minutes" ({"1": 240, ...}) and/or
    "pause_statuses" (["pending_customer", ...])."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandError(f"--policy-file {path}: cannot read it as JSON ({exc}).") from exc
    if not isinstance(data, dict):
        raise CommandError(f"--policy-file {path}: expected a JSON object.")
    targets = None
    if "resolution_minutes" in data:
        minutes = data["resolution_minutes"]
        if not isinstance(minutes, dict):
            raise CommandError(
                f"--policy-file {path}: resolution_minutes must be an object of {ACCEPTED_TARGETS}."
            )
        try:
            targets = parse_targets(",".join(f"{k}={v}" for k, v in minutes.items()))
        except ArgumentTypeError as exc:
            raise CommandError(f"--policy-file {path}: {exc}") from exc
    pauses = data.get("pause_statuses")
    if pauses is not None and (
        not isinstance(pauses, list) or any(p not in Status.values for p in pauses)
    ):
        raise CommandError(
            f"--policy-file {path}: pause_statuses {pauses!r} must be a list of "
            f"{', '.join(Status.values)}."
        )
    return targets, pauses


class Command(BaseCommand):
    help = "Import another desk's ticket history and replay it through the SLA engine."

    def add_arguments(self, parser: CommandParser) -> None:
        sources = parser.add_subparsers(dest="source", required=True, title="sources")
        servicenow = sources.add_parser(
            "servicenow-events",
            help="a ServiceNow incident event log (CSV, or a zip holding one)",
        )
        servicenow.add_argument(
            "file", type=Path, metavar="FILE", help="the event log, zipped or not"
        )
        servicenow.add_argument(
            "--targets",
            type=parse_targets,
            help=f"resolution targets in calendar minutes: {ACCEPTED_TARGETS}",
        )
        servicenow.add_argument(
            "--policy-file",
            type=Path,
            help='JSON: {"resolution_minutes": {"1": 240, ...}, "pause_statuses": [...]}',
        )
        servicenow.add_argument("--limit", type=_positive, help="replay the first N incidents")
        servicenow.add_argument(
            "--dry-run", action="store_true", help="do everything, then roll it back"
        )
        servicenow.add_argument(
            "--skipped-csv", type=Path, help="write every skipped incident and event here"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["source"] == "servicenow-events":
            self._servicenow(options)

    def _servicenow(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"FILE {path}: no such file.")
        targets, pauses = (None, None)
        if options["policy_file"] is not None:
            targets, pauses = read_policy_file(options["policy_file"])
        if options["targets"] is not None:
            targets = {**(targets or {}), **options["targets"]}
        skips = SkipLog()
        started = time.monotonic()
        try:
            incidents = read_incidents(path, skips=skips, limit=options["limit"])
        except (ImportFailed, OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"FILE {path}: {exc}") from exc
        read_seconds = time.monotonic() - started
        result = replay(
            incidents,
            skips=skips,
            targets=targets,
            pause_statuses=pauses,
            dry_run=options["dry_run"],
        )
        out = self.stdout.write
        verb = "Would import" if options["dry_run"] else "Imported"
        out(
            f"{verb} {result.imported} incident(s) with {result.events} timeline event(s); "
            f"{result.timers} SLA timer(s) computed."
        )
        out(
            f"Time: read {read_seconds:.1f} s, write {result.seconds['write']:.1f} s, "
            f"SLA {result.seconds['sla']:.1f} s, total {time.monotonic() - started:.1f} s."
        )
        out("")
        for line in skips.summary_lines():
            out(line)
        if options["skipped_csv"] is not None:
            skips.write_csv(options["skipped_csv"])
            out(f"Skipped rows written to {options['skipped_csv']}.")
        out("")
        out("Resolution targets, NetDesk replay against the log's made_sla:")
        for line in report_lines(result.report):
            out(line)
