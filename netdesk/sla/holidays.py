"""Importing holidays into a business calendar from an iCalendar file (the
format public-holiday feeds and groupware calendars export)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from icalendar import Calendar

from netdesk.core.errors import ValidationFailed
from netdesk.core.text import printable_excerpt, unstorable_problem
from netdesk.sla.models import BusinessCalendar, Holiday
from netdesk.sla.selectors import policies_changed

MAX_DAYS_PER_EVENT = 31
NAME_MAX = 120
ACCEPTED = "an .ics file (RFC 5545, UTF-8) with VEVENT entries"
# Rule parts that leave a yearly rule on DTSTART's own month and day.
PLAIN_YEARLY_PARTS = frozenset({"FREQ", "INTERVAL", "BYMONTH", "BYMONTHDAY", "WKST"})


@dataclass
class HolidayImport:
    added: list[tuple[date, str]] = field(default_factory=list)
    already_there: list[tuple[date, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (event, reason)
    changed: list[tuple[str, str]] = field(default_factory=list)  # (event, what was changed)


def _days(start: date, end: date | None) -> list[date]:
    """All-day events end the day after their last day (RFC 5545 DTEND)."""
    last = (end - timedelta(days=1)) if end and end > start else start
    return [start + timedelta(days=n) for n in range((last - start).days + 1)]


def _text(data: bytes) -> str:
    """The file as text: RFC 5545 calendars are UTF-8, and a byte that is not
    is refused (with where it is) rather than turned into a replacement sign."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ValidationFailed(
            f"The file is not UTF-8 text: byte {error.start} (line {line}) is "
            f"{data[error.start : error.start + 1]!r}; save the calendar as UTF-8.",
            field="file",
            value=f"byte {error.start}",
            accepted=ACCEPTED,
        ) from None


def _event_lines(text: str) -> list[dict[str, tuple[int, str]]]:
    """Per VEVENT, in file order: property name → (line, raw value), so a
    value the parser refuses can be shown where it is."""
    events: list[dict[str, tuple[int, str]]] = []
    open_components: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line[:1] in (" ", "\t"):
            continue  # a folded continuation of the line before
        name, _, value = line.partition(":")
        name = name.split(";", 1)[0].upper()
        if name == "BEGIN":
            open_components.append(value.strip().upper())
            if open_components[-1] == "VEVENT":
                events.append({})
        elif name == "END":
            if open_components:
                open_components.pop()
        elif open_components and open_components[-1] == "VEVENT":
            events[-1].setdefault(name, (number, value))
    return events


def _refuse_broken(event: Any, lines: dict[str, tuple[int, str]]) -> None:
    for name, problem in getattr(event, "errors", []):
        line, value = lines.get(name.upper(), (0, ""))
        where = f"line {line}: " if line else ""
        raise ValidationFailed(
            f"{where}{name} {value!r} cannot be read ({problem}); a date is written "
            "YYYYMMDD (e.g. 20271225), a time YYYYMMDDTHHMMSS.",
            field=name,
            value=value,
            accepted="YYYYMMDD or YYYYMMDDTHHMMSS[Z]",
        )


def _plain_yearly(rule: Any, start: date) -> bool:
    """True for a rule that repeats the date every year and nothing else,
    which a yearly holiday says exactly."""
    if not hasattr(rule, "keys") or set(rule.keys()) - PLAIN_YEARLY_PARTS:
        return False
    return (
        rule.get("FREQ") == ["YEARLY"]
        and rule.get("INTERVAL", [1]) == [1]
        and rule.get("BYMONTH", [start.month]) == [start.month]
        and rule.get("BYMONTHDAY", [start.day]) == [start.day]
    )


def _holiday_days(event: Any, name: str, result: HolidayImport) -> list[date] | None:
    """The days an all-day event covers, first day first; None, with the
    reason in `result.skipped`, for an event that is not a holiday."""
    start_prop = event.get("DTSTART")
    if start_prop is None:
        result.skipped.append((name, "no DTSTART"))
        return None
    start = start_prop.dt
    if isinstance(start, datetime):
        result.skipped.append((name, "a timed event, not an all-day holiday"))
        return None
    end_prop = event.get("DTEND")
    end = end_prop.dt if end_prop is not None else None
    if isinstance(end, datetime):
        end = end.date()
    days = _days(start, end)
    if len(days) > MAX_DAYS_PER_EVENT:
        result.skipped.append((name, f"spans {len(days)} days (more than {MAX_DAYS_PER_EVENT})"))
        return None
    return days


def _every_year(
    event: Any,
    lines: dict[str, tuple[int, str]],
    name: str,
    start: date,
    *,
    yearly: bool,
    result: HolidayImport,
) -> bool:
    """Whether the holiday comes back every year: asked for, or said by a
    plain yearly rule. A rule, kept or not expanded, is reported as changed."""
    rule = event.get("RRULE")
    if rule is None:
        return yearly
    written = lines.get("RRULE", (0, ""))[1]
    if _plain_yearly(rule, start) and "EXDATE" not in event:
        result.changed.append(
            (name, f"repeats every year (RRULE {written}): kept as a yearly holiday")
        )
        return True
    result.changed.append(
        (
            name,
            f"repeats by a rule not expanded (RRULE {written}): only "
            f"{start.isoformat()} added; add the other dates as events of their own",
        )
    )
    return yearly


@transaction.atomic
def holidays_import_ics(
    *, calendar: BusinessCalendar, data: bytes, yearly: bool = False
) -> HolidayImport:
    """Add each all-day event of the file as a holiday of `calendar`.
    Timed events, events without a date and names the desk cannot store
    (a NUL) are reported as skipped; a
    plain yearly rule makes a yearly holiday, any other rule adds its
    first date only; both, and names shortened, are reported as changed.
    A value that cannot be read stops the import (nothing is added)."""
    text = _text(data)
    try:
        parsed = Calendar.from_ical(text)
    except ValueError as error:
        raise ValidationFailed(
            f"The file is not an iCalendar file: {error}",
            field="file",
            value="(upload)",
            accepted=ACCEPTED,
        ) from error
    result = HolidayImport()
    existing = set(calendar.holidays.values_list("date", flat=True))
    for event, lines in zip(parsed.walk("VEVENT"), _event_lines(text), strict=False):
        _refuse_broken(event, lines)
        name = str(event.get("SUMMARY", "Holiday"))
        problem = unstorable_problem(name)
        if problem is not None:
            line = lines.get("SUMMARY", (0, ""))[0]
            result.skipped.append((printable_excerpt(name), f"line {line}: SUMMARY {problem}"))
            continue
        if len(name) > NAME_MAX:
            shortened = f"SUMMARY of {len(name)} characters shortened to {NAME_MAX}"
            name = name[:NAME_MAX]
        else:
            shortened = ""
        days = _holiday_days(event, name, result)
        if days is None:
            continue
        every_year = _every_year(event, lines, name, days[0], yearly=yearly, result=result)
        if shortened:
            result.changed.append((name, shortened))
        for day in days:
            if day in existing:
                result.already_there.append((day, name))
                continue
            Holiday.objects.create(calendar=calendar, date=day, name=name, yearly=every_year)
            existing.add(day)
            result.added.append((day, name))
    policies_changed()
    return result
