"""Reads for network operations: which customers an incident affects
(through the topology), which incidents lie on a customer's path, the NOC
board.

Every list that names customers or tickets is scoped to the reader with the
same querysets the customer and ticket pages use (`customers_visible_to`,
`tickets_visible_to`), here, so each page, API answer and export built on
these selectors gets it. Counts (affected customers and services) stay
desk-wide: how big an outage is is no secret."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.db.models import Model, Prefetch, Q, QuerySet

from netdesk.accounts.models import User
from netdesk.customers.models import Customer, Service, ServiceStatus
from netdesk.customers.selectors import customers_visible_to
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
    SuspectedOutage,
)
from netdesk.tickets.models import Ticket
from netdesk.tickets.selectors import tickets_visible_to

ACTIVE = (IncidentState.INVESTIGATING, IncidentState.IDENTIFIED, IncidentState.MONITORING)


RowT = TypeVar("RowT", bound=Model)


def _customers(user: User | None) -> QuerySet[Customer]:
    # None is the desk itself (a task, an export it runs), as in `require`.
    return Customer.objects.all() if user is None else customers_visible_to(user)


def _tickets(user: User | None) -> QuerySet[Ticket]:
    return Ticket.objects.all() if user is None else tickets_visible_to(user)


def _within(
    rows: QuerySet[RowT], field: str, visible: QuerySet[Any], *, or_none: bool = False
) -> QuerySet[RowT]:
    """The rows whose `field` is one of `visible` (or empty, with `or_none`).
    A reader who sees every row adds no condition: an always-true subquery
    over every customer would cost each page of a core outage a scan of the
    customer table."""
    if not visible.query.has_filters():
        return rows
    condition = Q(**{f"{field}__in": visible.values("pk")})
    if or_none:
        condition |= Q(**{f"{field}__isnull": True})
    return rows.filter(condition)


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
    incident: NetworkIncident, *, user: User | None, after_id: int = 0, limit: int = 100
) -> list[Customer]:
    """A page of the customers the incident affects that `user` may see
    (`customers_visible_to`; None, the desk itself, sees all), in id order.
    Page on with `after_id` set to the last customer's id; a page shorter
    than `limit` is the last. Every list or export of an incident's
    customers reads them here."""
    element_ids = incident_element_ids(incident)
    if not element_ids:
        return []
    below = topology().subtree(element_ids)
    index = impact_index()
    share = sum(index.services.get(e, 0) for e in below) / max(1, sum(index.services.values()))
    active = _within(
        Service.objects.filter(status=ServiceStatus.ACTIVE), "customer", _customers(user)
    )
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


def incident_detail(reference: str, *, user: User | None) -> NetworkIncident | None:
    """The incident with what its page and API answer show: its key accounts
    and its linked tickets (`live_links`) as far as `user` may see them."""
    number = reference.upper().removeprefix("NI-")
    if not number.isascii() or not number.isdigit() or len(number) > 18:
        return None
    links = IncidentTicket.objects.filter(unlinked_at__isnull=True).select_related(
        "ticket", "ticket__customer"
    )
    return (
        NetworkIncident.objects.filter(pk=int(number))
        .select_related("root_element", "root_element__area", "detected_by_user")
        .prefetch_related(
            "elements",
            Prefetch(
                "affected_key_accounts",
                queryset=_customers(user).order_by("name"),
            ),
            Prefetch("updates", queryset=IncidentUpdate.objects.select_related("author")),
            Prefetch(
                "links",
                queryset=_within(links, "ticket", _tickets(user)),
                to_attr="live_links",
            ),
        )
        .first()
    )


def incident_liaison(incident: NetworkIncident, *, user: User | None) -> list[LiaisonRecord]:
    """The liaison on an incident; exchanges about one ticket only where
    `user` may see that ticket."""
    records = LiaisonRecord.objects.filter(incident=incident).select_related(
        "from_group", "to_group", "author"
    )
    return list(_within(records, "ticket", _tickets(user), or_none=True))


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


def open_troubleshooting_requests(*, user: User | None) -> list[LiaisonRecord]:
    """Requests the NOC has not answered yet on tickets `user` may see,
    oldest first."""
    requests = LiaisonRecord.objects.filter(
        kind=LiaisonKind.TROUBLESHOOTING_REQUEST, answered_by__isnull=True
    )
    return list(
        _within(requests, "ticket", _tickets(user))
        .select_related("ticket", "author")
        .order_by("at")[:200]
    )


def suspected_outages(*, user: User | None) -> QuerySet[SuspectedOutage]:
    """Suspected outages with their tickets as far as `user` may see them
    (`complaints` still counts them all)."""
    return SuspectedOutage.objects.select_related("element", "area", "incident").prefetch_related(
        Prefetch("tickets", queryset=_tickets(user).order_by("pk"))
    )
