"""Reads of surveys: the desk's settings (defaults until a manager saves
them), a ticket's survey, the surveys due to be sent, the network incident
a ticket was resolved by (from its timeline) and the team leads'
follow-ups. Each a fixed number of queries."""

from __future__ import annotations

from datetime import datetime

from django.core import signing
from django.db.models import Q, QuerySet

from netdesk.accounts.models import Role, User
from netdesk.accounts.permissions import Action, can
from netdesk.core.errors import NotFound
from netdesk.customers.models import Contact, Customer
from netdesk.surveys.models import (
    FollowUpState,
    GroupSampling,
    Survey,
    SurveyFollowUp,
    SurveySettings,
)
from netdesk.tickets.models import Ticket, TicketEvent
from netdesk.tickets.models.timeline import EventKind

# The page token is the survey's random public id signed with the site's
# secret: unguessable, and nothing that opens the page is stored.
# Public ids are URL-safe base64 ([A-Za-z0-9_-]); a dot cannot be part of one.
_SIGNER = signing.Signer(salt="netdesk.surveys", sep=".")
EVERY_TICKET = 100
_INCIDENT_KINDS = (
    EventKind.INCIDENT_LINKED,
    EventKind.INCIDENT_UNLINKED,
    EventKind.INCIDENT_RESOLVED,
)
FOLLOW_UP_JOINS = ("survey__ticket", "survey__customer", "survey__agent", "owner", "group")


def survey_settings() -> SurveySettings:
    """The desk's survey settings: the defaults (unsaved) until a manager
    saves them (`services.settings_update` writes the row)."""
    # The oldest row answers: two first settings at once leave a second
    # row that is never read.
    found = SurveySettings.objects.order_by("id").first()
    return found if found is not None else SurveySettings()


def sampling_percent(group_id: int | None) -> int:
    """The share of the group's resolved tickets that are surveyed."""
    if group_id is None:
        return EVERY_TICKET
    found = GroupSampling.objects.filter(group_id=group_id).values_list("percent", flat=True)
    return next(iter(found), EVERY_TICKET)


def sampling_rows() -> dict[int, int]:
    """Every group's percent that is not every ticket: {group id: percent}."""
    return dict(GroupSampling.objects.values_list("group_id", "percent"))


def survey_of_ticket(ticket: Ticket) -> Survey | None:
    """The ticket's survey with its follow-up, if any (one query)."""
    return Survey.objects.select_related("follow_up__owner").filter(ticket=ticket).first()


def survey_token(survey: Survey) -> str:
    return _SIGNER.sign(survey.public_id)


def survey_by_token(token: str) -> Survey:
    """The survey a page token opens; a token not signed by this desk, or of
    a survey that is gone, is not found (whatever the reason, one answer)."""
    try:
        public_id = _SIGNER.unsign(token)
    except signing.BadSignature as error:
        raise NotFound("No survey has this address.", field="token", value=token) from error
    found = (
        Survey.objects.select_related("ticket", "customer", "group").filter(public_id=public_id)
    ).first()
    if found is None:
        raise NotFound("No survey has this address.", field="token", value=token)
    return found


def surveys_due(now: datetime, *, limit: int = 100) -> list[Survey]:
    """Scheduled surveys whose time has come, oldest first, a page at a
    time (the sender locks each one again before it is sent)."""
    return list(
        Survey.objects.select_related("ticket", "customer", "contact")
        .filter(state="scheduled", scheduled_for__lte=now)
        .order_by("scheduled_for", "id")[:limit]
    )


def ticket_incident_ref(ticket_id: int) -> str:
    """The network incident the ticket was resolved by: the one whose
    resolution reached it, else the one it was still linked to; "" when
    none. Read from the ticket's timeline (the NOC writes those events)."""
    linked = ""
    resolved_by = ""
    events = (
        TicketEvent.objects.filter(ticket_id=ticket_id, kind__in=_INCIDENT_KINDS)
        .order_by("at", "id")
        .values_list("kind", "old_value", "new_value")
    )
    for kind, old, new in events:
        if kind == EventKind.INCIDENT_LINKED:
            linked = new
        elif kind == EventKind.INCIDENT_UNLINKED and old == linked:
            linked = ""
        elif kind == EventKind.INCIDENT_RESOLVED:
            resolved_by = new
    return resolved_by or linked


def mail_address(contact: Contact | None, customer: Customer) -> str:
    """Where a survey is mailed: the ticket's contact, else the customer."""
    return (contact.email if contact else "") or customer.email


def customer_recently_surveyed(
    *, customer_id: int, since: datetime, ticket_id: int
) -> Survey | None:
    """A survey of another ticket still to be sent, or sent since `since`."""
    return (
        Survey.objects.filter(customer_id=customer_id)
        .exclude(ticket_id=ticket_id)
        .filter(Q(state="scheduled") | Q(sent_at__gte=since))
        .order_by("-id")
        .first()
    )


def incident_surveyed(*, incident_ref: str, customer_id: int, ticket_id: int) -> Survey | None:
    """The survey already given to the customer for this incident, if any."""
    return (
        Survey.objects.filter(incident_ref=incident_ref, customer_id=customer_id)
        .exclude(ticket_id=ticket_id)
        .exclude(state="suppressed")
        .select_related("ticket")
        .order_by("id")
        .first()
    )


def follow_up_owner(group_id: int | None) -> User | None:
    """Who a low rating's follow-up goes to: the group's supervisor, else
    the desk's first active team lead."""
    if group_id is not None:
        supervisor = (
            User.objects.filter(supervised_groups__id=group_id, is_active=True)
            .order_by("id")
            .first()
        )
        if supervisor is not None:
            return supervisor
    return User.objects.filter(role=Role.TEAM_LEAD, is_active=True).order_by("id").first()


def follow_ups_visible_to(user: User) -> QuerySet[SurveyFollowUp]:
    """A team lead's own follow-ups; managers and administrators see all."""
    follow_ups = SurveyFollowUp.objects.select_related(*FOLLOW_UP_JOINS)
    if can(user, Action.CONFIGURE):
        return follow_ups
    return follow_ups.filter(owner=user)


def follow_ups_list(*, user: User, state: str = FollowUpState.OPEN) -> list[SurveyFollowUp]:
    """The follow-ups a reader sees in `state` ("" for all), newest first
    (one query, whatever the number)."""
    follow_ups = follow_ups_visible_to(user)
    if state:
        follow_ups = follow_ups.filter(state=state)
    return list(follow_ups.order_by("-created_at", "-id")[:500])


def follow_up_get(*, user: User, pk: int) -> SurveyFollowUp:
    found = follow_ups_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise NotFound(f"No follow-up {pk} you may see.", field="id", value=pk)
    return found
