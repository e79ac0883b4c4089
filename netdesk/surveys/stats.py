"""Satisfaction figures over a set of surveys, overall or per group, agent,
category or customer segment, each in one aggregate query.

- sent: surveys that reached the customer (sent, answered or expired);
  scheduled and suppressed ones were never asked;
- responses: answered surveys; response_rate = responses / sent;
- mean_rating: the mean of the 1–5 ratings;
- csat: the share of responses rating 4 or 5 (0–1);
- nps: where the survey asked the 0–10 recommendation, promoters (9–10)
  minus detractors (0–6), in points of the NPS answers (−100 to 100).

A survey keeps the group, agent, category and segment of its ticket at
resolution, so a later change to the ticket does not move an answer.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Avg, Count, Q, QuerySet

from netdesk.customers.models import Segment
from netdesk.surveys.models import Survey, SurveyState

# What a row is keyed and labelled by, per grouping.
GROUPINGS: dict[str, tuple[str, str]] = {
    "group": ("group", "group__name"),
    "agent": ("agent", "agent__username"),
    "category": ("category", "category__name"),
    "segment": ("segment", "segment"),
}
NO_VALUE = "—"

SENT = Q(state__in=[SurveyState.SENT, SurveyState.ANSWERED, SurveyState.EXPIRED])
ANSWERED = Q(state=SurveyState.ANSWERED, rating__isnull=False)


def csat_counts() -> dict[str, Any]:
    """The aggregates behind the figures, for a caller grouping surveys its
    own way (e.g. per week): `.values(...).annotate(**csat_counts())`, then
    `figures_of(row)` for each row."""
    return {
        "sent": Count("id", filter=SENT),
        "responses": Count("id", filter=ANSWERED),
        "rating_mean": Avg("rating", filter=ANSWERED),
        "satisfied": Count("id", filter=ANSWERED & Q(rating__gte=4)),
        "nps_answers": Count("id", filter=ANSWERED & Q(nps__isnull=False)),
        "promoters": Count("id", filter=ANSWERED & Q(nps__gte=9)),
        "detractors": Count("id", filter=ANSWERED & Q(nps__lte=6)),
    }


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def figures_of(counts: dict[str, Any]) -> dict[str, Any]:
    """The report's figures from one row of counts."""
    nps_answers = counts["nps_answers"]
    mean = counts["rating_mean"]
    return {
        "sent": counts["sent"],
        "responses": counts["responses"],
        "response_rate": _ratio(counts["responses"], counts["sent"]),
        "mean_rating": round(float(mean), 2) if mean is not None else None,
        "satisfied": counts["satisfied"],
        "csat": _ratio(counts["satisfied"], counts["responses"]),
        "nps_answers": nps_answers,
        "nps": (
            round(100 * (counts["promoters"] - counts["detractors"]) / nps_answers, 1)
            if nps_answers
            else None
        ),
    }


def _label(by: str, key: Any, name: Any) -> str:
    if key is None or key == "":
        return NO_VALUE
    if by == "segment":
        return str(Segment(key).label) if key in Segment.values else str(key)
    return str(name)


def csat_figures(*, surveys: QuerySet[Survey], by: str | None) -> list[dict[str, Any]]:
    """One row for the whole set (`by` None), or one per group, agent,
    category or segment (`GROUPINGS`), by label, the row of surveys without
    one ("—") last. Rows only for values that have surveys; an empty set
    gives one overall row of zeros, or no rows per value."""
    if by is None:
        counts = surveys.aggregate(**csat_counts())
        return [{"key": None, "label": "All", **figures_of(counts)}]
    if by not in GROUPINGS:
        raise ValueError(f"csat_figures: unknown grouping {by!r}")
    key_field, name_field = GROUPINGS[by]
    fields = {key_field, name_field}
    rows = surveys.values(*fields).annotate(**csat_counts()).order_by()
    figures = [
        {
            "key": row[key_field] if row[key_field] != "" else None,
            "label": _label(by, row[key_field], row[name_field]),
            **figures_of(row),
        }
        for row in rows
    ]
    figures.sort(key=lambda row: (row["key"] is None, row["label"].casefold()))
    return figures
