"""Importing holidays into a business calendar from an iCalendar file (the
format public-holiday feeds and groupware calendars export)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import transaction
from icalendar import Calendar

from netdesk.core.errors import ValidationFailed
from netdesk.sla.models import BusinessCalendar, Holiday
from netdesk.sla.selectors import policies_changed

MAX_DAYS_PER_EVENT = 31


@dataclass
class HolidayImport:
    added: list[tuple[date, str]] = field(default_factory=list)
    already_there: list[tuple[date, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (event, reason)


def _days(start: date, end: date | None) -> list[date]:
    """All-day events end the day after their last day (RFC 5545 DTEND)."""
    last = (end - timedelta(days=1)) if end and end > start else start
    return [start + timedelta(days=n) for n in range((last - start).days + 1)]


@transaction.atomic
def holidays_import_ics(
    *, calendar: BusinessCalendar, data: bytes, yearly: bool = False
) -> HolidayImport:
    """Add each all-day event of the file as a holiday of `calendar`.
    Timed events and events without a date are reported as skipped."""
    try:
        parsed = Calendar.from_ical(data)
    except ValueError as error:
        raise ValidationFailed(
            f"The file is not an iCalendar file: {error}",
            field="file",
            value="(upload)",
            accepted="an .ics file (RFC 5545) with VEVENT entries",
        ) from error
    result = HolidayImport()
    existing = set(calendar.holidays.values_list("date", flat=True))
    for event in parsed.walk("VEVENT"):
        name = str(event.get("SUMMARY", "Holiday"))[:120]
        start_prop = event.get("DTSTART")
        if start_prop is None:
            result.skipped.append((name, "no DTSTART"))
            continue
        start = start_prop.dt
        if isinstance(start, datetime):
            result.skipped.append((name, "a timed event, not an all-day holiday"))
            continue
        end_prop = event.get("DTEND")
        end = end_prop.dt if end_prop is not None else None
        if isinstance(end, datetime):
            end = end.date()
        days = _days(start, end)
        if len(days) > MAX_DAYS_PER_EVENT:
            result.skipped.append(
                (name, f"spans {len(days)} days (more than {MAX_DAYS_PER_EVENT})")
            )
            continue
        for day in days:
            if day in existing:
                result.already_there.append((day, name))
                continue
            Holiday.objects.create(calendar=calendar, date=day, name=name, yearly=yearly)
            existing.add(day)
            result.added.append((day, name))
    policies_changed()
    return result
