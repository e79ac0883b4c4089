"""Reading a ServiceNow incident event log (the UCI "Incident management
process enriched event log" layout): zip + csv, streamed, each incident's
rows gathered into its history; rows that cannot be read are skipped with
the reason. Pure: nothing is written here."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from netdesk.core.csvrows import MAX_ROW_CHARACTERS, CsvUnreadable, csv_rows
from netdesk.core.errors import ImportFailed
from netdesk.core.text import UNSTORABLE_REASON, printable_excerpt, unstorable_in_row
from netdesk.sla.importers import SkipLog
from netdesk.tickets.choices import Channel, Status

MISSING = "?"
TIMESTAMP_FORMAT = "%d/%m/%Y %H:%M"
REQUIRED_COLUMNS = (
    "number",
    "incident_state",
    "sys_mod_count",
    "sys_updated_at",
    "opened_at",
    "priority",
)

# ServiceNow incident_state → NetDesk status. "Awaiting" states wait on
# someone outside the desk's control, which NetDesk's policies pause on.
STATE_TO_STATUS: dict[str, str] = {
    "New": Status.NEW,
    "Active": Status.IN_PROGRESS,
    "Awaiting User Info": Status.PENDING_CUSTOMER,
    "Awaiting Vendor": Status.PENDING_THIRD_PARTY,
    "Awaiting Problem": Status.PENDING_THIRD_PARTY,
    "Awaiting Evidence": Status.PENDING_THIRD_PARTY,
    "Resolved": Status.RESOLVED,
    "Closed": Status.CLOSED,
}
# contact_type → channel; anything else (Direct opening, IVR) came in
# through a system rather than a person, so it is counted as the API.
CONTACT_TO_CHANNEL: dict[str, str] = {
    "Phone": Channel.PHONE,
    "Email": Channel.EMAIL,
    "Self service": Channel.WEB,
}
DONE = frozenset({Status.RESOLVED, Status.CLOSED})


def parse_timestamp(raw: str) -> datetime | None:
    """A day-first "dd/mm/yyyy HH:MM" stamp, read as UTC (the log has no zone)."""
    raw = raw.strip()
    if not raw or raw == MISSING:
        return None
    try:
        return datetime.strptime(raw, TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def leading_digit(raw: str) -> int | None:
    """1 from "1 - Critical"; None for "?" or anything without a digit first."""
    raw = raw.strip()
    return int(raw[0]) if raw[:1].isdigit() else None


def present(raw: str) -> str:
    """The value, or "" where the log says "?" (missing)."""
    raw = raw.strip()
    return "" if raw == MISSING else raw


@dataclass(frozen=True)
class SnEvent:
    """One row of the log that survived parsing."""

    at: datetime
    mod_count: int
    line: int
    status: str
    group: str
    reopen_count: int
    made_sla: bool
    resolved_at: datetime | None
    closed_at: datetime | None


@dataclass
class SnIncident:
    """One incident's rows, and the fields NetDesk needs from its last row."""

    number: str
    # The row that is last in time so far: the incident's fields come from it.
    last_row: dict[str, str] = field(default_factory=dict)
    newest: SnEvent | None = None
    events: list[SnEvent] = field(default_factory=list)
    opened_at: datetime | None = None
    caller: str = ""
    channel: str = Channel.API
    priority: int = 3
    impact: int = 2
    urgency: int = 2
    category: str = ""
    subcategory: str = ""

    @property
    def made_sla(self) -> bool:
        return self.events[-1].made_sla

    @property
    def last(self) -> SnEvent:
        return self.events[-1]


def _csv_member(archive: zipfile.ZipFile) -> str:
    names = [
        name
        for name in archive.namelist()
        if name.lower().endswith(".csv") and not name.startswith("__MACOSX/")
    ]
    if not names:
        raise ImportFailed(
            f"The archive holds no CSV file (found: {', '.join(archive.namelist()) or 'nothing'})."
        )
    return names[0]


def _rows(path: Path, max_row: int) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of the zipped (or plain) CSV with their row numbers, streamed
    straight out of the archive a bounded piece at a time."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive, archive.open(_csv_member(archive)) as raw:
            # utf-8-sig drops the byte-order mark some exports start with.
            yield from _read(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""), max_row)
    else:
        with path.open(encoding="utf-8-sig", newline="") as text:
            yield from _read(text, max_row)


def _read(text: TextIO, max_row: int) -> Iterator[tuple[int, dict[str, str]]]:
    rows = csv_rows(text, max_row=max_row)
    header: list[str] = []
    try:
        _, header = next(rows, (1, []))
        missing = [column for column in REQUIRED_COLUMNS if column not in header]
        if missing:
            raise ImportFailed(
                f"Column(s) {', '.join(missing)} missing; the file needs "
                f"{', '.join(REQUIRED_COLUMNS)} (ServiceNow incident event log)."
            )
        for number, values in rows:
            if values:
                yield number, dict(zip(header, values, strict=False))
    except CsvUnreadable as exc:
        raise ImportFailed(
            f"{exc.where(header)}: {exc}; a row of the log may hold at most {max_row:,} "
            "characters. Nothing was imported."
        ) from exc


def read_incidents(
    path: Path,
    *,
    skips: SkipLog,
    limit: int | None = None,
    max_row: int = MAX_ROW_CHARACTERS,
) -> list[SnIncident]:
    """Group the log's rows per incident in file order, parse each row into an
    event (reporting those that cannot be), and order each incident's events
    by sys_updated_at then sys_mod_count. With `limit`, reading stops at the
    first row of incident limit + 1 (the log keeps an incident's rows together).
    A row longer than `max_row` characters stops the import (ImportFailed)."""
    incidents: dict[str, SnIncident] = {}
    for line, row in _rows(path, max_row):
        number = (row.get("number") or "").strip()
        problem = unstorable_in_row(row)
        if problem is not None:
            reference = printable_excerpt(number) or f"line {line}"
            skips.add("event", reference, UNSTORABLE_REASON, f"line {line}: {problem}")
            continue
        if not number or number == MISSING:
            skips.add("event", f"line {line}", "missing incident number")
            continue
        incident = incidents.get(number)
        if incident is None:
            if limit is not None and len(incidents) >= limit:
                break
            incident = incidents[number] = SnIncident(number)
        event = _event(number, line, row, skips)
        if event is not None:
            if incident.newest is None or _event_key(event) >= _event_key(incident.newest):
                incident.newest, incident.last_row = event, row
            incident.events.append(event)
    return [incident for incident in incidents.values() if _finish(incident, skips)]


def _event(number: str, line: int, row: dict[str, str], skips: SkipLog) -> SnEvent | None:
    state = (row.get("incident_state") or "").strip()
    if state not in STATE_TO_STATUS:
        skips.add("event", number, "unknown incident_state", f"line {line}: {state!r}")
        return None
    at = parse_timestamp(row.get("sys_updated_at") or "")
    if at is None:
        skips.add(
            "event",
            number,
            "unparseable sys_updated_at",
            f"line {line}: {row.get('sys_updated_at')!r}",
        )
        return None
    try:
        mod_count = int(row.get("sys_mod_count") or "")
    except ValueError:
        skips.add(
            "event",
            number,
            "unparseable sys_mod_count",
            f"line {line}: {row.get('sys_mod_count')!r}",
        )
        return None
    reopen = present(row.get("reopen_count") or "")
    return SnEvent(
        at=at,
        mod_count=mod_count,
        line=line,
        status=STATE_TO_STATUS[state],
        group=present(row.get("assignment_group") or ""),
        reopen_count=int(reopen) if reopen.isdigit() else 0,
        made_sla=present(row.get("made_sla") or "").lower() == "true",
        resolved_at=parse_timestamp(row.get("resolved_at") or ""),
        closed_at=parse_timestamp(row.get("closed_at") or ""),
    )


def _finish(incident: SnIncident, skips: SkipLog) -> bool:
    """Fill the incident's fields from its last event; False (and reported)
    when it cannot become a ticket."""
    if not incident.events:
        skips.add("incident", incident.number, "no usable events")
        return False
    order = sorted(range(len(incident.events)), key=lambda i: _event_key(incident.events[i]))
    if order != sorted(order):
        # Not a skip: the events are kept, in time order.
        skips.note("events out of order (reordered)", incident.number)
    incident.events = [incident.events[i] for i in order]
    last_row, incident.last_row = incident.last_row, {}
    opened_at = parse_timestamp(last_row.get("opened_at") or "")
    if opened_at is None:
        skips.add(
            "incident",
            incident.number,
            "missing or unparseable opened_at",
            repr(last_row.get("opened_at")),
        )
        return False
    priority = leading_digit(last_row.get("priority") or "")
    if priority is None or not 1 <= priority <= 4:
        skips.add("incident", incident.number, "unknown priority", repr(last_row.get("priority")))
        return False
    incident.opened_at = opened_at
    incident.priority = priority
    # NetDesk's impact and urgency scale stops at 3 (low); a ServiceNow 4 is low too.
    incident.impact = min(leading_digit(last_row.get("impact") or "") or 2, 3)
    incident.urgency = min(leading_digit(last_row.get("urgency") or "") or 2, 3)
    incident.caller = present(last_row.get("caller_id") or "")
    incident.channel = CONTACT_TO_CHANNEL.get(
        present(last_row.get("contact_type") or ""), Channel.API
    )
    incident.category = present(last_row.get("category") or "")
    incident.subcategory = present(last_row.get("subcategory") or "")
    return True


def _event_key(event: SnEvent) -> tuple[datetime, int, int]:
    return (event.at, event.mod_count, event.line)
