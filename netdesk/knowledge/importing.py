"""`netdesk kb import PATH`: articles from a folder of Markdown or HTML files
with YAML front matter, or from a CSV or JSON Lines file. Rows are matched
to articles by `external_id`: a known one is updated (a row that changes
nothing writes no version), an unknown one created. Each row is written in
its own transaction; a row that cannot be imported is skipped with its file
or line and the reason, and the others go on."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.db import DatabaseError, transaction
from tqdm import tqdm

from netdesk.accounts.models import User
from netdesk.core.errors import ImportFailed, ServiceError
from netdesk.knowledge.importing_sources import Row, Skipped, SkipRow, read_rows
from netdesk.knowledge.models import Article, ArticleState
from netdesk.knowledge.services.articles import (
    article_create,
    article_state_set,
    article_update,
)
from netdesk.tickets.models import Category

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
        raise SkipRow("bad review date", f"{value!r} is not YYYY-MM-DD") from exc


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
            raise SkipRow("unknown category", f"{name!r} is not a ticket category")
        if len(found) > 1:
            raise SkipRow("ambiguous category", f"{name!r}: write it as ticket_type/name")
        ids.append(found[0])
    return ids


def _owner(value: Any) -> User | None:
    username = _text(value)
    if not username:
        return None
    owner = User.objects.filter(username=username).first()
    if owner is None:
        raise SkipRow("unknown owner", f"no user {username!r}")
    return owner


def _checked(values: dict[str, Any]) -> dict[str, Any]:
    """The row's fields in the services' terms; only the fields it gives
    (an absent column leaves an existing article's field as it is)."""
    title, body = _text(values.get("title")), _text(values.get("body"))
    if not title:
        raise SkipRow("missing title")
    if not body:
        raise SkipRow("missing body")
    fields: dict[str, Any] = {"title": title, "body": body}
    for name in ("audience", "state"):
        if _text(values.get(name)):
            fields[name] = _text(values[name]).lower()
    if _text(values.get("language")):
        # As written: "pt-BR" stays "pt-BR".
        fields["language"] = _text(values["language"])
    external_id = _text(values.get("external_id"))
    if len(external_id) > EXTERNAL_ID_MAX:
        raise SkipRow("external_id too long", f"{len(external_id)} characters, at most 200")
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
        raise SkipRow("unknown state", f"{fields['state']!r}; accepted: {', '.join(ArticleState)}")
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
                raise SkipRow(
                    "duplicate external_id", f"{external_id!r} first at {seen[external_id]}"
                )
            if external_id:
                seen[external_id] = row.where
            outcome = _write(fields, options, note)
        except SkipRow as skip:
            result.skipped.append(Skipped(row.where, skip.reason, skip.detail))
            continue
        except ServiceError as exc:
            result.skipped.append(_skip_of(row.where, exc))
            continue
        except DatabaseError as exc:
            # The row's own transaction is rolled back; the next rows go on.
            detail = str(exc).replace("\n", " ")[:200]
            result.skipped.append(Skipped(row.where, "refused by the database", detail))
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
