"""`netdesk competency import FILE.csv|FILE.xlsx --name NAME [--map-external sfia|ecf]
[--profiles FILE]`: import a competency framework the organisation holds under
its own licence, and its role profiles, into a new draft version; `netdesk competency questions import FILE` fills
the exam question bank of a framework's skills (see docs/competency.md for
the columns of both)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from netdesk.assessments.question_import import DEFAULT_FRAMEWORK, import_questions
from netdesk.competency.framework_file import SCHEMES
from netdesk.competency.importers import Skipped, import_framework
from netdesk.core.errors import ImportFailed, ServiceError

SHOWN_SKIPS = 50


class Command(BaseCommand):
    help = (
        "Competency frameworks: import one from a CSV or XLSX file; "
        "import exam questions into the bank of a framework's skills."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, title="actions")
        importing = actions.add_parser(
            "import", help="import a framework from a .csv or .xlsx file"
        )
        importing.add_argument("file", type=Path, metavar="FILE")
        importing.add_argument(
            "--name", required=True, help="framework name (a new version if it exists)"
        )
        importing.add_argument(
            "--map-external",
            choices=sorted(SCHEMES),
            help="the external_code column holds SFIA skill codes or e-CF competences; "
            "they are checked and matched to NetDesk skills carrying the same code",
        )
        importing.add_argument("--sheet", help="worksheet of an .xlsx file (default: the first)")
        importing.add_argument(
            "--profiles",
            type=Path,
            metavar="FILE",
            help="a .csv or .xlsx file of the framework's role profiles",
        )
        importing.add_argument("--description", default="", help="framework description")
        importing.add_argument("--publish", action="store_true", help="publish (freeze) it at once")
        importing.add_argument(
            "--dry-run", action="store_true", help="read and check everything, write nothing"
        )
        questions = actions.add_parser("questions", help="the exam question bank")
        bank_actions = questions.add_subparsers(
            dest="questions_action", required=True, title="actions"
        )
        bank_import = bank_actions.add_parser(
            "import", help="import exam questions from a .csv or .xlsx file"
        )
        bank_import.add_argument("file", type=Path, metavar="FILE")
        bank_import.add_argument(
            "--framework",
            default=DEFAULT_FRAMEWORK,
            metavar="NAME",
            help="framework whose skills the codes name: its published version, or its "
            f"draft while none is published (default: {DEFAULT_FRAMEWORK})",
        )
        bank_import.add_argument("--sheet", help="worksheet of an .xlsx file (default: the first)")
        bank_import.add_argument(
            "--dry-run", action="store_true", help="read and check everything, write nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "questions":
            self._import_questions(options)
            return
        try:
            result = import_framework(
                options["file"],
                name=options["name"],
                map_external=options["map_external"],
                publish=options["publish"],
                dry_run=options["dry_run"],
                sheet=options["sheet"],
                description=options["description"],
                profiles=options["profiles"],
            )
        except ImportFailed as exc:
            raise CommandError(str(exc)) from exc
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        out = self.stdout.write
        framework = result.framework
        assert framework is not None
        verb = "Would import" if options["dry_run"] else "Imported"
        out(
            f"{verb} {framework} ({framework.state}): {result.skills} skills, "
            f"{result.levels} level descriptors, {result.indicators} indicators"
            + (f", {result.profiles} role profiles" if options["profiles"] else "")
            + "; "
            f"skipped {len(result.skipped)} row(s)."
        )
        if result.mapped:
            out("")
            out(f"{'skill':<16} {'external':<10} NetDesk skill")
            for code, external, netdesk in result.mapped:
                out(f"{code:<16} {external or '—':<10} {netdesk or '(no match)'}")
        self._report_skipped(result.skipped)

    def _import_questions(self, options: dict[str, Any]) -> None:
        try:
            result = import_questions(
                options["file"],
                framework=options["framework"],
                sheet=options["sheet"],
                dry_run=options["dry_run"],
            )
        except ImportFailed as exc:
            raise CommandError(str(exc)) from exc
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        verb = "Would import" if options["dry_run"] else "Imported"
        self.stdout.write(
            f"{verb} questions into {result.framework} ({result.framework.state}): "
            f"{result.added} added, {result.updated} updated, {result.unchanged} unchanged; "
            f"skipped {len(result.skipped)} row(s)."
        )
        self._report_skipped(result.skipped)
        if not result.imported:
            raise CommandError("No row could be imported; nothing was written.")

    def _report_skipped(self, skipped: list[Skipped]) -> None:
        if not skipped:
            return
        out = self.stdout.write
        out("")
        out("Skipped:")
        for skip in skipped[:SHOWN_SKIPS]:
            value = f" ({skip.value})" if skip.value else ""
            where = f"{skip.file} row {skip.row}" if skip.file else f"row {skip.row}"
            out(f"  {where}: {skip.reason}{value}")
        if len(skipped) > SHOWN_SKIPS:
            counts = Counter(s.reason for s in skipped[SHOWN_SKIPS:])
            for reason, count in counts.most_common():
                out(f"  … and {count} more: {reason}")
