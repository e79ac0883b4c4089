"""`netdesk kb import PATH`: articles from a folder of Markdown or HTML files
with YAML front matter, or from a CSV or JSON Lines file. Rows are matched
to articles by `external_id`: a known one is updated (a row that changes
nothing writes no version), an unknown one created. Each row is written in
its own transaction; a row that cannot be imported is skipped with its file
or line and the reason, and the others go on."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from frontmatter.default_handlers import YAMLHandler
from tqdm import tqdm

from netdesk.accounts.models import User
from netdesk.core.csvexport import FORMULA_LEADS
from netdesk.core.errors import ImportFailed, ServiceError
from netdesk.knowledge.importing_html import html_markdown
from netdesk.knowledge.models import Article, ArticleState
from netdesk.knowledge.services.articles import (
    article_create,
    article_state_set,
    article_update,
)
from netdesk.tickets.models import Category

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
EXTERNAL_ID_MAX = 200
# An article exported without an external id carries its reference instead.
_REFERENCE = re.compile(r"^KB-(\d{5,})$")
# A service's refusal, by the field it names, as the reason a row is skipped.
_REASONS = {
    "title": "title too long",
    "audience": "unknown audience",
    "language": "bad language",
    "state": "unknown state",
    "technologies": "unknown access technology",
    "tags": "bad tag",
    "products": "bad product",
    "review_on": "bad review date",
    "external_id": "external_id taken",
}


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


@dataclass(frozen=True)
class ImportOptions:
    # For rows that name no state or audience; None: draft and internal for
    # new articles, and an existing article keeps its own.
    state: str | None = None
    audience: str | None = None
    dry_run: bool = False
    progress: bool = False


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged

    def summary(self) -> str:
        return (
            f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, "
            f"skipped {len(self.skipped)}"
        )


class _Skip(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


# Reading ---------------------------------------------------------------


def _decoded(raw: bytes) -> str:
    """UTF-8 (with or without a byte-order mark); a byte that is not UTF-8
    raises _Skip naming where it is."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _Skip("undecodable bytes", f"not UTF-8 at line {line}") from exc


def _front_matter(text: str) -> tuple[dict[str, Any], str]:
    handler = YAMLHandler()
    if not handler.detect(text):
        return {}, text
    try:
        head, body = handler.split(text)
        values = yaml.safe_load(head)
    except ValueError as exc:
        raise _Skip("broken YAML", "the front matter has no closing ---") from exc
    except yaml.YAMLError as exc:
        raise _Skip("broken YAML", str(exc).replace("\n", " ")[:200]) from exc
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise _Skip("broken YAML", "the front matter is not a list of key: value lines")
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
        except _Skip as skip:
            yield Skipped(relative, skip.reason, skip.detail)
        except OSError as exc:
            yield Skipped(relative, "unreadable file", exc.strerror or str(exc))


def _unquoted(value: str) -> str:
    """A cell the desk's own CSV export quoted against formulas ('=…) reads back as it was."""
    if value.startswith("'") and value[1:2] and value[1:].startswith(FORMULA_LEADS):
        return value[1:]
    return value


def csv_rows(path: Path, raw: bytes) -> Iterator[Row | Skipped]:
    # Undecodable bytes are kept apart (surrogates) so only their row is skipped.
    text = raw.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [name for name in ("title", "body") if name not in header]
    if missing:
        raise ImportFailed(
            f"{path.name}: the first line names the columns; {', '.join(missing)} is missing "
            f"(found: {', '.join(header) or 'nothing'}; accepted: {', '.join(FIELDS)})."
        )
    line = reader.line_num
    for cells in reader:
        where = f"{path.name} line {line + 1}"
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        values = {
            name: _unquoted(cell)
            for name, cell in zip(header, cells, strict=False)
            if name in FIELDS
        }
        bad = [name for name, value in values.items() if _has_surrogates(value)]
        if bad:
            yield Skipped(where, "undecodable bytes", f"not UTF-8 in column {bad[0]}")
            continue
        yield Row(where, values)


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
        except _Skip as skip:
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


# Checking --------------------------------------------------------------


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _listed(value: Any, *, commas: bool) -> list[str]:
    """A list as JSON or YAML gives it, or a cell "a; b" (tags and
    technologies also "a, b")."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [_text(v) for v in value if _text(v)]
    pattern = r"[;,]" if commas else r";"
    return [part.strip() for part in re.split(pattern, str(value)) if part.strip()]


def _review_on(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise _Skip("bad review date", f"{value!r} is not YYYY-MM-DD") from exc


def _category_ids(names: list[str]) -> list[int]:
    ids = []
    for name in names:
        found = list(Category.objects.filter(name__iexact=name).values_list("pk", flat=True))
        if not found and "/" in name:
            # "fault/No internet": a name several ticket types share, as the export writes it.
            ticket_type, _, plain = name.partition("/")
            found = list(
                Category.objects.filter(
                    ticket_type=ticket_type.strip(), name__iexact=plain.strip()
                ).values_list("pk", flat=True)
            )
        if not found:
            raise _Skip("unknown category", f"{name!r} is not a ticket category")
        if len(found) > 1:
            raise _Skip("ambiguous category", f"{name!r}: write it as ticket_type/name")
        ids.append(found[0])
    return ids


def _owner(value: Any) -> User | None:
    username = _text(value)
    if not username:
        return None
    owner = User.objects.filter(username=username).first()
    if owner is None:
        raise _Skip("unknown owner", f"no user {username!r}")
    return owner


def _checked(values: dict[str, Any]) -> dict[str, Any]:
    """The row's fields in the services' terms; only the fields it gives
    (an absent column leaves an existing article's field as it is)."""
    title, body = _text(values.get("title")), _text(values.get("body"))
    if not title:
        raise _Skip("missing title")
    if not body:
        raise _Skip("missing body")
    fields: dict[str, Any] = {"title": title, "body": body}
    for name in ("audience", "language", "state"):
        if _text(values.get(name)):
            fields[name] = _text(values[name]).lower()
    external_id = _text(values.get("external_id"))
    if len(external_id) > EXTERNAL_ID_MAX:
        raise _Skip("external_id too long", f"{len(external_id)} characters, at most 200")
    fields["external_id"] = external_id
    if "tags" in values:
        fields["tags"] = _listed(values["tags"], commas=True)
    if "technologies" in values:
        fields["technologies"] = _listed(values["technologies"], commas=True)
    if "products" in values:
        fields["products"] = _listed(values["products"], commas=False)
    if "categories" in values:
        fields["category_ids"] = _category_ids(_listed(values["categories"], commas=False))
    if "owner" in values:
        fields["owner"] = _owner(values["owner"])
    if "review_on" in values:
        fields["review_on"] = _review_on(values["review_on"])
    if fields.get("state", ArticleState.DRAFT) not in ArticleState.values:
        raise _Skip("unknown state", f"{fields['state']!r}; accepted: {', '.join(ArticleState)}")
    return fields


# Writing ---------------------------------------------------------------


def _existing(external_id: str) -> Article | None:
    if not external_id:
        return None
    article = Article.objects.filter(external_id=external_id).first()
    match = _REFERENCE.match(external_id)
    if article is None and match:
        # Exported without an external id: the row is that article, edited.
        article = Article.objects.filter(pk=int(match.group(1)), external_id="").first()
    return article


def _state_move(article: Article, state: str, note: str) -> None:
    """An imported state is reached even where no direct move exists
    (published → review goes by draft)."""
    if article.state == state:
        return
    try:
        article_state_set(actor=None, article_id=article.pk, state=state, note=note)
    except ServiceError:
        article_state_set(actor=None, article_id=article.pk, state=ArticleState.DRAFT, note=note)
        article_state_set(actor=None, article_id=article.pk, state=state, note=note)


def _write(fields: dict[str, Any], options: ImportOptions, note: str) -> str:
    """One row in its own transaction: "created", "updated" or "unchanged"."""
    state = fields.pop("state", options.state)
    audience = fields.pop("audience", options.audience)
    with transaction.atomic():
        article = _existing(fields["external_id"])
        if article is None:
            article = article_create(
                actor=None,
                state=state or ArticleState.DRAFT,
                audience=audience or "internal",
                note=note,
                **fields,
            )
            return "created"
        before = (article.version, article.state)
        # Matched by its reference, the article keeps having no external id.
        changes = {k: v for k, v in fields.items() if k != "external_id"}
        if audience:
            changes["audience"] = audience
        article = article_update(actor=None, article_id=article.pk, note=note, **changes)
        if state:
            _state_move(article, state, note)
            article.refresh_from_db(fields=["version", "state"])
        return "unchanged" if (article.version, article.state) == before else "updated"


def _skip_of(where: str, exc: ServiceError) -> Skipped:
    reason = _REASONS.get(exc.field or "", f"refused ({exc.field or 'article'})")
    accepted = exc.accepted
    if isinstance(accepted, list):
        accepted = ", ".join(str(a) for a in accepted)
    detail = f"{exc.message} {exc.value!r}" + (f"; accepted: {accepted}" if accepted else "")
    return Skipped(where, reason, detail)


def import_rows(
    rows: Iterable[Row | Skipped],
    options: ImportOptions,
    *,
    note: str,
    result: ImportResult,
    tick: Callable[[], Any],
) -> None:
    seen: dict[str, str] = {}
    for row in rows:
        tick()
        if isinstance(row, Skipped):
            result.skipped.append(row)
            continue
        try:
            fields = _checked(row.values)
            external_id = fields["external_id"]
            if external_id in seen:
                raise _Skip(
                    "duplicate external_id", f"{external_id!r} first at {seen[external_id]}"
                )
            if external_id:
                seen[external_id] = row.where
            outcome = _write(fields, options, note)
        except _Skip as skip:
            result.skipped.append(Skipped(row.where, skip.reason, skip.detail))
            continue
        except ServiceError as exc:
            result.skipped.append(_skip_of(row.where, exc))
            continue
        setattr(result, outcome, getattr(result, outcome) + 1)


def import_articles(path: Path, options: ImportOptions) -> ImportResult:
    """Import PATH (see the module's docstring). A dry run does all the
    work in one transaction and rolls it back, so its counts are a real run's."""
    for name, value, accepted in (
        ("--state", options.state, ArticleState.values),
        ("--audience", options.audience, ["internal", "public"]),
    ):
        if value is not None and value not in accepted:
            raise ImportFailed(f"{name} {value!r}: give one of {', '.join(accepted)}.")
    rows = read_rows(path)
    result = ImportResult()
    note = f"imported from {path.name}"
    with tqdm(
        total=len(rows),
        desc="articles",
        unit=" rows",
        file=sys.stderr,
        disable=not options.progress,
        mininterval=0.5,
    ) as bar:
        if not options.dry_run:
            import_rows(rows, options, note=note, result=result, tick=bar.update)
            return result
        with transaction.atomic():
            import_rows(rows, options, note=note, result=result, tick=bar.update)
            transaction.set_rollback(True)
    return result
