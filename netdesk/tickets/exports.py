"""A ticket list as a table for CSV and XLSX files: the queue's filters and
the reader's visibility, every row read through one database cursor in
chunks, so a million tickets take the memory of one chunk.

`ticket_export_table` is the one definition of the exported columns; the
export pages, the API and scheduled reports all write it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from django.http import HttpResponseBase, QueryDict
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.core.csvexport import TIME_FORMAT, csv_response, time_heading
from netdesk.core.errors import ServiceError, ValidationFailed
from netdesk.core.ratelimit import rate_count_bump
from netdesk.core.xlsxexport import XLSX_ILLEGAL_CHARACTERS, XLSX_MAX_ROWS, xlsx_response
from netdesk.tickets.choices import Channel, Status, TicketType
from netdesk.tickets.models.ticket import reference_for
from netdesk.tickets.selectors import (
    TicketFilter,
    sla_state_of,
    ticket_filter_from_query,
    tickets_filtered,
)

# Rows fetched from the database at a time: large enough that the round
# trips do not count, small enough that a chunk's memory does not either.
EXPORT_CHUNK = 2000

# (heading, column read from the database); a column None is derived.
COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("Reference", "pk"),
    ("Type", "ticket_type"),
    ("Channel", "channel"),
    ("Status", "status"),
    ("Priority", "priority"),
    ("Impact", "impact"),
    ("Urgency", "urgency"),
    ("Title", "title"),
    ("Customer account", "customer__account_number"),
    ("Customer", "customer__name"),
    ("Segment", "customer__segment"),
    ("Service", "service__service_id"),
    ("Category", "category__name"),
    ("Group", "group__name"),
    ("Assignee", "assignee__username"),
    ("Escalation level", "hierarchical_level"),
    ("Functional escalations", "functional_escalations"),
    ("First contact resolved", "first_contact_resolved"),
    ("Resolution", "resolution_code"),
    ("Root cause", "root_cause"),
    ("SLA state", None),
    ("Next due", "sla_next_due_at"),
    ("Created", "created_at"),
    ("First response", "first_response_at"),
    ("Resolved", "resolved_at"),
    ("Closed", "closed_at"),
    ("Updated", "updated_at"),
)
TIME_COLUMNS = {
    "sla_next_due_at",
    "created_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "updated_at",
}
# Read beside the columns: what the SLA state is judged from.
SLA_INPUTS = ("sla_warn_at", "sla_paused", "sla_breached")
READ = tuple(column for _, column in COLUMNS if column is not None) + SLA_INPUTS
LABELS: dict[str, dict[str, str]] = {
    "ticket_type": dict(TicketType.choices),
    "channel": dict(Channel.choices),
    "status": dict(Status.choices),
}


def _heading() -> list[str]:
    return [time_heading(label) if column in TIME_COLUMNS else label for label, column in COLUMNS]


def _rows(values: Iterator[tuple[Any, ...]], now: datetime) -> Iterator[list[Any]]:
    """Each database row as the file's row: references and labels as people
    read them, times in the desk's zone, the SLA state judged at `now`."""
    position = {column: index for index, column in enumerate(READ)}
    due, warn, paused, breached = (position[name] for name in ("sla_next_due_at", *SLA_INPUTS))
    labelled = [(position[column], labels) for column, labels in LABELS.items()]
    times = [position[column] for column in TIME_COLUMNS]
    width = len(COLUMNS) - 1
    state_at = next(index for index, (_, column) in enumerate(COLUMNS) if column is None)
    # The zone read once: looking it up per cell costs more than the rest of the row.
    zone = timezone.get_current_timezone()
    for value in values:
        row = list(value[:width])
        row[0] = reference_for(row[0])
        for index, labels in labelled:
            row[index] = labels.get(row[index], row[index])
        for index in times:
            if row[index] is not None:
                row[index] = row[index].astimezone(zone).strftime(TIME_FORMAT)
        state = sla_state_of(
            next_due_at=value[due],
            warn_at=value[warn],
            paused=value[paused],
            breached=value[breached],
            now=now,
        )
        row.insert(state_at, state)
        yield row


def ticket_export_table(
    *, user: User, filters: TicketFilter
) -> tuple[list[str], Iterator[list[Any]]]:
    """The heading and the rows (a generator: nothing is read before the
    first row is asked for) of the tickets `user` may see under `filters`,
    in the filter's order."""
    now = filters.now or timezone.now()
    values = (
        tickets_filtered(user=user, filters=replace(filters, now=now))
        .values_list(*READ)
        .iterator(chunk_size=EXPORT_CHUNK)
    )
    return _heading(), _rows(values, now)


# Exports read the whole list: a person may start this many a minute.
EXPORTS_PER_MINUTE = 6
FORMATS = ("csv", "xlsx")


class TooManyExports(ServiceError):
    status = 429
    kind = "too-many-requests"
    title = "Too many exports"


def _count_export(user: User) -> None:
    minute = int(timezone.now().timestamp() // 60)
    if rate_count_bump(key=f"ticket-export:{user.pk}", period_start=minute) > EXPORTS_PER_MINUTE:
        raise TooManyExports(
            f"At most {EXPORTS_PER_MINUTE} exports a minute; wait a minute and export again.",
            field="export",
            value=EXPORTS_PER_MINUTE + 1,
            accepted=f"up to {EXPORTS_PER_MINUTE} a minute",
        )


def _storable_in_xlsx(rows: Iterator[list[Any]]) -> Iterator[list[Any]]:
    """Rows without the control characters an XLSX cell cannot hold (a
    title from a mail may carry them); CSV keeps them as they are."""
    for row in rows:
        yield [
            XLSX_ILLEGAL_CHARACTERS.sub("", cell) if isinstance(cell, str) else cell for cell in row
        ]


def ticket_export_response(
    *, user: User, params: QueryDict | Mapping[str, Any], file_format: str
) -> HttpResponseBase:
    """The list the queue's parameters select, as a CSV file streamed row by
    row or an XLSX file built in a temporary file. A bad parameter raises
    ValidationFailed naming it, before anything is read."""
    require(user, Action.TICKET_EXPORT)
    if file_format not in FORMATS:
        raise ValidationFailed(
            f"format={file_format!r} is not accepted.",
            field="format",
            value=file_format,
            accepted=list(FORMATS),
        )
    filters = ticket_filter_from_query(user=user, params=params)
    _count_export(user)
    heading, rows = ticket_export_table(user=user, filters=filters)
    name = f"tickets-{timezone.localtime().strftime('%Y%m%d-%H%M')}.{file_format}"
    if file_format == "csv":
        return csv_response(name, heading, rows)
    try:
        return xlsx_response(name, heading, _storable_in_xlsx(rows), title="Tickets")
    except ValueError as error:
        if not str(error).startswith("An XLSX worksheet holds"):
            raise
        raise ValidationFailed(
            str(error),
            field="format",
            value="xlsx",
            accepted=f"csv, or a list of at most {XLSX_MAX_ROWS - 1} tickets",
        ) from error
