"""The one XLSX writer of every export and report file the desk writes.

openpyxl's write-only workbook streams rows to a temporary file as they
come, so a million-row list is written in constant memory; the finished
file is then sent from disk. Cells go through the same `csv_cell` as CSV
(formula-looking text quoted, local times), so both formats read alike.

openpyxl is loaded when a file is written, not when this module is
imported: every web process imports the export views, and openpyxl (with
the numpy it pulls in) added about 0.2 s to each start for a file few
requests ask for."""

from __future__ import annotations

import importlib
import re
import tempfile
from collections.abc import Iterable
from typing import IO, Any

from django.http import FileResponse

from netdesk.core.csvexport import csv_cell

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A worksheet holds at most this many rows (the heading included).
XLSX_MAX_ROWS = 1_048_576
# The control characters an XLSX cell cannot hold (openpyxl's own
# ILLEGAL_CHARACTERS_RE): a title from a mail may carry them.
XLSX_ILLEGAL_CHARACTERS = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def xlsx_write(
    out: IO[bytes], heading: Iterable[Any], rows: Iterable[Iterable[Any]], *, title: str = "Sheet1"
) -> int:
    """Write the table to `out` as one worksheet; returns the rows written
    (the heading not counted). Rows past the sheet's limit raise rather
    than being cut off silently."""
    book: Any = importlib.import_module("openpyxl").Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31] or "Sheet1")
    sheet.append([csv_cell(cell) for cell in heading])
    written = 0
    for row in rows:
        if written + 1 >= XLSX_MAX_ROWS:
            raise ValueError(
                f"An XLSX worksheet holds at most {XLSX_MAX_ROWS - 1} rows; "
                "narrow the list or export it as CSV."
            )
        sheet.append([csv_cell(cell) for cell in row])
        written += 1
    book.save(out)
    return written


def xlsx_response(
    filename: str, heading: Iterable[Any], rows: Iterable[Iterable[Any]], *, title: str = "Sheet1"
) -> FileResponse:
    """One table as an XLSX download, built in a temporary file (removed
    when the response is closed) and sent from disk."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the response
    xlsx_write(spool, heading, rows, title=title)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX_TYPE)
