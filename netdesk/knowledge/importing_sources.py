"""Reading what `netdesk kb import` is given: the files of a folder
(Markdown or HTML with YAML front matter), a CSV file or a JSON Lines file,
as rows of raw fields, and the rows that cannot even be read, with why."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler

from netdesk.core.csvexport import FORMULA_LEADS
from netdesk.core.errors import ImportFailed
from netdesk.knowledge.importing_html import html_markdown

MARKDOWN_SUFFIXES = (".md", ".markdown")
HTML_SUFFIXES = (".html", ".htm")
# The fields a row may give; anything else (a spreadsheet's own columns) is ignored.
FIELDS = (
    "title",
    "body",
    "external_id",
    "audience",
    "language",
    "state",
    "tags",
    "products",
    "technologies",
    "categories",
    "owner",
    "review_on",
)


@dataclass(frozen=True)
class Row:
    """One article as a file or line gives it, before it is checked."""

    where: str
    values: dict[str, Any]


@dataclass(frozen=True)
class Skipped:
    where: str
    reason: str
    detail: str = ""


class SkipRow(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def _decoded(raw: bytes) -> str:
    """UTF-8 (with or without a byte-order mark); a byte that is not UTF-8
    raises SkipRow naming where it is."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SkipRow("undecodable bytes", f"not UTF-8 at line {line}") from exc


def _front_matter(text: str) -> tuple[dict[str, Any], str]:
    handler = YAMLHandler()
    if not handler.detect(text):
        return {}, text
    try:
        head, body = handler.split(text)
        values = yaml.safe_load(head)
    except ValueError as exc:
        raise SkipRow("broken YAML", "the front matter has no closing ---") from exc
    except yaml.YAMLError as exc:
        raise SkipRow("broken YAML", str(exc).replace("\n", " ")[:200]) from exc
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise SkipRow("broken YAML", "the front matter is not a list of key: value lines")
    return {str(k): v for k, v in values.items()}, body


def _title_from_heading(body: str) -> tuple[str, str]:
    """A Markdown file without a title field: its first line "# Title"."""
    first, _, rest = body.strip().partition("\n")
    if first.startswith("# "):
        return first[2:].strip(), rest.strip()
    return "", body


def _file_row(path: Path, relative: str) -> Row:
    text = _decoded(path.read_bytes())
    values, body = _front_matter(text)
    if path.suffix.lower() in HTML_SUFFIXES:
        title, body = html_markdown(body)
    elif "title" not in values:
        title, body = _title_from_heading(body)
    else:
        title = ""
    values.setdefault("title", title)
    values.setdefault("body", body)
    values.setdefault("external_id", relative)
    return Row(relative, values)


def folder_rows(folder: Path) -> Iterator[Row | Skipped]:
    """Every file under `folder` (sorted, hidden ones left out); the
    default external id is the file's path relative to the folder."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        if path.suffix.lower() not in MARKDOWN_SUFFIXES + HTML_SUFFIXES:
            yield Skipped(relative, "not Markdown or HTML", "only .md, .markdown, .html, .htm")
            continue
        try:
            yield _file_row(path, relative)
        except SkipRow as skip:
            yield Skipped(relative, skip.reason, skip.detail)
        except OSError as exc:
            yield Skipped(relative, "unreadable file", exc.strerror or str(exc))


def _unquoted(value: str) -> str:
    """A cell the desk's own CSV export quoted against formulas ('=…) reads back as it was."""
    if value.startswith("'") and value[1:2] and value[1:].startswith(FORMULA_LEADS):
        return value[1:]
    return value


def _csv_row(where: str, header: list[str], cells: list[str]) -> Row | Skipped | None:
    if not any(cell.strip() for cell in cells):
        return None
    values = {
        name: _unquoted(cell) for name, cell in zip(header, cells, strict=False) if name in FIELDS
    }
    bad = [name for name, value in values.items() if _has_surrogates(value)]
    if bad:
        return Skipped(where, "undecodable bytes", f"not UTF-8 in column {bad[0]}")
    return Row(where, values)


def csv_rows(path: Path, raw: bytes) -> list[Row | Skipped]:
    """The CSV file's rows. A file the csv module cannot read on (a cell
    over its 128 KiB limit, say) is refused whole, naming the line, before
    anything is written."""
    # Undecodable bytes are kept apart (surrogates) so only their row is skipped.
    text = raw.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[Row | Skipped] = []
    header: list[str] | None = None
    line = 0
    while True:
        try:
            cells = next(reader, None)
        except csv.Error as exc:
            raise ImportFailed(
                f"{path.name} line {line + 1}: {exc}; nothing was imported (very long "
                "articles import from JSON Lines or Markdown files)."
            ) from exc
        where, line = f"{path.name} line {line + 1}", reader.line_num
        if cells is None:
            break
        if header is None:
            header = _csv_header(path, cells)
        elif (row := _csv_row(where, header, cells)) is not None:
            rows.append(row)
    if header is None:
        _csv_header(path, [])
    return rows


def _csv_header(path: Path, cells: list[str]) -> list[str]:
    header = [name.strip().lower() for name in cells]
    missing = [name for name in ("title", "body") if name not in header]
    if missing:
        raise ImportFailed(
            f"{path.name}: the first line names the columns; {', '.join(missing)} is missing "
            f"(found: {', '.join(header) or 'nothing'}; accepted: {', '.join(FIELDS)})."
        )
    return header


def _has_surrogates(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def jsonl_rows(path: Path, raw: bytes) -> Iterator[Row | Skipped]:
    for number, line in enumerate(raw.removeprefix(b"\xef\xbb\xbf").split(b"\n"), start=1):
        where = f"{path.name} line {number}"
        if not line.strip():
            continue
        try:
            value = json.loads(_decoded(line))
        except SkipRow as skip:
            yield Skipped(where, skip.reason, "not UTF-8")
            continue
        except ValueError as exc:
            yield Skipped(where, "broken JSON", str(exc)[:200])
            continue
        if not isinstance(value, dict):
            yield Skipped(where, "broken JSON", "the line is not a JSON object")
            continue
        yield Row(where, {k: v for k, v in value.items() if k in FIELDS})


def read_rows(path: Path) -> list[Row | Skipped]:
    """What PATH holds, as rows and early skips; refuses (ImportFailed) a
    path that is neither a folder nor a .csv, .jsonl or .ndjson file."""
    if path.is_dir():
        return list(folder_rows(path))
    if not path.is_file():
        raise ImportFailed(f"{path}: no such file or folder.")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl", ".ndjson"):
        raise ImportFailed(
            f"{path}: {suffix or 'no suffix'} is not read; give a folder of .md/.html files, "
            "a .csv file or a .jsonl file."
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFailed(f"{path}: cannot be read ({exc.strerror}).") from exc
    return list(csv_rows(path, raw) if suffix == ".csv" else jsonl_rows(path, raw))
