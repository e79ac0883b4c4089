"""What the public status page may show, read in a fixed handful of queries
however many incidents, windows and areas there are.

Only customer-facing wording leaves this module: the incident's customer
description and its updates' customer messages, states and times. Titles,
technical notes, element names, root causes and the incident's customer
counts are never read from the database here, so no template or JSON shape
can leak them; the states come from shares of customers (`shares.py`).

Which areas an incident affects: the areas of its root element and of its
other declared elements, every area below those (a fault in a town reaches
its districts), and the areas of the customers below its elements in the
topology. An area's state follows the share of its customers that active
incidents cut off; a group on the page shows the worst state of the areas
it holds. Incidents merged into a bigger failure are not shown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.crypto import salted_hmac

from netdesk.network.models import Area
from netdesk.noc.models import IncidentState, IncidentUpdate, MaintenanceWindow, NetworkIncident
from netdesk.noc.statuspage.states import (
    COMPONENT_LABELS,
    DEGRADED,
    IMPACT_OF,
    IMPACT_RANK,
    INDICATOR_DESCRIPTIONS,
    OPERATIONAL,
    UNDER_MAINTENANCE,
    UNDER_MAINTENANCE_DESCRIPTION,
    AreaCustomers,
    incident_effect,
    outage_state,
    thresholds,
    worst,
)

RECENTLY_RESOLVED = timedelta(days=7)
# Caps on what the page lists, so its size stays bounded; active incidents
# are never capped (they are what the page is for).
RESOLVED_LIMIT = 50
MAINTENANCE_LIMIT = 100
AREA_NAMES_IN_TITLE = 3

# What customers read when the NOC has not worded the incident yet.
DEFAULT_BODIES: dict[str, str] = {
    IncidentState.INVESTIGATING: "We are investigating a service disruption in this area.",
    IncidentState.IDENTIFIED: "The cause has been identified and a fix is being worked on.",
    IncidentState.MONITORING: "A fix has been applied and we are monitoring the service.",
    IncidentState.RESOLVED: "This incident has been resolved.",
}
DEFAULT_MAINTENANCE_BODY = (
    "Planned work on the network in this area; service may be interrupted during the window."
)


def public_id(kind: str, pk: int) -> str:
    """A stable id that does not reveal how many incidents or windows there
    have been (keyed with the installation's secret)."""
    return salted_hmac("netdesk.statuspage", f"{kind}:{pk}").hexdigest()[:12]


@dataclass
class PublicUpdate:
    id: str
    state: str
    body: str
    at: datetime
    # Made from the incident's own description (or resolution), not an update row.
    synthesised: bool = False

    @property
    def state_label(self) -> str:
        return IncidentState(self.state).label


@dataclass
class PublicIncident:
    id: str
    name: str
    state: str
    # What the incident does to its areas now, and Statuspage's impact (for
    # a resolved incident: what it did while it lasted).
    component_status: str
    impact: str
    started_at: datetime
    detected_at: datetime
    updated_at: datetime
    monitoring_at: datetime | None
    resolved_at: datetime | None
    eta: datetime | None
    description: str
    updates: list[PublicUpdate]  # newest first
    area_names: list[str]
    component_ids: list[str] = field(default_factory=list)

    @property
    def state_label(self) -> str:
        return IncidentState(self.state).label

    @property
    def status_label(self) -> str:
        return COMPONENT_LABELS[self.component_status]

    @property
    def messages(self) -> list[PublicUpdate]:
        """The NOC's own updates to customers, newest first."""
        return [u for u in self.updates if not u.synthesised]


@dataclass
class PublicMaintenance:
    id: str
    name: str
    description: str
    starts_at: datetime
    ends_at: datetime
    created_at: datetime
    status: str  # Statuspage's "scheduled" or "in_progress"
    area_names: list[str]
    announcement_id: str
    component_ids: list[str] = field(default_factory=list)

    @property
    def is_running(self) -> bool:
        return self.status == "in_progress"


@dataclass
class Component:
    """An area as the page shows it. A top-level area with sub-areas is a
    group; its sub-areas (with everything below them) are its components."""

    id: str
    name: str
    status: str
    position: int
    group_id: str | None = None
    children: list[Component] = field(default_factory=list)
    covers: set[int] = field(default_factory=set)

    @property
    def is_group(self) -> bool:
        return bool(self.children)

    @property
    def status_label(self) -> str:
        return COMPONENT_LABELS[self.status]


@dataclass
class StatusSnapshot:
    now: datetime
    updated_at: datetime
    indicator: str
    description: str
    components: list[Component]  # top level, in page order; groups hold their children
    active_incidents: list[PublicIncident]
    resolved_incidents: list[PublicIncident]
    running_maintenance: list[PublicMaintenance]
    upcoming_maintenance: list[PublicMaintenance]

    @property
    def maintenance(self) -> list[PublicMaintenance]:
        return self.running_maintenance + self.upcoming_maintenance

    @property
    def flat_components(self) -> list[Component]:
        """Statuspage's list: each group followed by its components."""
        flat: list[Component] = []
        for component in self.components:
            flat.append(component)
            flat.extend(component.children)
        return flat


class _AreaTree:
    def __init__(self, rows: list[tuple[int, str, int | None]]) -> None:
        self.names = {pk: name for pk, name, _ in rows}
        self.children: dict[int, list[int]] = defaultdict(list)
        self.top: list[int] = []
        for pk, _, parent_id in rows:
            if parent_id is None or parent_id not in self.names:
                self.top.append(pk)
            else:
                self.children[parent_id].append(pk)

    def with_descendants(self, pks: Iterable[int]) -> set[int]:
        found: set[int] = set()
        stack = [pk for pk in pks if pk in self.names]
        while stack:
            pk = stack.pop()
            if pk in found:
                continue  # a loop in the data must not hang the page
            found.add(pk)
            stack.extend(self.children.get(pk, ()))
        return found

    def title(self, prefix: str, pks: set[int]) -> str:
        names = sorted(self.names[pk] for pk in pks if pk in self.names)
        if not names:
            return prefix
        shown = ", ".join(names[:AREA_NAMES_IN_TITLE])
        more = len(names) - AREA_NAMES_IN_TITLE
        return f"{prefix} in {shown}" + (f" and {more} more" if more > 0 else "")


def _components(tree: _AreaTree) -> list[Component]:
    components: list[Component] = []
    position = 0
    for top in tree.top:
        position += 1
        component = Component(
            id=public_id("area", top),
            name=tree.names[top],
            status=OPERATIONAL,
            position=position,
            covers=tree.with_descendants([top]),
        )
        for child in tree.children.get(top, ()):
            position += 1
            component.children.append(
                Component(
                    id=public_id("area", child),
                    name=tree.names[child],
                    status=OPERATIONAL,
                    position=position,
                    group_id=component.id,
                    covers=tree.with_descendants([child]),
                )
            )
        components.append(component)
    return components


def _leaves(components: list[Component]) -> list[Component]:
    return [leaf for c in components for leaf in (c.children or [c])]


def _areas_by_owner(rows: Iterable[tuple[int, int | None]]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = defaultdict(set)
    for owner, area_id in rows:
        if area_id is not None:
            found[owner].add(area_id)
    return found


def _incidents(now: datetime) -> list[dict[str, Any]]:
    # values(): the technical description, title and root cause are never loaded.
    fields = (
        "pk",
        "state",
        "customer_description",
        "started_at",
        "detected_at",
        "resolved_at",
        "eta",
        "root_element_id",
        "root_element__area_id",
    )
    active = list(
        NetworkIncident.objects.exclude(state=IncidentState.RESOLVED)
        .order_by("-started_at", "-pk")
        .values(*fields)
    )
    # A merged incident is part of the failure it was merged into: shown once, as that.
    resolved = list(
        NetworkIncident.objects.filter(
            state=IncidentState.RESOLVED,
            resolved_at__gte=now - RECENTLY_RESOLVED,
            resolved_at__lte=now,
            merged_into__isnull=True,
        )
        .order_by("-resolved_at", "-pk")
        .values(*fields)[:RESOLVED_LIMIT]
    )
    return active + resolved


def _public_incident(
    row: dict[str, Any],
    *,
    tree: _AreaTree,
    direct_areas: set[int],
    updates: list[dict[str, Any]],
    effect: tuple[str, str],
) -> PublicIncident:
    pk: int = row["pk"]
    state: str = row["state"]
    detected_at: datetime = row["detected_at"]
    is_resolved = state == IncidentState.RESOLVED
    resolved_at: datetime | None = row["resolved_at"] if is_resolved else None
    component_status, impact = effect
    monitoring_at = next((u["at"] for u in updates if u["state"] == IncidentState.MONITORING), None)
    public_updates = [
        PublicUpdate(
            id=public_id("update", u["pk"]),
            state=u["state"],
            body=u["customer_message"].strip(),
            at=u["at"],
        )
        for u in updates
        if u["customer_message"].strip()
    ]
    # The announcement itself is the oldest update, as on Statuspage, so
    # every incident has a body even before the NOC words a message.
    first_state: str = updates[0]["state"] if updates else state
    description = row["customer_description"].strip()
    announcement = PublicUpdate(
        id=public_id("announcement", pk),
        state=first_state,
        body=description or DEFAULT_BODIES.get(first_state, DEFAULT_BODIES["investigating"]),
        at=detected_at,
        synthesised=True,
    )
    public_updates.append(announcement)
    if resolved_at is not None and not any(
        u.state == IncidentState.RESOLVED for u in public_updates
    ):
        public_updates.append(
            PublicUpdate(
                id=public_id("resolution", pk),
                state=IncidentState.RESOLVED,
                body=DEFAULT_BODIES[IncidentState.RESOLVED],
                at=resolved_at,
                synthesised=True,
            )
        )
    public_updates.sort(key=lambda u: u.at, reverse=True)
    return PublicIncident(
        id=public_id("incident", pk),
        name=tree.title("Service disruption", direct_areas),
        state=state,
        component_status=component_status,
        impact=impact,
        started_at=row["started_at"],
        detected_at=detected_at,
        updated_at=public_updates[0].at,
        monitoring_at=monitoring_at,
        resolved_at=resolved_at,
        eta=None if is_resolved else row["eta"],
        description=announcement.body,
        updates=public_updates,
        area_names=sorted(tree.names[a] for a in direct_areas if a in tree.names),
    )


def status_snapshot(*, now: datetime | None = None) -> StatusSnapshot:
    """Everything the page and its JSON need: at most eight queries."""
    now = now or timezone.now()
    tree = _AreaTree(
        list(Area.objects.order_by("name", "pk").values_list("pk", "name", "parent_id"))
    )
    components = _components(tree)
    leaves = _leaves(components)

    incident_rows = _incidents(now)
    incident_pks = [row["pk"] for row in incident_rows]
    element_areas: dict[int, set[int]] = {}
    failed: dict[int, set[int]] = defaultdict(set)  # incident -> its elements
    updates: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if incident_pks:
        declared = list(
            NetworkIncident.elements.through.objects.filter(
                networkincident_id__in=incident_pks
            ).values_list("networkincident_id", "networkelement_id", "networkelement__area_id")
        )
        element_areas = _areas_by_owner((owner, area) for owner, _, area in declared)
        for owner, element, _ in declared:
            failed[owner].add(element)
        for update in (
            IncidentUpdate.objects.filter(incident_id__in=incident_pks)
            .order_by("at", "pk")
            .values("pk", "incident_id", "at", "state", "customer_message")
        ):
            updates[update["incident_id"]].append(dict(update))

    active: list[PublicIncident] = []
    resolved: list[PublicIncident] = []
    touched: dict[int, list[str]] = defaultdict(list)  # leaf position -> states
    customers = AreaCustomers() if incident_rows else None
    limits = thresholds()
    # Elements of the active incidents not yet fixed, and the leaves they reach.
    outage_elements: set[int] = set()
    outage_leaves: list[Component] = []
    for row in incident_rows:
        pk = row["pk"]
        direct = set(element_areas.get(pk, set()))
        if row["root_element__area_id"] is not None:
            direct.add(row["root_element__area_id"])
        if row["root_element_id"] is not None:
            failed[pk].add(row["root_element_id"])
        assert customers is not None
        below, below_total = customers.below(failed[pk])
        reached = tree.with_descendants(direct) | below.keys()
        leaves_reached = [leaf for leaf in leaves if leaf.covers & reached]
        effect = incident_effect(
            row["state"],
            [outage_state(customers.share(below, leaf.covers), limits) for leaf in leaves_reached],
            customers.network_share(below_total),
            limits,
        )
        incident = _public_incident(
            row, tree=tree, direct_areas=direct, updates=updates[pk], effect=effect
        )
        incident.component_ids = [leaf.id for leaf in leaves_reached]
        if incident.state == IncidentState.MONITORING:
            for leaf in leaves_reached:
                touched[leaf.position].append(DEGRADED)
        elif incident.state != IncidentState.RESOLVED:
            outage_elements |= failed[pk]
            outage_leaves += leaves_reached
        (resolved if incident.state == IncidentState.RESOLVED else active).append(incident)
    # Outages in one area add up: its state is the share all of them cut off.
    network_share = None
    if customers is not None and outage_elements:
        below, below_total = customers.below(outage_elements)
        network_share = customers.network_share(below_total)
        for leaf in outage_leaves:
            touched[leaf.position].append(outage_state(customers.share(below, leaf.covers), limits))

    running, upcoming = _maintenance(now, tree=tree, leaves=leaves, touched=touched)

    for leaf in leaves:
        leaf.status = worst(touched.get(leaf.position, []))
    for component in components:
        if component.children:
            component.status = worst(c.status for c in component.children)

    impacts = [IMPACT_OF[c.status] for c in leaves] + [i.impact for i in active]
    if network_share is not None and network_share >= limits.major:
        impacts.append("critical")
    indicator = max(impacts, key=IMPACT_RANK.__getitem__, default="none")
    description = INDICATOR_DESCRIPTIONS[indicator]
    if indicator == "none" and running:
        description = UNDER_MAINTENANCE_DESCRIPTION
    moments = [i.updated_at for i in active + resolved] + [m.created_at for m in running + upcoming]
    moments += [m.starts_at for m in running]
    return StatusSnapshot(
        now=now,
        updated_at=max((m for m in moments if m <= now), default=now),
        indicator=indicator,
        description=description,
        components=components,
        active_incidents=active,
        resolved_incidents=resolved,
        running_maintenance=running,
        upcoming_maintenance=upcoming,
    )


def _maintenance(
    now: datetime,
    *,
    tree: _AreaTree,
    leaves: list[Component],
    touched: dict[int, list[str]],
) -> tuple[list[PublicMaintenance], list[PublicMaintenance]]:
    windows = list(
        MaintenanceWindow.objects.filter(public=True, ends_at__gt=now)
        .order_by("starts_at", "pk")
        .values("pk", "starts_at", "ends_at", "customer_description", "created_at")[
            :MAINTENANCE_LIMIT
        ]
    )
    if not windows:
        return [], []
    pks = [w["pk"] for w in windows]
    areas = _areas_by_owner(
        MaintenanceWindow.areas.through.objects.filter(maintenancewindow_id__in=pks).values_list(
            "maintenancewindow_id", "area_id"
        )
    )
    element_areas = _areas_by_owner(
        MaintenanceWindow.elements.through.objects.filter(maintenancewindow_id__in=pks).values_list(
            "maintenancewindow_id", "networkelement__area_id"
        )
    )
    running: list[PublicMaintenance] = []
    upcoming: list[PublicMaintenance] = []
    for window in windows:
        pk: int = window["pk"]
        direct = areas.get(pk, set()) | element_areas.get(pk, set())
        is_running = window["starts_at"] <= now
        maintenance = PublicMaintenance(
            id=public_id("maintenance", pk),
            name=tree.title("Planned maintenance", direct),
            description=window["customer_description"].strip() or DEFAULT_MAINTENANCE_BODY,
            starts_at=window["starts_at"],
            ends_at=window["ends_at"],
            created_at=window["created_at"],
            status="in_progress" if is_running else "scheduled",
            area_names=sorted(tree.names[a] for a in direct if a in tree.names),
            announcement_id=public_id("maintenance-announcement", pk),
        )
        affected = tree.with_descendants(direct)
        for leaf in leaves:
            if leaf.covers & affected:
                maintenance.component_ids.append(leaf.id)
                if is_running:
                    touched[leaf.position].append(UNDER_MAINTENANCE)
        (running if is_running else upcoming).append(maintenance)
    return running, upcoming
