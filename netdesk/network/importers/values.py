"""Checking single values read from an inventory source. Each check either
returns the value as stored or raises RowProblem with a reason (counted in
the report) and a detail naming the field, the value and what is accepted."""

from __future__ import annotations

import ipaddress
import math
from datetime import date

from netdesk.core.errors import ValidationFailed
from netdesk.network.models import kind_accepted, kind_slug


class RowProblem(Exception):
    """This row cannot be imported; the import goes on with the next."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def text(raw: str | None, *, field: str, max_length: int, required: bool = False) -> str:
    value = (raw or "").strip()
    if required and not value:
        raise RowProblem(f"{field} missing", f"{field} is empty; it is required")
    if len(value) > max_length:
        raise RowProblem(
            f"{field} too long",
            f"{field} {value[:40]!r}… has {len(value)} characters; at most {max_length}",
        )
    return value


def kind(raw: str | None, *, field: str = "kind") -> str:
    try:
        return kind_slug(raw or "", field=field)
    except ValidationFailed:
        raise RowProblem(
            f"{field} not accepted", f"{field} {raw!r}; accepted: {kind_accepted(field)}"
        ) from None


def coordinate(raw: str | float | None, *, field: str) -> float | None:
    """Latitude (−90…90) or longitude (−180…180); empty is None."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    limit = 90.0 if field == "latitude" else 180.0
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise RowProblem(
            f"{field} not accepted",
            f"{field} {raw!r}; accepted: decimal degrees from {-limit:g} to {limit:g}",
        )
    return value


def ip_address(raw: str | None, *, field: str = "management_ip") -> str | None:
    """An IPv4 or IPv6 address; a prefix length (10.0.0.1/24) is dropped."""
    value = (raw or "").strip()
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value.split("/", 1)[0]))
    except ValueError:
        raise RowProblem(
            f"{field} not accepted",
            f"{field} {raw!r}; accepted: an IPv4 or IPv6 address, e.g. 10.0.0.1 or 2001:db8::1",
        ) from None


def whole_number(raw: str | None, *, field: str) -> int | None:
    value = (raw or "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 15:
        raise RowProblem(
            f"{field} not accepted", f"{field} {raw!r}; accepted: a whole number, 0 or more"
        )
    return int(value)


class Choice:
    """A value of a choice list, given as its value or its label, any case.
    Built once per import: a million rows look values up in a dict."""

    def __init__(self, *, field: str, choices: list[tuple[str, str]], default: str) -> None:
        self.field = field
        self.default = default
        self.accepted = ", ".join(stored for stored, _ in choices)
        self.lookup = {stored.lower(): stored for stored, _ in choices}
        for stored, label in choices:
            self.lookup.setdefault(str(label).lower(), stored)

    def __call__(self, raw: str | None) -> str:
        if not raw:
            return self.default
        found = self.lookup.get(raw) or self.lookup.get(raw.strip().lower())
        if found is not None:
            return found
        if not raw.strip():
            return self.default
        raise RowProblem(
            f"{self.field} not accepted", f"{self.field} {raw!r}; accepted: {self.accepted}"
        )


def iso_date(raw: str | None, *, field: str) -> date | None:
    """ISO dates only (2026-03-01): day-first and month-first look alike."""
    value = (raw or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RowProblem(
            f"{field} not accepted", f"{field} {raw!r}; accepted: a date as YYYY-MM-DD"
        ) from None
