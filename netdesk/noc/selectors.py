"""Reads for network operations: which customers an incident affects
(through the topology), which incidents lie on a customer's path, the NOC
board."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Prefetch, QuerySet

from netdesk.customers.models import Customer, Segment, Service, ServiceStatus
from netdesk.network.models import NetworkElement
from netdesk.noc.models import (
    IncidentState,
    IncidentTicket,
    IncidentUpdate,
    LiaisonKind,
    LiaisonRecord,
    NetworkIncident,
)

ACTIVE = (IncidentState.INVESTIGATING, IncidentState.IDENTIFIED, IncidentState.MONITORING)


def _subtree_sql(roots: list[int]) -> tuple[str, list[int]]:
    """A recursive query for the elements at and below `roots` (the
    upstream graph is a forest, so UNION terminates even on bad data)."""
    element = connection.ops.quote_name(NetworkElement._meta.db_table)
    marks = ", ".join(["%s"] * len(roots))
    sql = (
        f"WITH RECURSIVE below(id) AS ("  # noqa: S608 - table names and placeholders only
        f"SELECT id FROM {element} WHERE id IN ({marks}) "
        f"UNION SELECT e.id FROM {element} e JOIN below ON e.upstream_id = below.id)"
    )
    return sql, list(roots)


@dataclass(frozen=True)
class Impact:
    services: int
    customers: int
    key_account_ids: list[int]


def incident_element_ids(incident: NetworkIncident) -> list[int]:
    ids = {e.pk for e in incident.elements.all()}
    if incident.root_element_id:
        ids.add(incident.root_element_id)
    return sorted(ids)


def impact_of(element_ids: list[int]) -> Impact:
    """Active services hanging at or below the elements, their customers and
    the key accounts among them (a site counts for its group account). Two
    queries whatever the size of the network."""
    if not element_ids:
        return Impact(0, 0, [])
    below, params = _subtree_sql(element_ids)
    service = connection.ops.quote_name(Service._meta.db_table)
    customer = connection.ops.quote_name(Customer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"{below} SELECT COUNT(*), COUNT(DISTINCT s.customer_id) FROM {service} s "  # noqa: S608
            f"WHERE s.access_element_id IN (SELECT id FROM below) AND s.status = %s",
            [*params, ServiceStatus.ACTIVE],
        )
        services, customers = cursor.fetchone()
        cursor.execute(
            f"{below} SELECT DISTINCT COALESCE(c.parent_account_id, c.id) "  # noqa: S608
            f"FROM {service} s JOIN {customer} c ON c.id = s.customer_id "
            f"LEFT JOIN {customer} p ON p.id = c.parent_account_id "
            f"WHERE s.access_element_id IN (SELECT id FROM below) AND s.status = %s "
            f"AND (c.segment = %s OR p.segment = %s)",
            [*params, ServiceStatus.ACTIVE, Segment.KEY_ACCOUNT, Segment.KEY_ACCOUNT],
        )
        key_accounts = sorted(row[0] for row in cursor.fetchall())
    return Impact(services, customers, key_accounts)


def affected_customers(
    incident: NetworkIncident, *, after_id: int = 0, limit: int = 100
) -> list[Customer]:
    """A page of the customers the incident affects, in id order."""
    element_ids = incident_element_ids(incident)
    if not element_ids:
        return []
    below, params = _subtree_sql(element_ids)
    service = connection.ops.quote_name(Service._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"{below} SELECT DISTINCT s.customer_id FROM {service} s "  # noqa: S608
            f"WHERE s.access_element_id IN (SELECT id FROM below) AND s.status = %s "
            f"AND s.customer_id > %s ORDER BY s.customer_id LIMIT %s",
            [*params, ServiceStatus.ACTIVE, after_id, limit],
        )
        ids = [row[0] for row in cursor.fetchall()]
    return list(Customer.objects.filter(pk__in=ids).order_by("pk"))


def path_of(element_id: int) -> list[int]:
    """The element and every element above it, nearest first."""
    element = connection.ops.quote_name(NetworkElement._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE up(id, depth) AS (SELECT id, 0 FROM {element} WHERE id = %s "  # noqa: S608
            f"UNION SELECT e.upstream_id, up.depth + 1 FROM {element} e JOIN up ON e.id = up.id "
            f"WHERE e.upstream_id IS NOT NULL AND up.depth < 64) SELECT id FROM up ORDER BY depth",
            [element_id],
        )
        return [row[0] for row in cursor.fetchall()]


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
    services = Service.objects.filter(customer_id=customer_id, access_element__isnull=False)
    if service_id is not None:
        services = services.filter(pk=service_id)
    found: list[PathStatus] = []
    for service in services.exclude(status=ServiceStatus.CEASED):
        assert service.access_element_id is not None
        for element_id in path_of(service.access_element_id):
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
