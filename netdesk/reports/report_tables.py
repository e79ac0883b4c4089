"""What a subscribable report is: its parameter check and its rendering
as tables (the files a scheduled mail attaches), and the small checks the
reports' parameter parsers share."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from netdesk.accounts.models import User
from netdesk.core.errors import ValidationFailed

Params = dict[str, Any]


@dataclass
class ReportTable:
    """One table of a report: its file name (without the extension), its
    heading and its rows."""

    name: str
    heading: list[str]
    rows: Sequence[Sequence[Any]]


@dataclass
class RenderedReport:
    title: str
    tables: list[ReportTable]
    # Nothing to report (no rows, or every figure zero): a subscription that
    # asks for it is skipped rather than sent.
    empty: bool
    notes: list[str] = field(default_factory=list)
    # A list as it stands when sent (the tickets at risk now) rather than
    # a period's figures: the moment it was read.
    as_of: datetime | None = None


@dataclass(frozen=True)
class SubscribableReport:
    name: str
    label: str
    # The reader and the raw parameters -> the parameters kept (checked,
    # unknown names refused); raises ValidationFailed / PermissionDenied.
    check: Callable[[User, Mapping[str, Any]], Params]
    # The reader, the kept parameters and the period [start, end).
    render: Callable[[User, Params, datetime, datetime], RenderedReport]
    # The page that shows the report, for the link in the mail.
    page: str
    # The parameters it takes, as the report page's address names them.
    param_names: tuple[str, ...] = ()
    # The page's address -> the parameters to subscribe with (default: the
    # names it takes, the period left out: the frequency decides it).
    from_page: Callable[[Mapping[str, list[str]]], Params] | None = None
    # The parameters -> the page's address showing the same (default: the
    # page with the parameters the page names alike).
    to_page: Callable[[Params], str] | None = None

    def page_link(self, params: Params) -> str:
        if self.to_page is not None:
            return self.to_page(params)
        shown = {name: value for name, value in params.items() if name != "table"}
        return reverse(self.page) + (f"?{urlencode(shown, doseq=True)}" if shown else "")

    def params_from_page(self, query: Mapping[str, list[str]]) -> Params:
        if self.from_page is not None:
            return self.from_page(query)
        kept: Params = {}
        for name in self.param_names:
            values = [value for value in query.get(name, []) if value]
            if values:
                kept[name] = values[0] if len(values) == 1 else values
        return kept


def refuse_unknown(params: Mapping[str, Any], accepted: Iterable[str]) -> None:
    allowed = sorted(accepted)
    for name in params:
        if name not in allowed:
            raise ValidationFailed(
                f"The report takes no parameter {name!r}.",
                field=f"params.{name}"[:80],
                value=str(params[name])[:80],
                accepted=allowed,
            )


def param_choice(params: Mapping[str, Any], name: str, choices: Sequence[str], default: str) -> str:
    value = params.get(name, default)
    if value is None or value == "":
        return default
    if not isinstance(value, str) or value not in choices:
        raise ValidationFailed(
            f"{name} {value!r} is not one of the choices.",
            field=f"params.{name}",
            value=str(value)[:80],
            accepted=list(choices),
        )
    return value


def tables_choice(params: Mapping[str, Any], tables: Sequence[str]) -> str:
    return param_choice(params, "table", [*tables, "all"], tables[0])


def tables_picked(table: str, tables: Sequence[str]) -> list[str]:
    return list(tables) if table == "all" else [table]


# Ids the database can hold: larger ones are no id (and would overflow a query).
MAX_ID = 2**62


def param_id(params: Mapping[str, Any], name: str, *, required: bool) -> int | None:
    """An id parameter (a number, or its digits as text)."""
    value = params.get(name)
    if value in (None, "") and not required:
        return None
    text = str(value).strip()
    if isinstance(value, bool) or not (text.isascii() and text.isdigit() and len(text) < 20):
        raise ValidationFailed(
            f"{name} is an id.",
            field=f"params.{name}",
            value=text[:80],
            accepted=f"the id of a {name.replace('_', ' ')}",
        )
    number = int(text)
    if not 1 <= number <= MAX_ID:
        raise ValidationFailed(
            f"{name} is an id.",
            field=f"params.{name}",
            value=text[:80],
            accepted=f"the id of a {name.replace('_', ' ')}",
        )
    return number
