"""The network failure report: per month, every network incident that
started in it (start, detection, resolution, impact, tickets, root cause,
SLA impact) and the month's totals. A list costs four queries whatever the
number of incidents, tickets and timers.

Incidents are the network's and everyone allowed the report sees them all;
key account names and tickets follow the reader's object scope, so an
account manager sees only their own accounts among them."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from statistics import fmean
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.core.csvexport import time_heading
from netdesk.core.dates import FIRST_DAY, LAST_DAY
from netdesk.core.errors import NotFound, ValidationFailed
from netdesk.core.schemas import MAX_ID
from netdesk.customers.models import Customer
from netdesk.customers.selectors import customers_visible_to
from netdesk.noc.models import (
    DetectedBy,
    IncidentState,
    IncidentTicket,
    IncidentUpdate,
    NetworkIncident,
)
from netdesk.reports.formatting import choice_label
from netdesk.sla.models import PolicyKind, SlaTimer, TimerState
from netdesk.tickets.choices import RootCause
from netdesk.tickets.models import Ticket
from netdesk.tickets.models.ticket import reference_for
from netdesk.tickets.selectors import tickets_visible_to

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# Years a month may name: the desk's range of dates.
FIRST_YEAR, LAST_YEAR = FIRST_DAY.year, LAST_DAY.year
MONTH_ACCEPTED = f"a month as YYYY-MM, e.g. 2026-06 (years {FIRST_YEAR} to {LAST_YEAR})"
REFERENCE = re.compile(r"^NI-(\d{1,19})$", re.IGNORECASE)


@dataclass(frozen=True)
class FailureMonth:
    """A calendar month in the desk's own time zone (not the reader's), so
    everyone who asks for 2026-06 gets the same incidents."""

    label: str
    start: datetime
    end: datetime  # exclusive


def parse_month(raw: str | None, *, now: datetime | None = None) -> FailureMonth:
    """`YYYY-MM`, or the current month when none is given."""
    zone = timezone.get_default_timezone()
    if raw is None or not raw.strip():
        today = timezone.localtime(now or timezone.now(), zone)
        year, month = today.year, today.month
    else:
        found = MONTH.match(raw.strip())
        year, month = (int(found[1]), int(found[2])) if found else (0, 0)
        if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
            raise ValidationFailed(
                f"{raw[:40]!r} is not a month; give {MONTH_ACCEPTED}.",
                field="month",
                value=raw[:40],
                accepted=MONTH_ACCEPTED,
            )
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    return FailureMonth(
        label=f"{year:04d}-{month:02d}",
        start=datetime(year, month, 1, tzinfo=zone),
        end=datetime(next_year, next_month, 1, tzinfo=zone),
    )


def _minutes(start: datetime, end: datetime) -> float:
    # A detection logged a little before the first alarm's time stamp is
    # clock skew, not negative time.
    return round(max((end - start).total_seconds(), 0) / 60, 1)


def _incidents(user: User | None) -> QuerySet[NetworkIncident]:
    accounts = customers_visible_to(user) if user is not None else Customer.objects.all()
    return NetworkIncident.objects.select_related("detected_by_user").prefetch_related(
        Prefetch("affected_key_accounts", queryset=accounts.only("id", "name").order_by("name"))
    )


def _linked_tickets(incident_ids: list[int], user: User | None) -> dict[int, list[int]]:
    """Ticket ids per incident, live links only (an unlinked ticket was not
    the incident's), oldest link first; only tickets the reader may see."""
    tickets: dict[int, list[int]] = defaultdict(list)
    links = IncidentTicket.objects.filter(incident_id__in=incident_ids, unlinked_at__isnull=True)
    visible = tickets_visible_to(user) if user is not None else None
    if visible is not None and visible.query.has_filters():
        links = links.filter(ticket__in=visible.values("pk"))
    for incident_id, ticket_id in links.order_by("linked_at", "id").values_list(
        "incident_id", "ticket_id"
    ):
        tickets[incident_id].append(ticket_id)
    return tickets


def _breaches(ticket_ids: list[int]) -> dict[int, int]:
    """SLA targets breached per ticket: customer service levels only (OLAs
    are the desk's internal hand-offs), cancelled targets left out."""
    if not ticket_ids:
        return {}
    breached: dict[int, int] = defaultdict(int)
    timers = (
        SlaTimer.objects.filter(
            ticket_id__in=ticket_ids, kind=PolicyKind.SLA, breached_at__isnull=False
        )
        .exclude(state=TimerState.CANCELLED)
        .values_list("ticket_id", flat=True)
    )
    for ticket_id in timers:
        breached[ticket_id] += 1
    return breached


def _row(
    incident: NetworkIncident,
    *,
    ticket_ids: list[int],
    breaches: dict[int, int],
    now: datetime,
) -> dict[str, Any]:
    resolved = incident.state == IncidentState.RESOLVED and incident.resolved_at is not None
    ended_at = incident.resolved_at if resolved and incident.resolved_at else now
    who = incident.detected_by_user
    breached_tickets = [reference_for(t) for t in ticket_ids if breaches.get(t)]
    return {
        "reference": incident.reference,
        "title": incident.title,
        "state": incident.state,
        "started_at": incident.started_at,
        "detected_at": incident.detected_at,
        "detected_by": incident.detected_by,
        "detected_by_label": choice_label(DetectedBy, incident.detected_by),
        "state_label": choice_label(IncidentState, incident.state),
        "detected_by_user": (who.get_full_name() or who.username) if who else None,
        "time_to_detect_minutes": _minutes(incident.started_at, incident.detected_at),
        "resolved_at": incident.resolved_at if resolved else None,
        # Ongoing incidents count up to now, marked as such.
        "duration_minutes": _minutes(incident.started_at, ended_at),
        "ongoing": not resolved,
        "affected_services": incident.affected_services,
        "affected_customers": incident.affected_customers,
        "key_accounts": [c.name for c in incident.affected_key_accounts.all()],
        "tickets": [reference_for(t) for t in ticket_ids],
        "root_cause": incident.root_cause,
        "root_cause_label": choice_label(RootCause, incident.root_cause),
        "sla_breaches": sum(breaches.get(t, 0) for t in ticket_ids),
        "sla_breached_tickets": breached_tickets,
    }


def failure_rows(
    month: FailureMonth, *, user: User | None = None, now: datetime | None = None
) -> list[dict[str, Any]]:
    """The incidents that started in the month, oldest first, as `user`
    may see them (`None`: the desk itself, unscoped). An incident merged
    into a bigger failure is no row of its own: that failure's row holds its
    customers, tickets and earliest start, so it counts once."""
    now = now or timezone.now()
    incidents = list(
        _incidents(user)
        .filter(started_at__gte=month.start, started_at__lt=month.end, merged_into__isnull=True)
        .order_by("started_at", "id")
    )
    if not incidents:
        return []
    tickets = _linked_tickets([i.pk for i in incidents], user)
    breaches = _breaches(sorted({t for ids in tickets.values() for t in ids}))
    return [
        _row(i, ticket_ids=tickets.get(i.pk, []), breaches=breaches, now=now) for i in incidents
    ]


def failure_totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The month at a glance. Customers affected is the sum over failures
    (merged incidents are one): a customer hit by two failures counts twice."""
    restored = [r["duration_minutes"] for r in rows if not r["ongoing"]]
    by_detection = dict.fromkeys(DetectedBy.values, 0)
    for row in rows:
        by_detection[row["detected_by"]] = by_detection.get(row["detected_by"], 0) + 1
    return {
        "incidents": len(rows),
        "resolved": len(restored),
        "ongoing": len(rows) - len(restored),
        "outage_minutes": round(sum(r["duration_minutes"] for r in rows), 1),
        "mean_time_to_detect_minutes": round(fmean(r["time_to_detect_minutes"] for r in rows), 1)
        if rows
        else None,
        "mean_time_to_restore_minutes": round(fmean(restored), 1) if restored else None,
        "services_affected": sum(r["affected_services"] for r in rows),
        "customers_affected": sum(r["affected_customers"] for r in rows),
        "key_accounts_affected": len({name for r in rows for name in r["key_accounts"]}),
        "tickets_linked": sum(len(r["tickets"]) for r in rows),
        "sla_breaches": sum(r["sla_breaches"] for r in rows),
        "by_detection": by_detection,
    }


def failure_report(
    month: FailureMonth, *, user: User | None = None, now: datetime | None = None
) -> dict[str, Any]:
    rows = failure_rows(month, user=user, now=now)
    return {
        "month": month.label,
        "start": month.start,
        "end": month.end,
        "rows": rows,
        "totals": failure_totals(rows),
    }


def failure_incident(
    reference: str, *, user: User | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """One incident's row with its linked tickets and its timeline."""
    found = REFERENCE.match(reference.strip())
    number = int(found[1]) if found else 0
    incident = _incidents(user).filter(pk=number).first() if 0 < number <= MAX_ID else None
    if incident is None:
        raise NotFound(
            f"No network incident {reference[:40]!r}.",
            field="reference",
            value=reference[:40],
            accepted="the reference of an existing incident, e.g. NI-12",
        )
    ticket_ids = _linked_tickets([incident.pk], user).get(incident.pk, [])
    breaches = _breaches(ticket_ids)
    row = _row(incident, ticket_ids=ticket_ids, breaches=breaches, now=now or timezone.now())
    tickets = Ticket.objects.select_related("customer").in_bulk(ticket_ids)
    row["linked_tickets"] = [
        {
            "reference": reference_for(t),
            "title": tickets[t].title,
            "status": tickets[t].status,
            "customer": tickets[t].customer.name,
            "created_at": tickets[t].created_at,
            "resolved_at": tickets[t].resolved_at,
            "sla_breaches": breaches.get(t, 0),
        }
        for t in ticket_ids
        if t in tickets
    ]
    row["updates"] = [
        {
            "at": u.at,
            "state": u.state,
            "author": (u.author.get_full_name() or u.author.username) if u.author else None,
            "technical_note": u.technical_note,
            "customer_message": u.customer_message,
        }
        for u in IncidentUpdate.objects.filter(incident=incident).select_related("author")
    ]
    return row


# (key of a row, heading, is a time) of the incidents table.
INCIDENT_COLUMNS = [
    ("reference", "Incident", False),
    ("title", "Title", False),
    ("state_label", "State", False),
    ("started_at", "Started at", True),
    ("detected_at", "Detected at", True),
    ("detected_by_label", "Detected by", False),
    ("detected_by_user", "Detected by whom", False),
    ("time_to_detect_minutes", "Time to detect (min)", False),
    ("resolved_at", "Resolved at", True),
    ("duration_minutes", "Duration (min)", False),
    ("ongoing", "Ongoing", False),
    ("affected_services", "Services affected", False),
    ("affected_customers", "Customers affected", False),
    ("key_accounts", "Key accounts", False),
    ("tickets", "Tickets linked", False),
    ("root_cause_label", "Root cause", False),
    ("sla_breaches", "SLA breaches", False),
    ("sla_breached_tickets", "Tickets with a breached SLA", False),
]
TOTAL_LABELS = {
    "incidents": "Incidents",
    "resolved": "Resolved",
    "ongoing": "Ongoing",
    "outage_minutes": "Outage (min)",
    "mean_time_to_detect_minutes": "Mean time to detect (min)",
    "mean_time_to_restore_minutes": "Mean time to restore (min)",
    "services_affected": "Services affected",
    "customers_affected": "Customers affected",
    "key_accounts_affected": "Key accounts affected",
    "tickets_linked": "Tickets linked",
    "sla_breaches": "SLA breaches",
}


def incident_table(report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The month's incidents, one row each, for a CSV file."""
    heading = [time_heading(label) if is_time else label for _, label, is_time in INCIDENT_COLUMNS]
    rows = [[row[key] for key, _, _ in INCIDENT_COLUMNS] for row in report["rows"]]
    return heading, rows


def totals_table(report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The month's totals as figure/value pairs, for a CSV file."""
    totals = report["totals"]
    rows: list[list[Any]] = [["Month", report["month"]]]
    rows += [[label, totals[key]] for key, label in TOTAL_LABELS.items()]
    rows += [
        [f"Detected by {choice_label(DetectedBy, how).lower()}", count]
        for how, count in totals["by_detection"].items()
    ]
    return ["Figure", "Value"], rows


# The tables of the report, each its own CSV file; the first is the default.
FAILURE_CSV_TABLES = {"incidents": incident_table, "totals": totals_table}
