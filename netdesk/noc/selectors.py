"""Reads for network operations: which customers an incident affects
(through the topology), which incidents lie on a customer's path, the NOC
board, the alarms no active incident holds and why.

Every list that names customers or tickets is scoped to the reader with the
same querysets the customer and ticket pages use (`customers_visible_to`,
`tickets_visible_to`), here, so each page, API answer and export built on
these selectors gets it. Counts (affected customers and services) stay
desk-wide: how big an outage is is no secret."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.db.models import Count, Model, Prefetch, Q, QuerySet, TextChoices

from netdesk.accounts.models import User
from netdesk.core.compiled import CompiledQuery
from netdesk.core.cursors import time_cursor_read, time_cursor_write
from netdesk.core.errors import ValidationFailed
from netdesk.customers.models import Customer, Service, ServiceStatus
from netdesk.customers.selectors import customers_visible_to
from netdesk.network.models import NetworkElement
from netdesk.network.selectors import topology
from netdesk.noc.impact import impact_index
from netdesk.noc.models import (
    Alarm,
    AlarmSeverity,
    AlarmState,
    IncidentState,
    IncidentTicket,
    IncidentUpdate,
    LiaisonKind,
    LiaisonRecord,
    NetworkIncident,
    OutageState,
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


def _any_active(shape: Hashable) -> QuerySet[NetworkIncident, int]:  # noqa: ARG001 - one shape
    return active_incidents().order_by().values_list("pk", flat=True)[:1]


# Read for every new fault: compiled once per process.
_ANY_ACTIVE = CompiledQuery(_any_active)


def network_status_for(customer_id: int, service_id: int | None = None) -> list[PathStatus]:
    """Active incidents on the paths of the customer's services (or of one
    service): what the agent tells the caller.

    Asked for every new fault, so it reads only what lies on the
    customer's paths: whether any incident is active (one query; none ends
    here), the services (one), then the active incidents rooted on those
    paths (one) and the links of active incidents to elements of those
    paths (one). Neither the incidents elsewhere nor their elements are
    loaded, so a fault reported during a storm of hundreds of incidents
    costs what it costs during one. On each path the element nearest the
    customer wins, and of the incidents failing it the newest."""
    if not _ANY_ACTIVE.rows(None):
        return []
    services = Service.objects.filter(customer_id=customer_id, access_element__isnull=False)
    if service_id is not None:
        services = services.filter(pk=service_id)
    return _status_on_paths(list(services.exclude(status=ServiceStatus.CEASED)))


def network_status_of(services: Sequence[Service]) -> list[PathStatus]:
    """`network_status_for` for services the caller has already loaded (the
    portal's home page lists them anyway): one statement fewer. Ceased
    services and those without an access element are left out."""
    if not _ANY_ACTIVE.rows(None):
        return []
    return _status_on_paths(
        [
            s
            for s in services
            if s.access_element_id is not None and s.status != ServiceStatus.CEASED
        ]
    )


def _status_on_paths(found_services: list[Service]) -> list[PathStatus]:
    if not found_services:
        return []
    forest = topology()
    paths = [forest.path_to_root(s.access_element_id or 0) for s in found_services]
    on_any_path = {element for path in paths for element in path}
    by_pk: dict[int, NetworkIncident] = {}
    failing: dict[int, tuple[int, NetworkElement]] = {}  # element -> newest incident, element
    rooted = (
        active_incidents().filter(root_element_id__in=on_any_path).select_related("root_element")
    )
    for incident in rooted.order_by("-id"):
        by_pk[incident.pk] = incident
        root = incident.root_element
        if root is not None and root.pk not in failing:
            failing[root.pk] = (incident.pk, root)
    held = NetworkIncident.elements.through.objects.filter(
        networkelement_id__in=on_any_path, networkincident__state__in=ACTIVE
    ).select_related("networkelement", "networkincident", "networkincident__root_element")
    for link in held:
        by_pk.setdefault(link.networkincident_id, link.networkincident)
        newest = failing.get(link.networkelement_id)
        if newest is None or newest[0] < link.networkincident_id:
            failing[link.networkelement_id] = (link.networkincident_id, link.networkelement)
    found: list[PathStatus] = []
    for service, path in zip(found_services, paths, strict=True):
        nearest = next((element for element in path if element in failing), None)
        if nearest is not None:
            pk, element = failing[nearest]
            found.append(PathStatus(by_pk[pk], service, element))
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
        .select_related(
            "root_element",
            "root_element__area",
            "detected_by_user",
            "split_from",
            "probable_root_alarm",
            "probable_root_alarm__element",
        )
        .prefetch_related(
            "elements",
            Prefetch(
                "splits", queryset=NetworkIncident.objects.order_by("pk").only("pk", "split_from")
            ),
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


class UnassignedReason(TextChoices):
    """Why a firing alarm is in no active incident, in the order the intake
    checks it: the first that holds is the reason."""

    UNKNOWN_ELEMENT = "unknown_element", "unknown element"
    MAINTENANCE = "maintenance", "in a maintenance window"
    BELOW_MAJOR = "below_major", "below major"
    FLAPPING = "flapping", "flapping"
    INCIDENT_RESOLVED = "incident_resolved", "left on a resolved incident"
    WAITING = "waiting", "waiting for correlation"


def unassigned_reason(alarm: Alarm) -> UnassignedReason | None:
    """Why `alarm` is in no active incident, or None when it is in one or has
    cleared. Reads only the alarm's own fields (and its incident's state,
    so read alarms with `select_related("incident")`); the intake only
    correlates alarms on a known element, outside maintenance, at least
    major and not flapping."""
    if alarm.state != AlarmState.FIRING:
        return None
    incident = alarm.incident if alarm.incident_id is not None else None
    if incident is not None and incident.state != IncidentState.RESOLVED:
        return None
    if alarm.element_id is None:
        return UnassignedReason.UNKNOWN_ELEMENT
    if alarm.suppressed_by_id is not None:
        return UnassignedReason.MAINTENANCE
    if alarm.severity > AlarmSeverity.MAJOR:
        return UnassignedReason.BELOW_MAJOR
    if alarm.is_flapping:
        return UnassignedReason.FLAPPING
    if alarm.incident_id is not None:
        return UnassignedReason.INCIDENT_RESOLVED
    return UnassignedReason.WAITING


# The same reasons as conditions on the alarm table, in the same order, so
# the desk counts and filters what `unassigned_reason` says of each alarm.
UNASSIGNED = Q(state=AlarmState.FIRING) & (
    Q(incident__isnull=True) | Q(incident__state=IncidentState.RESOLVED)
)
_REASON_CONDITIONS: list[tuple[UnassignedReason, Q]] = [
    (UnassignedReason.UNKNOWN_ELEMENT, Q(element__isnull=True)),
    (UnassignedReason.MAINTENANCE, Q(suppressed_by__isnull=False)),
    (UnassignedReason.BELOW_MAJOR, Q(severity__gt=AlarmSeverity.MAJOR)),
    (UnassignedReason.FLAPPING, Q(is_flapping=True)),
    (UnassignedReason.INCIDENT_RESOLVED, Q(incident__isnull=False)),
    (UnassignedReason.WAITING, Q()),
]


def unassigned_condition(reason: UnassignedReason | None = None) -> Q:
    """The alarms no active incident holds (for one reason, or any)."""
    if reason is None:
        return UNASSIGNED
    earlier = Q()
    for candidate, condition in _REASON_CONDITIONS:
        if candidate == reason:
            return UNASSIGNED & earlier & condition
        earlier &= ~condition
    raise AssertionError(reason)  # every reason has its condition


def unassigned_alarm_counts() -> dict[UnassignedReason, int]:
    """How many firing alarms no active incident holds, per reason (every
    reason named, zeros included), for the whole desk. One query."""
    counts = Alarm.objects.filter(UNASSIGNED).aggregate(
        **{
            reason.value: Count("pk", filter=unassigned_condition(reason))
            for reason in UnassignedReason
        }
    )
    return {reason: counts[reason.value] or 0 for reason in UnassignedReason}


ALARMS_PAGE_MAX = 200


@dataclass(frozen=True)
class AlarmFilter:
    state: str | None = None  # AlarmState value
    unassigned: bool = False
    reason: str | None = None  # UnassignedReason value; implies unassigned


def _alarm_rows(filters: AlarmFilter) -> QuerySet[Alarm]:
    alarms = Alarm.objects.all()
    if filters.state is not None:
        if filters.state not in AlarmState.values:
            raise ValidationFailed(
                f"state {filters.state!r} is not an alarm state.",
                field="state",
                value=filters.state,
                accepted=list(AlarmState.values),
            )
        alarms = alarms.filter(state=filters.state)
    if filters.reason is not None:
        if filters.reason not in UnassignedReason.values:
            raise ValidationFailed(
                f"reason {filters.reason!r} is not a reason an alarm is unassigned.",
                field="reason",
                value=filters.reason,
                accepted=list(UnassignedReason.values),
            )
        alarms = alarms.filter(unassigned_condition(UnassignedReason(filters.reason)))
    elif filters.unassigned:
        alarms = alarms.filter(UNASSIGNED)
    return alarms


def alarm_page(
    *, filters: AlarmFilter, cursor: str | None, limit: int
) -> tuple[list[Alarm], int, str | None]:
    """A page of alarms, newest first, how many match in all, and the cursor
    of the next page (None on the last). Keyset pagination on (first_seen,
    id): two queries however many alarms there are and however deep the
    page. Alarms name no customer: every reader of the NOC sees them all."""
    if not 1 <= limit <= ALARMS_PAGE_MAX:
        raise ValidationFailed(
            f"limit {limit} is out of range.",
            field="limit",
            value=limit,
            accepted=f"1 to {ALARMS_PAGE_MAX}",
        )
    alarms = _alarm_rows(filters)
    total = alarms.count()
    if cursor:
        seen, pk = time_cursor_read(cursor)
        alarms = alarms.filter(Q(first_seen__lt=seen) | Q(first_seen=seen, pk__lt=pk))
    rows = list(
        alarms.select_related("element", "incident").order_by("-first_seen", "-pk")[: limit + 1]
    )
    next_cursor = (
        time_cursor_write(rows[limit - 1].first_seen, rows[limit - 1].pk)
        if len(rows) > limit
        else None
    )
    return rows[:limit], total, next_cursor


INCIDENT_ALARMS_SHOWN = 100


@dataclass(frozen=True)
class IncidentAlarms:
    """The alarms of an incident as its page lists them."""

    alarms: list[Alarm]  # the first INCIDENT_ALARMS_SHOWN, in the order they fired
    firing: int
    cleared: int


def incident_alarms(
    incident: NetworkIncident, *, limit: int = INCIDENT_ALARMS_SHOWN
) -> IncidentAlarms:
    """An incident's alarms, earliest first, with how many fire and how many
    cleared in all. Two queries, however many alarms it gathered."""
    rows = Alarm.objects.filter(incident=incident)
    counts = rows.aggregate(
        firing=Count("pk", filter=Q(state=AlarmState.FIRING)),
        cleared=Count("pk", filter=Q(state=AlarmState.CLEARED)),
    )
    shown = list(rows.select_related("element").order_by("first_seen", "pk")[:limit])
    return IncidentAlarms(shown, counts["firing"] or 0, counts["cleared"] or 0)


def outage_level(outage: SuspectedOutage) -> str:
    """Where in the network tree a suspected outage was detected, in words:
    "core", "level 2", or its area when no level was recorded. Read
    outages with their area (`select_related`)."""
    if outage.level == 0:
        return "core"
    if outage.level is not None:
        return f"level {outage.level}"
    return outage.area.name if outage.area is not None else ""


def open_outages(*, confidence: str, limit: int = 50) -> list[SuspectedOutage]:
    """Suspected outages (or hints) waiting for the NOC, newest first, for
    the board. One query."""
    return list(
        SuspectedOutage.objects.filter(state=OutageState.OPEN, confidence=confidence)
        .select_related("element", "area")
        .order_by("-raised_at", "-pk")[:limit]
    )
