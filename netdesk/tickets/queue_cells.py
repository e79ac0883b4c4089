"""The queue table's cells as HTML, built in Python.

The queue is the busiest page of the desk and is polled every 15 seconds by
every agent. In the template, each of its 50 lines walked an if/elif chain
per column and included the Due cell: about 5,000 tag evaluations a page,
most of the page's time. Here each cell is one f-string whose every value
goes through `_text` (escaped as the template's autoescape would), so the
template only joins them. `format_html` did the same with a third of the
page's time spent in its per-value checks; the markup is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache
from html import escape
from typing import Any, cast

from django.utils.safestring import mark_safe
from django.utils.timesince import TIME_STRINGS
from django.utils.timezone import localtime
from django.utils.translation import get_language, override


def _text(value: object) -> str:
    """A value as HTML text: escaped, as Django's `escape` does."""
    return escape(str(value), quote=True)


@lru_cache(maxsize=4096)
def _unit_text(language: str | None, unit: str, count: int) -> str:
    with override(language):
        return str(TIME_STRINGS[unit] % {"num": count})


class _Unit:
    """One unit of `timesince` ("3 hours"), its translated text kept per
    language and count: half of an age's cost was looking up the same
    plural forms again for each of the page's fifty lines."""

    __slots__ = ("language", "unit")

    def __init__(self, language: str | None, unit: str) -> None:
        self.language, self.unit = language, unit

    def __mod__(self, values: Mapping[str, int]) -> str:
        return _unit_text(self.language, self.unit, values["num"])


def age_strings() -> dict[str, str]:
    """`time_strings` for Django's `timesince`, in the active language: the
    same words, each looked up once."""
    language = get_language()
    # Typed as str by the stubs; timesince only applies `%` to them, as to
    # its own lazy strings.
    return cast("dict[str, str]", {unit: _Unit(language, unit) for unit in TIME_STRINGS})


def _minute(moment: datetime) -> str:
    """Desk time to the minute, as the template filter `date:"Y-m-d H:i"`."""
    return localtime(moment).strftime("%Y-%m-%d %H:%M")


def due_td(due: dict[str, Any]) -> str:
    """The Due cell (as tickets/_due_cell.html renders it): colour by class,
    the state in an icon and words, the times countdown.js ticks from."""
    state, label = _text(due["state"]), _text(due["label"])
    if due["due_iso"]:
        attributes = (
            f' data-due="{_text(due["due_iso"])}" data-warn="{_text(due["warn_iso"])}"'
            f' data-breached="{"1" if due["breached"] else ""}"'
            f' title="{label}: due {_minute(due["due_at"])}"'
        )
    else:
        attributes = f' title="{label}"'
    return (
        f'<td class="due sla-{state}" data-state="{state}"{attributes}>'
        f'<span class="sla-icon" aria-hidden="true">{_text(due["icon"])}</span> '
        f'<span class="sr-only sla-label">{label}:</span> '
        f'<span class="due-text">{_text(due["text"])}</span></td>'
    )


def _plain(key: str) -> Callable[[dict[str, Any]], str]:
    return lambda line: f"<td>{_text(line[key])}</td>"


CELLS: dict[str, Callable[[dict[str, Any]], str]] = {
    "ref": lambda line: f'<td><a href="{_text(line["url"])}">{_text(line["ref"])}</a></td>',
    "prio": lambda line: (
        f'<td><span class="badge prio-{_text(line["priority"])}" '
        f'title="{_text(line["priority_label"])}">P{_text(line["priority"])}</span></td>'
    ),
    "title": _plain("title"),
    "customer": lambda line: (
        f'<td><a href="{_text(line["customer_url"])}">{_text(line["customer_name"])}</a></td>'
    ),
    "status": lambda line: (
        f'<td><span class="status status-{_text(line["status"])}">'
        f"{_text(line['status_label'])}</span></td>"
    ),
    "group": _plain("group_name"),
    "assignee": _plain("assignee"),
    "age": lambda line: f'<td title="{_minute(line["created_at"])}">{_text(line["age"])}</td>',
    "due": lambda line: due_td(line["due"]),
    "channel": _plain("channel"),
    "category": _plain("category"),
}


def with_cells(lines: list[dict[str, Any]], columns: list[str]) -> list[dict[str, Any]]:
    """Each line gets `cells`: its HTML cells in the order of `columns`
    (unknown column names are left out, as the template left them), and
    `row`: the whole table row, so the template renders one value a line
    instead of a loop of them."""
    chosen = [CELLS[column] for column in columns if column in CELLS]
    for line in lines:
        cells = [cell(line) for cell in chosen]
        ref = _text(line["ref"])
        line["cells"] = cells
        # Every value in it went through _text above.
        line["row"] = mark_safe(  # noqa: S308
            f'<tr class="prio-{_text(line.get("priority", ""))} '
            f'sla-line-{_text((line.get("due") or {}).get("state", ""))}">'
            f'<td><input type="checkbox" name="ref" value="{ref}" form="bulk-form" '
            f'aria-label="Select {ref}"></td>{"".join(cells)}</tr>'
        )
    return lines
