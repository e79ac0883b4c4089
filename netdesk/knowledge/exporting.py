"""`netdesk kb export PATH`: the articles as `netdesk kb import` reads them
back — a folder of Markdown files with YAML front matter, one JSON Lines
file, or one CSV file. Every article carries an external id (its own, or
its reference "KB-00012" when it has none), so importing the export again
updates the same articles instead of adding copies."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

import yaml
from django.utils.text import slugify

from netdesk.core.csvexport import CsvWriter
from netdesk.core.errors import ImportFailed
from netdesk.knowledge.importing_sources import FIELDS
from netdesk.knowledge.models import Article
from netdesk.tickets.models import Category

FORMATS = ("md", "jsonl", "csv")
# Articles read from the database at a time (bodies may be long).
CHUNK = 500


@dataclass(frozen=True)
class ExportOptions:
    format: str
    states: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()


def format_for(path: Path, given: str | None) -> str:
    """The format asked for, else the one PATH's suffix names (a folder: md)."""
    if given:
        return given
    return {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}.get(path.suffix.lower(), "md")


def _category_names() -> dict[int, str]:
    """Category names as the import finds them again: the plain name, or
    "ticket_type/name" where several ticket types share the name."""
    categories = list(Category.objects.values_list("pk", "ticket_type", "name"))
    shared = Counter(name.lower() for _, _, name in categories)
    return {
        pk: (f"{ticket_type}/{name}" if shared[name.lower()] > 1 else name)
        for pk, ticket_type, name in categories
    }


def article_rows(options: ExportOptions) -> Iterator[tuple[Article, dict[str, Any]]]:
    """Each article with its fields in the import's terms, oldest first,
    read CHUNK at a time with their tags and categories."""
    articles = Article.objects.select_related("owner").prefetch_related("tags", "categories")
    if options.states:
        articles = articles.filter(state__in=options.states)
    if options.audiences:
        articles = articles.filter(audience__in=options.audiences)
    names = _category_names()
    for article in articles.order_by("pk").iterator(chunk_size=CHUNK):
        row: dict[str, Any] = {
            "title": article.title,
            "body": article.body,
            "external_id": article.external_id or article.reference,
            "audience": article.audience,
            "language": article.language,
            "state": article.state,
            "tags": sorted(tag.name for tag in article.tags.all()),
            "products": list(article.products),
            "technologies": list(article.technologies),
            "categories": sorted(names[c.pk] for c in article.categories.all()),
            "owner": article.owner.username if article.owner else "",
            "review_on": article.review_on.isoformat() if article.review_on else "",
        }
        yield article, row


def _markdown_file(row: dict[str, Any]) -> str:
    head = {name: value for name, value in row.items() if name != "body"}
    if head["review_on"]:
        # A YAML date (review_on: 2027-06-30), as people write it by hand.
        head["review_on"] = date.fromisoformat(head["review_on"])
    front = yaml.safe_dump(head, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{front}---\n\n{row['body']}\n"


def _file_name(article: Article) -> str:
    # The reference keeps names apart; the title's words say what is inside.
    return f"{article.reference}-{slugify(article.title)[:60] or 'article'}.md"


def export_markdown(folder: Path, rows: Iterable[tuple[Article, dict[str, Any]]]) -> int:
    if str(folder) == "-":
        raise ImportFailed("-: Markdown goes to a folder; give its path (or --format jsonl).")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ImportFailed(f"{folder}: give a new or empty folder for the Markdown files.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImportFailed(f"{folder}: cannot be made ({exc.strerror}).") from exc
    count = 0
    for article, row in rows:
        (folder / _file_name(article)).write_text(_markdown_file(row), encoding="utf-8")
        count += 1
    return count


def _write_lines(out: IO[str], format: str, rows: Iterable[tuple[Article, dict[str, Any]]]) -> int:
    count = 0
    writer = CsvWriter(out)
    if format == "csv":
        writer.writerow(FIELDS)
    for _, row in rows:
        if format == "csv":
            # Lists as "a; b", which the import splits again.
            writer.writerow([row[name] for name in FIELDS])
        else:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count


def export_articles(path: Path, options: ExportOptions, *, stdout: IO[str] | None = None) -> int:
    """Write the articles to PATH ("-": `stdout`, for jsonl and csv);
    returns how many."""
    if options.format not in FORMATS:
        raise ImportFailed(f"--format {options.format!r}: give one of {', '.join(FORMATS)}.")
    rows = article_rows(options)
    if options.format == "md":
        return export_markdown(path, rows)
    if str(path) == "-":
        return _write_lines(stdout or sys.stdout, options.format, rows)
    try:
        with path.open("w", encoding="utf-8", newline="") as out:
            return _write_lines(out, options.format, rows)
    except OSError as exc:
        raise ImportFailed(f"{path}: cannot be written ({exc.strerror}).") from exc
