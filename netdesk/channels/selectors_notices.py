"""Reads for incident notices: where each customer's notice goes, and what
the incident page shows of the notices sent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Count

from netdesk.channels.addresses import MAX_RECIPIENTS
from netdesk.channels.models import NotifyOrder, OutboundKind, OutboundMessage
from netdesk.customers.models import Contact, Customer
from netdesk.noc.impact import impact_of
from netdesk.noc.models import IncidentUpdate, NetworkIncident
from netdesk.noc.selectors import affected_customers, incident_element_ids

# The incident page counts the reachable customers of outages up to this
# size (two queries per thousand customers); larger ones are counted when
# the notice is queued.
REACH_COUNTED = 10_000


def _usable(address: str) -> bool:
    # Imported or typed addresses were never validated on the way in.
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def customer_addresses(customers: Sequence[Customer]) -> dict[int, list[str]]:
    """Each customer's notice addresses: its verified contacts' addresses
    that do not bounce, else the customer's own address unless it bounces
    for a contact; an address that is not one is never used. Customers
    with none are left out. One query."""
    reachable: dict[int, list[str]] = {}
    bouncing: dict[int, set[str]] = {}
    contacts = (
        Contact.objects.filter(customer__in=[c.pk for c in customers])
        .exclude(email="")
        .order_by("customer_id", "-is_primary", "pk")
        .values_list("customer_id", "email", "verified", "email_bouncing")
    )
    for customer_id, email, verified, bounce in contacts:
        if bounce:
            bouncing.setdefault(customer_id, set()).add(email.lower())
        elif verified and _usable(email):
            known = reachable.setdefault(customer_id, [])
            # A message takes at most MAX_RECIPIENTS: primary contacts first.
            if email.lower() not in (a.lower() for a in known) and len(known) < MAX_RECIPIENTS:
                known.append(email)
    for customer in customers:
        own = customer.email
        own_bounces = own.lower() in bouncing.get(customer.pk, set())
        if customer.pk not in reachable and own and not own_bounces and _usable(own):
            reachable[customer.pk] = [own]
    return reachable


def last_notify_order(incident: NetworkIncident) -> NotifyOrder | None:
    """The incident's latest order to notify its customers, with its update."""
    return (
        NotifyOrder.objects.filter(incident=incident)
        .select_related("incident_update", "created_by")
        .order_by("-created_at", "-pk")
        .first()
    )


def latest_update(incident: NetworkIncident) -> IncidentUpdate | None:
    return IncidentUpdate.objects.filter(incident=incident).order_by("-at", "-id").first()


@dataclass
class NoticeFigures:
    """The incident page's notice panel: who the incident affects, how many
    a notice reaches, who has the latest update's notice, delivery states."""

    affected: int
    reachable: int | None  # None: too many to count on a page view
    notified: int  # customers with the latest update's notice
    states: dict[str, int] = field(default_factory=dict)  # all notices and all-clears


def incident_notice_figures(incident: NetworkIncident) -> NoticeFigures:
    affected = impact_of(incident_element_ids(incident)).customers
    reachable: int | None = None
    if affected <= REACH_COUNTED:
        reachable, after = 0, 0
        while True:
            page = affected_customers(incident, user=None, after_id=after, limit=1000)
            reachable += len(customer_addresses(page))
            if len(page) < 1000:
                break
            after = page[-1].pk
    update = latest_update(incident)
    notified = (
        OutboundMessage.objects.filter(
            kind=OutboundKind.INCIDENT_NOTICE, incident_update=update
        ).count()
        if update is not None
        else 0
    )
    states = dict(
        OutboundMessage.objects.filter(
            kind__in=(OutboundKind.INCIDENT_NOTICE, OutboundKind.ALL_CLEAR),
            incident=incident,
        )
        .values_list("state")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("state", "n")
    )
    return NoticeFigures(affected, reachable, notified, states)
