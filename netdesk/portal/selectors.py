"""What the portal shows a signed-in contact about their customer's services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from netdesk.customers.models import Contact, Service, ServiceStatus
from netdesk.noc.models import IncidentUpdate, NetworkIncident
from netdesk.noc.selectors import network_status_of


@dataclass(frozen=True)
class KnownOutage:
    """A known outage on a service's path, in the words customers are told."""

    reference: str
    message: str
    eta: datetime | None
    started_at: datetime


@dataclass(frozen=True)
class ServiceStatusRow:
    service: Service
    outage: KnownOutage | None


def _customer_messages(incidents: list[NetworkIncident]) -> dict[int, str]:
    """Each incident's latest customer message (else its customer
    description): one statement for all of them."""
    messages = {incident.pk: incident.customer_description.strip() for incident in incidents}
    if not messages:
        return messages
    latest = (
        IncidentUpdate.objects.filter(incident_id__in=list(messages))
        .exclude(customer_message="")
        .order_by("incident_id", "-at", "-id")
        .values_list("incident_id", "customer_message")
    )
    seen: set[int] = set()
    for incident_id, message in latest:
        if incident_id not in seen and message.strip():
            seen.add(incident_id)
            messages[incident_id] = message.strip()
    return messages


def services_with_status(contact: Contact) -> list[ServiceStatusRow]:
    """The contact's customer's services (ceased ones left out) and for each
    the known outage on its path, if any. A fixed number of statements
    whatever the number of services or incidents."""
    services = list(
        Service.objects.filter(customer_id=contact.customer_id)
        .exclude(status=ServiceStatus.CEASED)
        .order_by("service_id")
    )
    if not services:
        return []
    on_path = {status.service.pk: status.incident for status in network_status_of(services)}
    messages = _customer_messages(list({i.pk: i for i in on_path.values()}.values()))
    rows = []
    for service in services:
        incident = on_path.get(service.pk)
        outage = None
        if incident is not None:
            outage = KnownOutage(
                reference=incident.reference,
                message=messages.get(incident.pk, ""),
                eta=incident.eta,
                started_at=incident.started_at,
            )
        rows.append(ServiceStatusRow(service=service, outage=outage))
    return rows
