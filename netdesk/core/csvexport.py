"""The one CSV writer of every export and report file the desk writes.

Names, titles and notes come from callers, imports and devices; a cell that
starts like a formula would run as one when the file is opened in a
spreadsheet (OWASP "CSV injection"), so such text is written with a leading
single quote. Numbers passed as numbers stay numbers (a negative figure is
not a formula); times are written in the reader's time zone."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from django.http import StreamingHttpResponse
from django.utils import timezone

# Leads a spreadsheet reads as the start of a formula (or, for tab, CR and
# LF, strips before reading one).
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r", "\n")
TIME_FORMAT = "%Y-%m-%d %H:%M"


def csv_cell(value: Any) -> str | int | float | Decimal:
    """A value as the cell a person should read: text that could run as a
    formula is quoted, lists are joined, times are local, None is empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime(TIME_FORMAT)
    if isinstance(value, date):
        return value.isoformat()
    text = "; ".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)
    return f"'{text}" if text.startswith(FORMULA_LEADS) else text


def time_heading(label: str) -> str:
    """A column heading for times, naming the zone they are written in."""
    return f"{label} ({timezone.get_current_timezone_name()})"


class CsvWriter:
    """`csv.writer` whose every cell goes through `csv_cell`."""

    def __init__(self, out: IO[str]) -> None:
        self._writer = csv.writer(out)

    def writerow(self, cells: Iterable[Any]) -> None:
        self._writer.writerow([csv_cell(cell) for cell in cells])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class _Line:
    """A file-like sink that hands back what csv.writer writes to it."""

    def write(self, text: str) -> str:
        return text


def csv_lines(heading: Iterable[Any], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The table as CSV text, one line at a time (for lists too long to hold)."""
    writer = csv.writer(_Line())
    yield writer.writerow([csv_cell(cell) for cell in heading])
    for row in rows:
        yield writer.writerow([csv_cell(cell) for cell in row])


def csv_text(heading: Iterable[Any], rows: Iterable[Iterable[Any]]) -> str:
    return "".join(csv_lines(heading, rows))


def csv_response(
    filename: str, heading: Iterable[Any], rows: Iterable[Iterable[Any]]
) -> StreamingHttpResponse:
    """One table as a CSV download, streamed row by row."""
    response = StreamingHttpResponse(
        csv_lines(heading, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
