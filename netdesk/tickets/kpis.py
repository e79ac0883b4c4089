"""The desk's ticket KPIs, each defined once: which tickets a KPI counts in a
period [start, end), whom a ticket counts for, and what is counted over them.

The KPI report (`netdesk.reports.kpis`) aggregates these per desk, agent or
group; an assessment's KPI evidence (`netdesk.assessments.evidence`) per agent
and case-mix cell; the CSAT report the held resolution beside satisfaction.
All read them from here, so the reports and the evidence cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
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
from django.db.models.lookups import Exact, IsNull

from netdesk.tickets.choices import OPEN_STATUSES, Channel
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


# ---- held resolution: did the resolution hold for the window after it? -------
#
# Over the same tickets as the resolution KPIs (resolved in the period, by
# their last resolution, counted for their resolver), a resolution "held" when
# within the window after it (NETDESK_HELD_RESOLUTION_DAYS, 7 by default):
# - the customer opened no new ticket about the same thing: the same service;
#   for a ticket without a service, the same category; for a ticket with
#   neither, any new ticket of the customer (nothing tells what it was about).
#   Tickets the desk opened under this one (its children) or between its
#   groups (the internal channel) are the desk's own work, not the customer
#   coming back;
# - and the ticket was not reopened within the window of one of its
#   resolutions (a reopen clears resolved_at, so a ticket reopened and solved
#   again is counted at its last resolution, against the earlier one's hold,
#   as it counts in the reopen rate).
# Tickets resolved less than the window ago are pending, counted in neither.

HELD_AGENT = RESOLUTION_AGENT


def held_window() -> timedelta:
    """How long after its resolution a ticket must stay quiet to have held."""
    return timedelta(days=settings.NETDESK_HELD_RESOLUTION_DAYS)


def came_back(window: timedelta) -> Exists:
    """The customer opened a new ticket about the same thing within the
    window after the outer ticket's resolution."""
    same_thing = Exact(F("service"), OuterRef("service")) | (
        IsNull(OuterRef("service"), True)
        & (IsNull(OuterRef("category"), True) | Exact(F("category"), OuterRef("category")))
    )
    return Exists(
        Ticket.objects.filter(
            customer=OuterRef("customer"),
            created_at__gt=OuterRef("resolved_at"),
            created_at__lte=OuterRef("resolved_at") + window,
        )
        .filter(same_thing)
        .exclude(parent=OuterRef("pk"))
        .exclude(channel=Channel.INTERNAL)
    )


def reopened_within(window: timedelta) -> Exists:
    """The outer ticket was reopened within the window after one of its
    resolutions."""
    resolution_before = TicketEvent.objects.filter(
        ticket=OuterRef("ticket"),
        kind=EventKind.RESOLVED,
        at__lte=OuterRef("at"),
        at__gte=OuterRef("at") - window,
    )
    return Exists(
        TicketEvent.objects.filter(ticket=OuterRef("pk"), kind=EventKind.REOPENED).filter(
            Exists(resolution_before)
        )
    )


def held_counts(*, now: datetime, window: timedelta) -> dict[str, Count]:
    """Over the resolved tickets:
    - held_settled: those whose window has passed (the rate's whole);
    - held: of those, the ones that held;
    - held_pending: resolved less than the window ago, counted in neither.
    """
    settled = Q(resolved_at__lte=now - window)
    # Only a ticket reopened at least once can have been reopened in a
    # window: the cheap column first, so the timeline is read for few.
    reopened = Q(reopen_count__gt=0) & Q(reopened_within(window))
    return {
        "held_settled": Count("id", filter=settled),
        "held": Count("id", filter=settled & ~Q(came_back(window)) & ~reopened),
        "held_pending": Count("id", filter=~settled),
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
