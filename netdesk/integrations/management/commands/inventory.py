"""`netdesk inventory import <source>`: load the network inventory (areas,
elements, links, customer services) from CSV files, a GraphML topology or a
NetBox instance, and say what was created, updated and skipped, and why.
It lives with the integrations because NetBox is one of its sources; the
file importers it runs are the network's own."""

from __future__ import annotations

import os
import re
from argparse import ArgumentParser, ArgumentTypeError
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from netdesk.core.errors import ImportFailed
from netdesk.integrations.netbox.client import DEFAULT_PAGE_SIZE, NetBoxClient
from netdesk.integrations.netbox.importer import NetBoxOptions, import_netbox
from netdesk.network.import_report import ImportReport
from netdesk.network.importers.csv_inventory import CsvFiles, import_csv
from netdesk.network.importers.graphml import GraphmlOptions, import_graphml
from netdesk.network.models import ElementKind

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _page_size(raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 1000:
        raise ArgumentTypeError(f"--page-size {raw!r}: give a whole number from 1 to 1000")
    return int(raw)


def _csv_arguments(sources: Any) -> ArgumentParser:
    csv_files: ArgumentParser = sources.add_parser(
        "csv", help="areas.csv, elements.csv, links.csv, services.csv"
    )
    csv_files.add_argument("--areas", type=Path, metavar="FILE")
    csv_files.add_argument("--elements", type=Path, metavar="FILE")
    csv_files.add_argument("--links", type=Path, metavar="FILE")
    csv_files.add_argument("--services", type=Path, metavar="FILE")
    csv_files.add_argument(
        "--create-customers",
        action="store_true",
        help="create customers whose account number is not stored (else their services are skipped)",
    )
    return csv_files


def _graphml_arguments(sources: Any) -> ArgumentParser:
    graphml: ArgumentParser = sources.add_parser(
        "graphml", help="a GraphML topology (e.g. Topology Zoo)"
    )
    graphml.add_argument("file", type=Path, metavar="FILE")
    graphml.add_argument(
        "--root",
        metavar="NAME",
        help="the node (label or id) the upstream tree starts from; default: most links",
    )
    graphml.add_argument(
        "--kind-default",
        default=ElementKind.CORE_ROUTER.value,
        metavar="KIND",
        help="kind of the imported elements (any short slug; default core_router)",
    )
    graphml.add_argument(
        "--source",
        dest="source_name",
        metavar="NAME",
        help="name re-imports are matched by (default graphml:<file name>)",
    )
    return graphml


def _netbox_arguments(sources: Any) -> ArgumentParser:
    netbox: ArgumentParser = sources.add_parser(
        "netbox", help="a NetBox instance over its REST API"
    )
    netbox.add_argument(
        "--url", required=True, help="NetBox's address, e.g. https://netbox.example.net"
    )
    netbox.add_argument(
        "--token-env",
        default="NETBOX_TOKEN",
        metavar="NAME",
        help="environment variable holding the API token (default NETBOX_TOKEN)",
    )
    netbox.add_argument(
        "--create-customers", action="store_true", help="create unmatched tenants as customers"
    )
    netbox.add_argument(
        "--root-kind",
        action="append",
        metavar="KIND",
        help="kind of the devices upstream trees start from (repeatable; default core_router)",
    )
    netbox.add_argument(
        "--tenant-field",
        default="account_number",
        metavar="NAME",
        help="tenant custom field holding the customer's account number",
    )
    netbox.add_argument(
        "--page-size",
        type=_page_size,
        default=DEFAULT_PAGE_SIZE,
        help=f"objects per page, 1 to 1000 (default {DEFAULT_PAGE_SIZE})",
    )
    return netbox


class Command(BaseCommand):
    help = "Import the network inventory from CSV files, a GraphML topology or NetBox."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, title="actions")
        importing = actions.add_parser("import", help="import areas, elements, links, services")
        sources = importing.add_subparsers(dest="source", required=True, title="sources")
        for add_source in (_csv_arguments, _graphml_arguments, _netbox_arguments):
            source = add_source(sources)
            source.add_argument(
                "--skipped-csv",
                type=Path,
                metavar="FILE",
                help="write every skipped row and its reason here",
            )
            source.add_argument(
                "--dry-run", action="store_true", help="do everything, then roll it back"
            )
            source.add_argument("--no-progress", action="store_true", help="no progress bars")

    def handle(self, *args: Any, **options: Any) -> None:
        report = ImportReport(skipped_csv=options["skipped_csv"], dry_run=options["dry_run"])
        progress = not options["no_progress"] and options["verbosity"] > 0
        facts: dict[str, str] = {}
        try:
            if options["source"] == "csv":
                self._csv(options, report, progress)
            elif options["source"] == "graphml":
                facts = import_graphml(
                    options["file"],
                    GraphmlOptions(
                        root=options["root"],
                        kind_default=options["kind_default"],
                        source=options.get("source_name"),
                        dry_run=options["dry_run"],
                    ),
                    report=report,
                    progress=progress,
                )
            else:
                facts = self._netbox(options, report, progress)
        except ImportFailed as exc:
            raise CommandError(str(exc)) from exc
        except DatabaseError as exc:
            raise CommandError(
                f"The database refused a write ({exc}). The stage or batch being written was "
                "rolled back; earlier stages and service batches are kept, and running the "
                "same import again completes it."
            ) from exc
        finally:
            report.close()
        self._summary(report, facts, options)

    def _csv(self, options: dict[str, Any], report: ImportReport, progress: bool) -> None:
        files = CsvFiles(
            areas=options["areas"],
            elements=options["elements"],
            links=options["links"],
            services=options["services"],
        )
        if not any((files.areas, files.elements, files.links, files.services)):
            raise CommandError("Give at least one of --areas, --elements, --links, --services.")
        import_csv(
            files,
            create_customers=options["create_customers"],
            dry_run=options["dry_run"],
            report=report,
            progress=progress,
        )

    def _netbox(
        self, options: dict[str, Any], report: ImportReport, progress: bool
    ) -> dict[str, str]:
        name = options["token_env"]
        if not ENV_NAME.match(name):
            raise CommandError(
                f"--token-env {name!r} is not an environment variable name; give the name of "
                "the variable that holds the token (e.g. NETBOX_TOKEN), not the token itself."
            )
        token = os.environ.get(name, "").strip()
        if not token:
            raise CommandError(
                f"--token-env {name}: the environment variable {name} is not set or empty; put "
                "the NetBox API token there (it is not taken on the command line, where the "
                "process list would show it)."
            )
        client = NetBoxClient(options["url"], token, page_size=options["page_size"])
        return import_netbox(
            client,
            NetBoxOptions(
                create_customers=options["create_customers"],
                root_kinds=tuple(options["root_kind"] or (ElementKind.CORE_ROUTER.value,)),
                tenant_field=options["tenant_field"],
                dry_run=options["dry_run"],
            ),
            report=report,
            progress=progress,
        )

    def _summary(
        self, report: ImportReport, facts: dict[str, str], options: dict[str, Any]
    ) -> None:
        out = self.stdout.write
        heading = "Dry run (nothing kept)" if options["dry_run"] else "Imported"
        details = ", ".join(f"{key} {value}" for key, value in facts.items())
        out(f"{heading}: {options['source']}{' — ' + details if details else ''}.")
        for line in report.summary_lines():
            out(line)
        if options["skipped_csv"] is not None:
            out(f"Skipped rows written to {options['skipped_csv']}.")
