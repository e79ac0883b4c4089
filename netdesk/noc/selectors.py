"""Reads for network operations: which customers an incident affects
(through the topology), which incidents lie on a customer's path, the NOC
board."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, QuerySet

from netdesk.customers.models import Customer, Service, ServiceStatus
from netdesk.network.models import NetworkElement
from netdesk.network.selectors import topology
from netdesk.noc.impact import impact_index
from netdesk.noc.models import (
    IncidentState,
    IncidentTicket,
    IncidentUpdate,
    LiaisonKind,
    LiaisonRecord,
    NetworkIncident,
)

ACTIVE = (IncidentState.INVESTIGATING, IncidentState.IDENTIFIED, IncidentState.MONITORING)


def incident_element_ids(incident: NetworkIncident) -> list[int]:
    ids = {e.pk for e in incident.elements.all()}
    if incident.root_element_id:
        ids.add(incident.root_element_id)
    return sorted(ids)


# Below this share of all active services, the affected customers are read
# through their elements; above it, by walking customers in id order (an
# outage of the core affects nearly everyone, and the first page is found at once).
ELEMENT_READ_SHARE = 0.02
SCAN_CHUNK = 5000


def affected_customers(
    incident: NetworkIncident, *, after_id: int = 0, limit: int = 100
) -> list[Customer]:
    """A page of the customers the incident affects, in id order."""
    element_ids = incident_element_ids(incident)
    if not element_ids:
        return []
    below = topology().subtree(element_ids)
    index = impact_index()
    share = sum(index.services.get(e, 0) for e in below) / max(1, sum(index.services.values()))
    active = Service.objects.filter(status=ServiceStatus.ACTIVE)
    ids: list[int] = []
    if share < ELEMENT_READ_SHARE and len(below) <= 5000:
        ids = list(
            active.filter(access_element_id__in=below, customer_id__gt=after_id)
            .order_by("customer_id")
            .values_list("customer_id", flat=True)
            .distinct()[:limit]
        )
    else:
        cursor = after_id
        while len(ids) < limit:
            chunk = list(
                active.filter(customer_id__gt=cursor)
                .order_by("customer_id")
                .values_list("customer_id", "access_element_id")[:SCAN_CHUNK]
            )
            if not chunk:
                break
            for customer_id, element_id in chunk:
                if element_id in below and (not ids or ids[-1] != customer_id):
                    ids.append(customer_id)
            cursor = chunk[-1][0]
        ids = ids[:limit]
    return list(Customer.objects.filter(pk__in=ids).order_by("pk"))


def active_incidents() -> QuerySet[NetworkIncident]:
    return NetworkIncident.objects.filter(state__in=ACTIVE)


@dataclass(frozen=True)
class PathStatus:
    """An active incident on the path of one of a customer's services."""

    incident: NetworkIncident
    service: Service
    element: NetworkElement  # the failed element on that service's path


def network_status_for(customer_id: int, service_id: int | None = None) -> list[PathStatus]:
    """Active incidents on the paths of the customer's services (or of one
    service): what the agent tells the caller."""
    incidents = list(
        active_incidents()
        .select_related("root_element")
        .prefetch_related("elements")
        .order_by("-id")
    )
    if not incidents:
        return []
    failed: dict[int, tuple[NetworkIncident, NetworkElement]] = {}
    for incident in incidents:
        for element in [incident.root_element, *incident.elements.all()]:
            if element is not None:
                failed.setdefault(element.pk, (incident, element))
    forest = topology()
    services = Service.objects.filter(customer_id=customer_id, access_element__isnull=False)
    if service_id is not None:
        services = services.filter(pk=service_id)
    found: list[PathStatus] = []
    for service in services.exclude(status=ServiceStatus.CEASED):
        assert service.access_element_id is not None
        for element_id in forest.path_to_root(service.access_element_id):
            if element_id in failed:
                incident, element = failed[element_id]
                found.append(PathStatus(incident, service, element))
                break
    return found


def incident_for_ticket(ticket_id: int) -> NetworkIncident | None:
    link = (
        IncidentTicket.objects.filter(ticket_id=ticket_id, unlinked_at__isnull=True)
        .select_related("incident", "incident__root_element")
        .order_by("-id")
        .first()
    )
    return link.incident if link else None


def incident_detail(reference: str) -> NetworkIncident | None:
    number = reference.upper().removeprefix("NI-")
    if not number.isascii() or not number.isdigit() or len(number) > 18:
        return None
    return (
        NetworkIncident.objects.filter(pk=int(number))
        .select_related("root_element", "root_element__area", "detected_by_user")
        .prefetch_related(
            "elements",
            "affected_key_accounts",
            Prefetch("updates", queryset=IncidentUpdate.objects.select_related("author")),
            Prefetch(
                "links",
                queryset=IncidentTicket.objects.filter(unlinked_at__isnull=True).select_related(
                    "ticket", "ticket__customer"
                ),
                to_attr="live_links",
            ),
        )
        .first()
    )


def incident_board(*, include_resolved_since: datetime | None = None) -> list[NetworkIncident]:
    """Active incidents (and recently resolved ones) for the NOC board."""
    incidents = NetworkIncident.objects.select_related("root_element").order_by("-id")
    if include_resolved_since is None:
        incidents = incidents.filter(state__in=ACTIVE)
    else:
        incidents = incidents.exclude(
            state=IncidentState.RESOLVED, resolved_at__lt=include_resolved_since
        )
    return list(incidents[:200])


def open_troubleshooting_requests() -> list[LiaisonRecord]:
    """Requests the NOC has not answered yet, oldest first."""
    return list(
        LiaisonRecord.objects.filter(
            kind=LiaisonKind.TROUBLESHOOTING_REQUEST, answered_by__isnull=True
        )
        .select_related("ticket", "author")
        .order_by("at")[:200]
    )
