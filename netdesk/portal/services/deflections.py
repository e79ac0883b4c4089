"""A subscriber told, before opening a ticket, that a known outage covers
their service, who chose to be told when it is fixed instead: counted as a
Deflection (notified), and put on the incident's notice list.

Incident notices go to each affected customer's verified addresses
(channels' `customer_addresses`), once per customer per update, and the
all-clear goes to every customer who had a notice of the incident. A
portal contact is verified, so the NOC's next notice reaches them anyway;
what is done here makes sure of the all-clear: a customer without any
notice of this incident is sent the current update's notice now, which
puts them on the all-clear's list. A customer who already had one is on it
already: the all-clear goes to the addresses that notice went to."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from netdesk.channels.models import OutboundKind, OutboundMessage
from netdesk.channels.selectors_notices import customer_addresses, latest_update
from netdesk.channels.services.incident_notices import SendTimes
from netdesk.channels.services.outbound_bulk import BulkMessage, outbound_queue_many
from netdesk.channels.services.templates import MessageContext
from netdesk.core.errors import ValidationFailed
from netdesk.core.locking import locked
from netdesk.customers.models import Contact, Service
from netdesk.noc.models import NetworkIncident
from netdesk.noc.selectors import network_status_for
from netdesk.portal.models import Deflection, DeflectionOutcome
from netdesk.portal.services.tickets import portal_writes_counted


@dataclass(frozen=True)
class NotifyPromise:
    """What the subscriber is told after choosing to be notified."""

    deflection: Deflection
    # Where the incident's next notices and the all-clear go.
    addresses: list[str]
    # The current update's notice was queued for the customer just now.
    notice_queued: bool


def covering_incident(*, contact: Contact, service: Service, reference: str) -> NetworkIncident:
    """The active incident `reference` on the path of the contact's
    service, as the portal showed it; refused when it no longer covers it
    (resolved meanwhile) or never did."""
    for status in network_status_for(contact.customer_id, service.pk):
        if status.incident.reference == reference:
            return status.incident
    raise ValidationFailed(
        f"{reference} is not an active outage on service {service.service_id}.",
        field="incident",
        value=reference,
        accepted="an active outage on the service, as shown",
    )


@transaction.atomic
def deflection_notify(
    *, contact: Contact, service: Service, incident: NetworkIncident
) -> NotifyPromise:
    """Record that the contact chose to be told when `incident` is fixed
    rather than open a ticket (once per contact and incident: asking again
    counts nothing twice), and make sure the customer is on its notice list."""
    incident = locked(incident, what="network incident")
    if service.customer_id != contact.customer_id:
        raise ValidationFailed(
            f"Service {service.service_id} is not one of your services.",
            field="service",
            value=service.service_id,
            accepted="one of your services",
        )
    earlier = OutboundMessage.objects.filter(
        kind=OutboundKind.INCIDENT_NOTICE, incident=incident, customer_id=contact.customer_id
    ).order_by("-created_at", "-pk")
    deflection = Deflection.objects.filter(
        contact=contact, incident=incident, outcome=DeflectionOutcome.NOTIFIED
    ).first()
    if deflection is None:
        portal_writes_counted(contact=contact)
        deflection = Deflection.objects.create(
            contact=contact,
            service=service,
            incident=incident,
            outcome=DeflectionOutcome.NOTIFIED,
            at=timezone.now(),
        )
    told = earlier.first()
    if told is not None:
        return NotifyPromise(deflection, _split(told.to_addresses), notice_queued=False)
    addresses = customer_addresses([contact.customer]).get(contact.customer_id, [])
    update = latest_update(incident)
    wording = (update.customer_message.strip() if update else "") or incident.customer_description
    if not addresses or update is None or not wording.strip():
        # Nothing to tell yet (no customer wording): the NOC's first notice
        # reaches the customer's verified addresses, this contact's among them.
        return NotifyPromise(deflection, addresses, notice_queued=False)
    queued = outbound_queue_many(
        kind=OutboundKind.INCIDENT_NOTICE,
        messages=[
            BulkMessage(
                to=addresses,
                context=MessageContext(
                    customer=contact.customer, contact=contact, incident=incident, update=update
                ),
                customer=contact.customer,
                send_at=SendTimes(timezone.now()).take(),
            )
        ],
        actor=None,
        incident=incident,
        incident_update=update,
    )
    return NotifyPromise(deflection, addresses, notice_queued=queued.queued > 0)


def _split(addresses: str) -> list[str]:
    return [address.strip() for address in addresses.split(",") if address.strip()]
