"""The desk's ticket KPIs, each defined once: which tickets a KPI counts in a
period [start, end), whom a ticket counts for, and what is counted over them.

The KPI report (`netdesk.reports.kpis`) aggregates these per desk, agent or
group; an assessment's KPI evidence (`netdesk.competency.evidence`) per agent
and case-mix cell. Both read them from here, so the report and the evidence
cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.expressions import CombinedExpression

from netdesk.tickets.choices import OPEN_STATUSES
from netdesk.tickets.models import Ticket, TicketEvent
from netdesk.tickets.models.timeline import EventKind

# ---- response: tickets created in the period, counted for their creator ------

RESPONSE_AGENT = "created_by"
# A first response: a live conversation, an outbound contact or a
# customer-visible reply (the ticket services set first_response_at).
RESPONDED = Q(first_response_at__isnull=False)


def created_in(start: datetime, end: datetime) -> QuerySet[Ticket]:
    """Tickets created in the period: the tickets of the response KPIs."""
    return Ticket.objects.filter(created_at__gte=start, created_at__lt=end)


def response_counts() -> dict[str, Count]:
    """created: tickets; responded: those that have had a first response."""
    return {"created": Count("id"), "responded": Count("id", filter=RESPONDED)}


def response_wait() -> ExpressionWrapper[CombinedExpression]:
    """Time from creation to first response (NULL while unanswered)."""
    return ExpressionWrapper(F("first_response_at") - F("created_at"), output_field=DurationField())


# ---- resolution: tickets resolved in the period, counted for their resolver ---

RESOLUTION_AGENT = "resolved_by"


def resolved_in(start: datetime, end: datetime) -> QuerySet[Ticket]:
    """Tickets resolved in the period, merged duplicates left out: the
    tickets of the resolution KPIs."""
    return Ticket.objects.filter(
        resolved_at__gte=start, resolved_at__lt=end, merged_into__isnull=True
    )


def resolution_counts() -> dict[str, Count]:
    """Over the resolved tickets:
    - requests_solved: how many were resolved;
    - solved_first_contact: resolved on the first contact without escalation
      (the ticket's first_contact_resolved flag, set when it was resolved);
    - solved_without_escalation: never went beyond first line (highest tier 1);
    - reopened: were reopened at least once (reopen rate = reopened / solved).
    """
    return {
        "requests_solved": Count("id"),
        "solved_first_contact": Count("id", filter=Q(first_contact_resolved=True)),
        "solved_without_escalation": Count("id", filter=Q(highest_tier_level__lte=1)),
        "reopened": Count("id", filter=Q(reopen_count__gt=0)),
    }


# ---- closing and backlog -------------------------------------------------------

CLOSED_AGENT = "resolved_by"
BACKLOG_AGENT = "assignee"


def closed_in(start: datetime, end: datetime) -> QuerySet[Ticket]:
    """Tickets whose status became closed in the period."""
    return Ticket.objects.filter(closed_at__gte=start, closed_at__lt=end)


def open_at(moment: datetime) -> QuerySet[Ticket]:
    """Tickets open at a moment: created before it, not yet resolved then."""
    return Ticket.objects.filter(created_at__lt=moment).filter(
        Q(resolved_at__isnull=True, status__in=OPEN_STATUSES) | Q(resolved_at__gte=moment)
    )


# ---- escalation accuracy: functional escalations, counted for who escalated ----

ESCALATION_AGENT = "actor"


def functional_escalations() -> QuerySet[TicketEvent]:
    """Every functional escalation (a move to another group) on the timeline."""
    return TicketEvent.objects.filter(kind=EventKind.ESCALATED_FUNCTIONAL, field="group")


def escalations_in(start: datetime, end: datetime) -> QuerySet[TicketEvent]:
    """Functional escalations made by an agent in the period."""
    return functional_escalations().filter(at__gte=start, at__lt=end, actor__isnull=False)


def bounced_back() -> Exists:
    """The receiving group later escalated the ticket straight back to the
    group it came from (for an escalation event in the outer query)."""
    return Exists(
        functional_escalations().filter(
            ticket=OuterRef("ticket"),
            old_value=OuterRef("new_value"),
            new_value=OuterRef("old_value"),
            id__gt=OuterRef("id"),
        )
    )
