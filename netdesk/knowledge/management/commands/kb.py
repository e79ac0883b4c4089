"""`netdesk kb import PATH`, `netdesk kb export PATH`: the knowledge base's
articles in and out as Markdown/HTML files, CSV or JSON Lines;
`netdesk kb embed`: compute the search embeddings that are missing now."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser

from netdesk.core.errors import ImportFailed, ServiceError
from netdesk.knowledge.exporting import FORMATS, ExportOptions, export_articles, format_for
from netdesk.knowledge.importing import ImportOptions, ImportResult, import_articles
from netdesk.knowledge.models import ArticleState, Audience
from netdesk.knowledge.search import embeddings_refresh_all
from netdesk.knowledge.search.embedder import embeddings_stale_count

# Skipped rows listed one by one; beyond that, counted per reason.
SHOWN_SKIPS = 50


class Command(BaseCommand):
    help = "Import and export knowledge base articles; compute missing search embeddings."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, title="actions")
        importing = actions.add_parser(
            "import", help="articles from a folder of .md/.html files, a .csv or a .jsonl file"
        )
        importing.add_argument("path", type=Path, metavar="PATH")
        importing.add_argument(
            "--state",
            choices=ArticleState.values,
            help="state of rows that name none (default: draft for new articles; "
            "existing ones keep theirs)",
        )
        importing.add_argument(
            "--audience",
            choices=Audience.values,
            help="audience of rows that name none (default: internal for new articles; "
            "existing ones keep theirs)",
        )
        importing.add_argument(
            "--dry-run", action="store_true", help="do everything, then roll it back"
        )
        importing.add_argument("--no-progress", action="store_true", help="no progress bar")
        exporting = actions.add_parser("export", help="articles as import reads them back")
        exporting.add_argument(
            "path", type=Path, metavar="PATH", help="a folder (md), a file, or - for stdout"
        )
        exporting.add_argument(
            "--format",
            choices=FORMATS,
            help="md (a folder of files), jsonl or csv; default: from PATH's suffix, else md",
        )
        exporting.add_argument(
            "--state", action="append", choices=ArticleState.values, help="only these states"
        )
        exporting.add_argument(
            "--audience", action="append", choices=Audience.values, help="only this audience"
        )

        embedding = actions.add_parser(
            "embed",
            help="compute now the search embeddings the worker has not computed yet",
        )
        embedding.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "import":
                self._import(options)
            elif options["action"] == "export":
                self._export(options)
            else:
                self._embed(options)
        except ImportFailed as exc:
            raise CommandError(str(exc)) from exc
        except ServiceError as exc:
            raise CommandError(exc.message) from exc

    def _import(self, options: dict[str, Any]) -> None:
        result = import_articles(
            options["path"],
            ImportOptions(
                state=options["state"],
                audience=options["audience"],
                dry_run=options["dry_run"],
                progress=not options["no_progress"] and options["verbosity"] > 0,
            ),
        )
        heading = "Dry run (nothing kept)" if options["dry_run"] else "Imported"
        self.stdout.write(f"{heading} {options['path']}: {result.summary()}.")
        self._report_skipped(result)
        if result.skipped and not result.imported:
            raise CommandError("No row could be imported; nothing was written.")

    def _report_skipped(self, result: ImportResult) -> None:
        if not result.skipped:
            return
        out = self.stdout.write
        out("")
        out("Skipped:")
        for skip in result.skipped[:SHOWN_SKIPS]:
            detail = f" ({skip.detail})" if skip.detail else ""
            out(f"  {skip.where}: {skip.reason}{detail}")
        rest = Counter(skip.reason for skip in result.skipped[SHOWN_SKIPS:])
        for reason, count in rest.most_common():
            out(f"  … and {count} more: {reason}")

    def _export(self, options: dict[str, Any]) -> None:
        path: Path = options["path"]
        export = ExportOptions(
            format=format_for(path, options["format"]),
            states=tuple(options["state"] or ()),
            audiences=tuple(options["audience"] or ()),
        )
        # The command's own output (a TextIOBase), so call_command(stdout=…) gets the rows too.
        count = export_articles(path, export, stdout=cast(IO[str], self.stdout))
        articles = f"{count} article" + ("" if count == 1 else "s")
        if str(path) != "-":
            self.stdout.write(f"Exported {articles} to {path} ({export.format}).")
        else:
            self.stderr.write(f"Exported {articles} ({export.format}).")

    def _embed(self, options: dict[str, Any]) -> None:
        written = embeddings_refresh_all(
            progress=not options["no_progress"] and options["verbosity"] > 0
        )
        left = embeddings_stale_count()
        self.stdout.write(
            f"Embedded {written} search documents"
            + (f"; {left} changed meanwhile, the worker embeds them." if left else ".")
        )
