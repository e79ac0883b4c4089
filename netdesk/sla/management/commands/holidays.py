"""`netdesk holidays import --calendar NAME FILE.ics [--yearly]`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from netdesk.core.errors import ServiceError
from netdesk.sla.holidays import holidays_import_ics
from netdesk.sla.models import BusinessCalendar


class Command(BaseCommand):
    help = "Import holidays into a business calendar from an iCalendar (.ics) file."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("import", help="add the file's all-day events as holidays")
        load.add_argument("file", type=Path)
        load.add_argument("--calendar", required=True, help="name of the business calendar")
        load.add_argument(
            "--yearly", action="store_true", help="repeat each holiday every year on the same date"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        calendar = BusinessCalendar.objects.filter(name=options["calendar"]).first()
        if calendar is None:
            known = ", ".join(BusinessCalendar.objects.values_list("name", flat=True))
            raise CommandError(f"--calendar {options['calendar']!r} does not exist; known: {known}")
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror}") from error
        try:
            result = holidays_import_ics(calendar=calendar, data=data, yearly=options["yearly"])
        except ServiceError as error:
            raise CommandError(f"{path}: {error.message}") from error
        self.stdout.write(
            f"{calendar.name}: {len(result.added)} holidays added, "
            f"{len(result.already_there)} already there, {len(result.skipped)} events skipped, "
            f"{len(result.changed)} kept with changes."
        )
        for event, reason in result.skipped:
            self.stdout.write(f"  skipped {event!r}: {reason}")
        for event, what in result.changed:
            self.stdout.write(f"  changed {event!r}: {what}")
