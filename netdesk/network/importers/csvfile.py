"""Reading an inventory CSV file: its header is checked when the file is
opened (so a wrong column stops the import before anything is written),
its bytes are checked to be UTF-8 up front (a bad byte half way through a
million rows would otherwise stop the import half way), and rows come back
as (line number, values) with rows of the wrong width reported."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from netdesk.core.csvrows import CsvUnreadable, csv_rows
from netdesk.core.errors import ImportFailed
from netdesk.core.text import UNSTORABLE_REASON, unstorable_in_row
from netdesk.network.import_report import ImportReport

READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class CsvLayout:
    """The columns one kind of file may have."""

    option: str  # the command-line option that names the file, for messages
    record: str  # the word used in the report: "element"
    required: tuple[str, ...]
    optional: tuple[str, ...]

    @property
    def accepted(self) -> str:
        return (
            f"required {', '.join(self.required)}; "
            f"optional {', '.join(self.optional) if self.optional else 'none'}"
        )


class CsvFile:
    """One file, opened and checked."""

    def __init__(self, path: Path, layout: CsvLayout) -> None:
        self.path = path
        self.layout = layout
        self.where = f"{layout.option} {path}"
        # Data rows, about: lines after the header (a quoted field may span lines).
        self.lines = max(self._scan() - 1, 0)
        self.columns = self._header()
        self.index = {column: position for position, column in enumerate(self.columns)}

    def __contains__(self, column: str) -> bool:
        return column in self.index

    def _scan(self) -> int:
        """Count the lines (for the progress bar) and make sure every byte
        is UTF-8, naming the line of the first that is not."""
        decoder = codecs.getincrementaldecoder("utf-8")()
        lines = 0
        try:
            with self.path.open("rb") as raw:
                while chunk := raw.read(READ_CHUNK):
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError as exc:
                        line = lines + chunk.count(b"\n", 0, max(exc.start, 0)) + 1
                        raise ImportFailed(
                            f"{self.where}: line {line} is not UTF-8 text; "
                            "save the file as UTF-8 (with or without BOM)."
                        ) from None
                    lines += chunk.count(b"\n")
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise ImportFailed(f"{self.where}: the file ends inside a UTF-8 character.") from None
        except OSError as exc:
            raise ImportFailed(f"{self.where}: cannot be read ({exc.strerror}).") from exc
        return lines

    def _header(self) -> list[str]:
        with self.path.open(encoding="utf-8-sig", newline="") as text:
            try:
                header = next((values for _, values in csv_rows(text)), None)
            except CsvUnreadable as exc:
                raise ImportFailed(f"{self.where}: the header, {exc.where()}: {exc}.") from exc
        if not header:
            raise ImportFailed(
                f"{self.where}: the file is empty; its first line must be the header "
                f"({self.layout.accepted})."
            )
        columns = [column.strip().lower() for column in header]
        layout = self.layout
        allowed = set(layout.required) | set(layout.optional)
        for position, column in enumerate(columns, start=1):
            if not column:
                raise ImportFailed(
                    f"{self.where}: header column {position} has no name; "
                    f"accepted columns: {layout.accepted}."
                )
            if column not in allowed:
                raise ImportFailed(
                    f"{self.where}: column {header[position - 1]!r} is not accepted; "
                    f"accepted columns: {layout.accepted}."
                )
            if columns.count(column) > 1:
                raise ImportFailed(f"{self.where}: column {column!r} appears more than once.")
        missing = [column for column in layout.required if column not in columns]
        if missing:
            raise ImportFailed(
                f"{self.where}: column(s) {', '.join(missing)} missing; "
                f"accepted columns: {layout.accepted}."
            )
        return columns

    def rows(self, report: ImportReport) -> Iterator[tuple[int, list[str]]]:
        """(line, values) per data row; blank lines are passed over, rows of
        the wrong width or holding text the desk cannot store (NUL) are
        reported as skipped."""
        width = len(self.columns)
        name = self.path.name
        with self.path.open(encoding="utf-8-sig", newline="") as text:
            rows = csv_rows(text, by_line=True)
            try:
                next(rows, None)
                for line, values in rows:
                    if not values or (len(values) == 1 and not values[0].strip()):
                        continue
                    if len(values) != width:
                        report.skip(
                            self.layout.record,
                            f"{name} line {line}",
                            "row has the wrong number of fields",
                            f"{len(values)} fields; the header has {width}",
                            values,
                        )
                        continue
                    problem = unstorable_in_row(self.record(values))
                    if problem is not None:
                        report.skip(
                            self.layout.record,
                            f"{name} line {line}",
                            UNSTORABLE_REASON,
                            problem,
                            values,
                        )
                        continue
                    yield line, values
            except CsvUnreadable as exc:
                raise ImportFailed(f"{self.where}: {exc.where(self.columns)}: {exc}.") from exc

    def record(self, values: list[str]) -> dict[str, str]:
        """The row as {column: value}, for the skipped-rows file."""
        return dict(zip(self.columns, values, strict=True))

    def get(self, values: list[str], column: str) -> str | None:
        """The value of a column, or None when the file has no such column."""
        position = self.index.get(column)
        return None if position is None else values[position]
