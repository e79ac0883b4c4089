"""What the portal reads for a subscriber's tickets: their list, one ticket
with its public conversation, their services with any outage on them, and
how many subscribers an outage kept from opening a ticket. Every ticket is
found through `visible_tickets`, by its public reference, never by number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Prefetch, Q, QuerySet

from netdesk.customers.models import Contact, Service, ServiceStatus
from netdesk.noc.models import IncidentUpdate, NetworkIncident
from netdesk.noc.selectors import network_status_for
from netdesk.portal.access import visible_tickets
from netdesk.portal.models import Deflection, DeflectionOutcome
from netdesk.tickets.choices import Status, Visibility
from netdesk.tickets.models import Attachment, Comment, Ticket

# How a ticket's status reads to the customer.
STATUS_WORDS: dict[str, str] = {
    Status.NEW: "Received",
    Status.ASSIGNED: "Received",
    Status.IN_PROGRESS: "We are working on it",
    Status.PENDING_CUSTOMER: "Waiting for your answer",
    Status.PENDING_THIRD_PARTY: "Waiting for a partner of ours",
    Status.RESOLVED: "Solved — please confirm",
    Status.CLOSED: "Closed",
}
# The newest tickets the list shows.
LIST_LIMIT = 100
# Shown when the NOC has not written words for customers yet.
OUTAGE_WORDING = "We know of a fault in the network serving this service and are working on it."


def status_words(status: str) -> str:
    return STATUS_WORDS.get(status, status)


def portal_ticket_list(contact: Contact) -> list[Ticket]:
    """The contact's tickets, newest first, with their service: one query."""
    return list(
        visible_tickets(contact)
        .select_related("service")
        .only(
            "public_id",
            "title",
            "status",
            "created_at",
            "updated_at",
            "customer_id",
            "contact_id",
            "service__product",
            "service__service_id",
        )
        .order_by("-id")[:LIST_LIMIT]
    )


def _public_comments() -> QuerySet[Comment]:
    return (
        Comment.objects.filter(visibility=Visibility.PUBLIC)
        .select_related("author", "contact")
        .order_by("created_at", "id")
    )


def _customer_files() -> QuerySet[Attachment]:
    # Files on public replies, and those the customer sent (no agent
    # uploaded them and they hang on no note); never a note's files.
    return Attachment.objects.filter(
        Q(comment__visibility=Visibility.PUBLIC) | Q(comment__isnull=True, uploaded_by__isnull=True)
    ).order_by("uploaded_at", "id")


def portal_ticket_get(contact: Contact, public_id: str) -> Ticket | None:
    """One of the contact's tickets with its public comments and files
    (`public_comments`, `customer_files`), or None: another customer's
    ticket is as unknown as one that does not exist. Three queries."""
    return (
        visible_tickets(contact)
        .filter(public_id=public_id)
        .select_related("service")
        .prefetch_related(
            Prefetch("comments", queryset=_public_comments(), to_attr="public_comments"),
            Prefetch("attachments", queryset=_customer_files(), to_attr="customer_files"),
        )
        .first()
    )


def portal_attachment_get(
    contact: Contact, public_id: str, attachment_id: int
) -> Attachment | None:
    """A file the customer may download from one of their tickets, or None."""
    return (
        _customer_files()
        .filter(pk=attachment_id, ticket__in=visible_tickets(contact).filter(public_id=public_id))
        .first()
    )


def contact_services(contact: Contact) -> list[Service]:
    """The customer's services that are not ceased, for the new-ticket form."""
    return list(
        Service.objects.filter(customer_id=contact.customer_id)
        .exclude(status=ServiceStatus.CEASED)
        .order_by("service_id")
    )


def contact_service(contact: Contact, service_id: str) -> Service | None:
    return (
        Service.objects.filter(customer_id=contact.customer_id, service_id=service_id)
        .exclude(status=ServiceStatus.CEASED)
        .first()
    )


@dataclass(frozen=True)
class Outage:
    """A known outage on a subscriber's service, in the words for customers."""

    incident: NetworkIncident
    service: Service
    message: str
    eta: datetime | None


def outage_on(contact: Contact, service: Service) -> Outage | None:
    """The active incident on the service's path, with the latest words the
    NOC wrote for customers and its expected restoration; None when none."""
    found = network_status_for(contact.customer_id, service.pk)
    if not found:
        return None
    incident = found[0].incident
    update = (
        IncidentUpdate.objects.filter(incident=incident)
        .exclude(customer_message="")
        .order_by("-at", "-id")
        .first()
    )
    message = (update.customer_message if update else "") or incident.customer_description
    return Outage(incident, service, message.strip() or OUTAGE_WORDING, incident.eta)


@dataclass(frozen=True)
class DeflectionCounts:
    """Subscribers told of an outage in the portal before opening a ticket:
    how many chose to be notified, how many opened a ticket anyway."""

    notified: int
    opened_anyway: int


def deflection_counts(incident: NetworkIncident) -> DeflectionCounts:
    """One query."""
    counts = Deflection.objects.filter(incident=incident).aggregate(
        notified=Count("pk", filter=Q(outcome=DeflectionOutcome.NOTIFIED)),
        opened_anyway=Count("pk", filter=Q(outcome=DeflectionOutcome.OPENED_ANYWAY)),
    )
    return DeflectionCounts(counts["notified"], counts["opened_anyway"])
