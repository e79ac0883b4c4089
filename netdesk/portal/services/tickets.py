"""What a signed-in subscriber does to tickets in the portal: open one (with
files), answer on one, and say one is solved. Each runs as the desk itself
(actor None) on behalf of the contact, who may only touch tickets of their
own customer; the views hand in tickets found through `visible_tickets`."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import NamedTuple

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from netdesk.config import parse_rate
from netdesk.core.checks import checked_choice, checked_text
from netdesk.core.errors import NotFound, ServiceError, TransitionNotAllowed, ValidationFailed
from netdesk.core.locking import locked
from netdesk.core.ratelimit import rate_count_bump
from netdesk.customers.models import Contact, Service, ServiceStatus
from netdesk.noc.models import NetworkIncident
from netdesk.portal.models import Deflection, DeflectionOutcome
from netdesk.tickets.choices import (
    NEEDS_ROOT_CAUSE,
    Channel,
    Direction,
    Outcome,
    ResolutionCode,
    RootCause,
    Status,
    TicketType,
)
from netdesk.tickets.models import Comment, Ticket
from netdesk.tickets.schemas import TEXT_LIMITS
from netdesk.tickets.services import attachment_add, ticket_close, ticket_create, ticket_resolve
from netdesk.tickets.services.customer_replies import customer_comment_add
from netdesk.tickets.services.file_types import attachment_type

# The words a subscriber picks a ticket's type by (the desk's own labels
# speak to agents).
CUSTOMER_TYPES: dict[str, str] = {
    TicketType.FAULT: "Something does not work",
    TicketType.SERVICE_REQUEST: "I would like a change to my service",
    TicketType.BILLING_INQUIRY: "A question about my bill",
    TicketType.INFORMATION_REQUEST: "Another question",
    TicketType.COMPLAINT: "A complaint",
}
TITLE_WORDS = 80
MAX_FILES = 5
# A ticket the customer calls solved before the desk did: the customer
# withdrew it; nobody knows what fixed it.
SOLVED_BY_CUSTOMER = ResolutionCode.CANCELLED_BY_CUSTOMER


class TooManyRequests(ServiceError):
    status = 429
    kind = "too-many-requests"
    title = "Too many requests"


class ToldOutage(NamedTuple):
    """The outage the subscriber was told of before they opened the ticket."""

    incident: NetworkIncident
    service: Service


def portal_writes_counted(*, contact: Contact) -> None:
    """One more ticket, message or closure by this contact, refused above
    NETDESK_PORTAL_WRITE_RATE. Counted in the database, so every web
    process of the desk refuses alike."""
    rate: str = settings.NETDESK_PORTAL_WRITE_RATE
    limit, period = parse_rate(rate)
    count = rate_count_bump(
        key=f"portal-writes:{contact.pk}:{period}", period_start=int(time.time() // period)
    )
    if count > limit:
        raise TooManyRequests(
            f"You sent more than {rate} tickets and messages; please wait a while or call us.",
            field="contact",
            value=contact.pk,
            accepted=f"at most {rate} (NETDESK_PORTAL_WRITE_RATE)",
        )


def title_from(description: str, ticket_type: str) -> str:
    """The ticket's title: the description's first line, cut at a word."""
    first = next((line for line in description.splitlines() if line.strip()), "")
    words = " ".join(first.split())
    if len(words) > TITLE_WORDS:
        words = words[:TITLE_WORDS].rsplit(" ", 1)[0] + " …"
    return words or CUSTOMER_TYPES.get(ticket_type, "Request from the portal")


def files_checked(uploads: Sequence[UploadedFile]) -> None:
    """Every file checked (count, size, type from its content) before
    anything is written: one refused file leaves no ticket half made."""
    if len(uploads) > MAX_FILES:
        raise ValidationFailed(
            f"{len(uploads)} files were sent; at most {MAX_FILES} go with one message.",
            field="files",
            value=len(uploads),
            accepted=f"0 to {MAX_FILES} files",
        )
    limit = settings.NETDESK_ATTACHMENT_MAX_BYTES
    for upload in uploads:
        size = upload.size or 0
        if not 0 < size <= limit:
            raise ValidationFailed(
                f"{upload.name} is {size} bytes; files must hold 1 to {limit} bytes.",
                field="files",
                value=upload.name,
                accepted=f"files of 1 to {limit} bytes",
            )
        attachment_type(upload)


def _check_service(contact: Contact, service: Service | None) -> None:
    if service is None:
        return
    if service.customer_id != contact.customer_id or service.status == ServiceStatus.CEASED:
        raise ValidationFailed(
            f"Service {service.service_id} is not one of your services.",
            field="service",
            value=service.service_id,
            accepted="one of your active services",
        )


@transaction.atomic
def portal_ticket_open(
    *,
    contact: Contact,
    ticket_type: str,
    service: Service | None,
    description: str,
    uploads: Sequence[UploadedFile] = (),
    told: ToldOutage | None = None,
) -> Ticket:
    """Open a ticket from the portal: channel web, the contact's own words as
    its description and first call report, the files on it. `told`: the
    outage the subscriber was shown first and opened the ticket anyway,
    counted as a Deflection (opened anyway) with the ticket."""
    checked_choice("ticket_type", ticket_type, TicketType)
    description = checked_text("description", description, TEXT_LIMITS["description"])
    _check_service(contact, service)
    files_checked(uploads)
    portal_writes_counted(contact=contact)
    title = title_from(description, ticket_type)
    ticket = ticket_create(
        actor=None,
        customer=contact.customer,
        contact=contact,
        ticket_type=ticket_type,
        channel=Channel.WEB,
        title=title,
        description=description,
        service=service,
        call={
            "direction": Direction.INBOUND,
            "started_at": timezone.now(),
            "duration_seconds": 0,
            "summary": f"{contact.name} opened the ticket in the web portal: {title}",
            "outcome": Outcome.TICKET_CREATED,
        },
    )
    for upload in uploads:
        attachment_add(actor=None, ticket=ticket, upload=upload)
    if told is not None:
        Deflection.objects.create(
            contact=contact,
            service=told.service,
            incident=told.incident,
            outcome=DeflectionOutcome.OPENED_ANYWAY,
            ticket=ticket,
            at=timezone.now(),
        )
    return ticket


def _check_own(contact: Contact, ticket: Ticket) -> None:
    # The views find tickets through visible_tickets; this keeps a caller
    # that does not from writing on another customer's ticket.
    if ticket.customer_id != contact.customer_id:
        raise NotFound(
            "No such ticket among yours.",
            field="ticket",
            value=ticket.public_id,
            accepted="one of your tickets",
        )


@transaction.atomic
def portal_reply_add(
    *, contact: Contact, ticket: Ticket, body: str, uploads: Sequence[UploadedFile] = ()
) -> Comment:
    """The contact's answer on their ticket, with its files. A resolved
    ticket is reopened, one waiting on the customer is taken back into work."""
    _check_own(contact, ticket)
    body = checked_text("body", body, TEXT_LIMITS["comment"])
    files_checked(uploads)
    portal_writes_counted(contact=contact)
    comment = customer_comment_add(ticket=ticket, contact=contact, body=body, channel=Channel.WEB)
    for upload in uploads:
        attachment_add(actor=None, ticket=ticket, upload=upload, comment=comment)
    return comment


@transaction.atomic
def portal_ticket_solved(*, contact: Contact, ticket: Ticket) -> Ticket:
    """The subscriber says the ticket is solved. Resolved by the desk: the
    customer's confirmation closes it. Still open: it is resolved as
    withdrawn by the customer (root cause unknown where one is needed),
    with a note saying so; the desk may still reopen it. Closed: refused."""
    _check_own(contact, ticket)
    ticket = locked(ticket)
    portal_writes_counted(contact=contact)
    if ticket.status == Status.RESOLVED:
        return ticket_close(
            actor=None,
            ticket=ticket,
            note=f"The customer ({contact.name}) confirmed in the portal that it is solved.",
        )
    if ticket.status == Status.CLOSED:
        raise TransitionNotAllowed(
            "This ticket is already closed.",
            field="status",
            value=ticket.status,
            accepted="a ticket that is not closed",
        )
    return ticket_resolve(
        actor=None,
        ticket=ticket,
        resolution_code=SOLVED_BY_CUSTOMER,
        root_cause=RootCause.UNKNOWN if ticket.ticket_type in NEEDS_ROOT_CAUSE else "",
        notes=(
            f"The customer ({contact.name}) said in the portal that it is solved, "
            "before the desk resolved it."
        ),
    )
