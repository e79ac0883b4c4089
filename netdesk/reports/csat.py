"""The satisfaction report: survey figures (`netdesk.surveys.stats`) for a
period, overall and per group, agent, category or customer segment, beside
the held-resolution rate of the same period and scope, and the latest
comments customers wrote.

A survey belongs to the period its ticket was resolved in. An account
manager's report covers only their accounts' surveys and tickets.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Case, CharField, F, QuerySet, Value, When
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require, sees_all_customers
from netdesk.core.errors import ValidationFailed
from netdesk.customers.models import Segment, key_account_customers
from netdesk.customers.selectors import customers_visible_to
from netdesk.reports.selectors import checked_period
from netdesk.surveys.models import Survey, SurveyState
from netdesk.surveys.stats import GROUPINGS, csat_figures
from netdesk.tickets import kpis
from netdesk.tickets.models import Ticket
from netdesk.tickets.models.ticket import reference_for

BY_LABELS = {
    "group": "Group",
    "agent": "Agent",
    "category": "Category",
    "segment": "Segment",
}
# What each grouping means for the held resolution's tickets: the resolver
# for an agent; for a segment the customer's as the survey keeps it (a site
# of a key account is served as one).
HELD_KEYS: dict[str, Any] = {
    "group": F("group"),
    "agent": F(kpis.HELD_AGENT),
    "category": F("category"),
    "segment": Case(
        When(key_account_customers("customer__"), then=Value(Segment.KEY_ACCOUNT.value)),
        default=F("customer__segment"),
        output_field=CharField(),
    ),
}
LATEST_COMMENTS = 20


@dataclass(frozen=True)
class CsatQuery:
    user: User
    start: datetime
    end: datetime
    by: str | None


def csat_query(
    *, user: User, start: datetime | None, end: datetime | None, by: str | None
) -> CsatQuery:
    """Check the reader, the period and the grouping."""
    require(user, Action.CSAT_VIEW)
    start, end = checked_period(start, end)
    if by is not None and by not in GROUPINGS:
        raise ValidationFailed(
            f"The report cannot be grouped by {by[:40]!r}.",
            field="by",
            value=by[:40],
            accepted=list(GROUPINGS),
        )
    return CsatQuery(user=user, start=start, end=end, by=by or None)


def _in_scope(rows: QuerySet[Any], user: User) -> QuerySet[Any]:
    # An account manager reads their accounts' rows only; everyone else
    # with the report reads the whole desk's.
    if sees_all_customers(user):
        return rows
    return rows.filter(customer__in=customers_visible_to(user))


def report_surveys(query: CsatQuery) -> QuerySet[Survey]:
    """The surveys of tickets resolved in the period, in the reader's scope."""
    surveys = Survey.objects.filter(resolved_at__gte=query.start, resolved_at__lt=query.end)
    return _in_scope(surveys, query.user)


def _resolved_tickets(query: CsatQuery) -> QuerySet[Ticket]:
    return _in_scope(kpis.resolved_in(query.start, query.end), query.user)


def _held_figures(counts: dict[str, Any]) -> dict[str, Any]:
    settled = counts["held_settled"]
    return {
        "held_settled": settled,
        "held": counts["held"],
        "held_pending": counts["held_pending"],
        "held_rate": round(counts["held"] / settled, 4) if settled else None,
    }


HELD_COUNTS = ("held_settled", "held", "held_pending")


def _held(query: CsatQuery, now: datetime) -> tuple[dict[str, Any], dict[Any, dict[str, Any]]]:
    """Held resolution overall and per the grouping's value, in one query:
    the counts add up, so the overall figures are the rows' sums."""
    counts = kpis.held_counts(now=now, window=kpis.held_window())
    tickets = _resolved_tickets(query)
    if query.by is None:
        return _held_figures(tickets.aggregate(**counts)), {}
    rows = tickets.values(held_key=HELD_KEYS[query.by]).annotate(**counts).order_by()
    per_key: dict[Any, dict[str, int]] = {}
    for row in rows:
        key = per_key.setdefault(row["held_key"] or None, dict.fromkeys(HELD_COUNTS, 0))
        for name in HELD_COUNTS:
            key[name] += row[name]
    overall = {name: sum(key[name] for key in per_key.values()) for name in HELD_COUNTS}
    return _held_figures(overall), {key: _held_figures(c) for key, c in per_key.items()}


NO_HELD = _held_figures({"held_settled": 0, "held": 0, "held_pending": 0})


def latest_comments(query: CsatQuery, limit: int = LATEST_COMMENTS) -> list[dict[str, Any]]:
    """The newest answered surveys with a comment, in the reader's scope."""
    surveys = (
        report_surveys(query)
        .filter(state=SurveyState.ANSWERED)
        .exclude(comment="")
        .select_related("customer", "agent")
        .order_by("-answered_at", "-id")[:limit]
    )
    return [
        {
            "ticket": reference_for(survey.ticket_id),
            "customer": survey.customer.name,
            "agent": survey.agent.username if survey.agent else None,
            "rating": survey.rating,
            "nps": survey.nps,
            "comment": survey.comment,
            "answered_at": survey.answered_at,
        }
        for survey in surveys
    ]


def csat_report(query: CsatQuery, *, now: datetime | None = None) -> dict[str, Any]:
    """The figures of the whole period, the rows per the grouping (each with
    its held resolution), the latest comments: a fixed number of queries."""
    surveys = report_surveys(query)
    held_overall, held_per_key = _held(query, now or timezone.now())
    rows = (
        [
            {**row, **held_per_key.get(row["key"], NO_HELD)}
            for row in csat_figures(surveys=surveys, by=query.by)
        ]
        if query.by is not None
        else []
    )
    return {
        "start": query.start,
        "end": query.end,
        "by": query.by,
        "held_window_days": kpis.held_window().days,
        "overall": {**csat_figures(surveys=surveys, by=None)[0], **held_overall},
        "rows": rows,
        "comments": latest_comments(query),
    }


CSV_HEADING = [
    "dimension",
    "sent",
    "responses",
    "response_rate",
    "mean_rating",
    "csat",
    "nps",
    "nps_answers",
    "held_rate",
    "held",
    "held_settled",
]


def csv_table(report: dict[str, Any]) -> tuple[list[str], Iterator[list[Any]]]:
    """The report's rows (or its overall row) and then the total, as CSV."""

    def rows() -> Iterator[list[Any]]:
        for row in [*report["rows"], {**report["overall"], "label": "Total"}]:
            yield [row["label"], *(row[name] for name in CSV_HEADING[1:])]

    heading = [BY_LABELS.get(report["by"] or "", "Scope"), *CSV_HEADING[1:]]
    return heading, rows()
