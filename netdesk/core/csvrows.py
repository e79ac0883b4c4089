"""Reading CSV rows with a bound on each row's length, for every importer.

The csv module reads a whole line into memory before it looks at it (a 500 MB
field costs a gigabyte) and answers a field over its limit with a bare
csv.Error that names neither row nor column. Here lines are read a bounded
piece at a time and a row over the bound is refused, naming its row, its
first line and the column it overflows in, before the rest of it is read."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

# csv's own field limit: no field of a row within the bound can trip it.
MAX_ROW_CHARACTERS = 131_072


class CsvUnreadable(Exception):
    """The text cannot be read as CSV from `row` on; nothing after it is."""

    def __init__(self, message: str, *, row: int, line: int, column: int | None = None) -> None:
        super().__init__(message)
        self.row = row
        self.line = line
        self.column = column

    def where(self, header: Sequence[str] = ()) -> str:
        """ "row 3 (line 4), column description" for messages."""
        place = f"row {self.row}" + (f" (line {self.line})" if self.line != self.row else "")
        if self.column is not None:
            named = header[self.column] if self.column < len(header) else ""
            place += f", column {named or self.column + 1}"
        return place


class RowTooLong(CsvUnreadable):
    """A row longer than the bound."""


def _column_at(text: str, dialect: Any) -> int:
    """The 0-based column the end of `text` (a row cut short) lies in: the
    delimiters outside quotes before it."""
    delimiter, quote = dialect.delimiter, dialect.quotechar
    column, quoted = 0, False
    for character in text:
        if character == quote:
            quoted = not quoted  # a doubled quote flips twice: still inside
        elif character == delimiter and not quoted:
            column += 1
    return column


def csv_rows(
    text: TextIO,
    *,
    dialect: Any = csv.excel,
    max_row: int = MAX_ROW_CHARACTERS,
    by_line: bool = False,
) -> Iterator[tuple[int, list[str]]]:
    """(row number, values) for each row of `text`, the first row (the
    header) numbered 1; with `by_line`, the number of the line the row
    starts on instead (they differ after a quoted field spanning lines).
    Raises RowTooLong for a row of more than `max_row` characters and
    CsvUnreadable where csv cannot go on."""
    row = 1
    line = 0  # lines read so far
    first_line = 1  # the line the current row starts on
    pieces: list[str] = []  # the current row as read, at most max_row + 1 characters
    length = 0

    def lines() -> Iterator[str]:
        nonlocal line, length
        while piece := text.readline(max_row + 1 - length):
            pieces.append(piece)
            length += len(piece)
            if length > max_row:
                raise RowTooLong(
                    f"longer than {max_row:,} characters",
                    row=row,
                    line=first_line,
                    column=_column_at("".join(pieces), dialect),
                )
            if piece.endswith(("\n", "\r")):
                line += 1
            yield piece

    reader = csv.reader(lines(), dialect)
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise CsvUnreadable(str(exc), row=row, line=first_line) from exc
        yield (first_line if by_line else row), values
        row += 1
        first_line = line + 1
        pieces.clear()
        length = 0
