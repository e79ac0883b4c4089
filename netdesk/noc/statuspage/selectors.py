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
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from netdesk.noc.models import IncidentState, IncidentUpdate, NetworkIncident
from netdesk.noc.statuspage.areas import (
    AreaTree,
    area_tree,
    areas_by_owner,
    components_of,
    leaves_of,
)
from netdesk.noc.statuspage.maintenance import public_maintenance
from netdesk.noc.statuspage.public import (
    Component,
    PublicIncident,
    PublicUpdate,
    StatusSnapshot,
    public_id,
)
from netdesk.noc.statuspage.states import (
    DEGRADED,
    IMPACT_OF,
    IMPACT_RANK,
    INDICATOR_DESCRIPTIONS,
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

# What customers read when the NOC has not worded the incident yet.
DEFAULT_BODIES: dict[str, str] = {
    IncidentState.INVESTIGATING: "We are investigating a service disruption in this area.",
    IncidentState.IDENTIFIED: "The cause has been identified and a fix is being worked on.",
    IncidentState.MONITORING: "A fix has been applied and we are monitoring the service.",
    IncidentState.RESOLVED: "This incident has been resolved.",
}


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
    tree: AreaTree,
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


@dataclass
class _Declared:
    """What the incidents on the page hold beyond their own row."""

    element_areas: dict[int, set[int]] = field(default_factory=dict)  # incident -> areas
    failed: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))  # -> elements
    updates: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))


def _declared(incident_pks: list[int]) -> _Declared:
    found = _Declared()
    if not incident_pks:
        return found
    declared = list(
        NetworkIncident.elements.through.objects.filter(
            networkincident_id__in=incident_pks
        ).values_list("networkincident_id", "networkelement_id", "networkelement__area_id")
    )
    found.element_areas = areas_by_owner((owner, area) for owner, _, area in declared)
    for owner, element, _ in declared:
        found.failed[owner].add(element)
    for update in (
        IncidentUpdate.objects.filter(incident_id__in=incident_pks)
        .order_by("at", "pk")
        .values("pk", "incident_id", "at", "state", "customer_message")
    ):
        found.updates[update["incident_id"]].append(dict(update))
    return found


@dataclass
class _Placed:
    """The incidents placed on the page's areas."""

    active: list[PublicIncident] = field(default_factory=list)
    resolved: list[PublicIncident] = field(default_factory=list)
    touched: dict[int, list[str]] = field(
        default_factory=lambda: defaultdict(list)
    )  # leaf -> states
    network_share: float | None = None


def _place_incidents(
    rows: list[dict[str, Any]], *, tree: AreaTree, leaves: list[Component]
) -> _Placed:
    placed = _Placed()
    if not rows:
        return placed
    declared = _declared([row["pk"] for row in rows])
    customers = AreaCustomers()
    limits = thresholds()
    # Elements of the active incidents not yet fixed, and the leaves they reach.
    outage_elements: set[int] = set()
    outage_leaves: list[Component] = []
    for row in rows:
        pk = row["pk"]
        failed = declared.failed[pk]
        direct = set(declared.element_areas.get(pk, set()))
        if row["root_element__area_id"] is not None:
            direct.add(row["root_element__area_id"])
        if row["root_element_id"] is not None:
            failed.add(row["root_element_id"])
        below, below_total = customers.below(failed)
        reached = tree.with_descendants(direct) | below.keys()
        leaves_reached = [leaf for leaf in leaves if leaf.covers & reached]
        effect = incident_effect(
            row["state"],
            [outage_state(customers.share(below, leaf.covers), limits) for leaf in leaves_reached],
            customers.network_share(below_total),
            limits,
        )
        incident = _public_incident(
            row, tree=tree, direct_areas=direct, updates=declared.updates[pk], effect=effect
        )
        incident.component_ids = [leaf.id for leaf in leaves_reached]
        if incident.state == IncidentState.MONITORING:
            for leaf in leaves_reached:
                placed.touched[leaf.position].append(DEGRADED)
        elif incident.state != IncidentState.RESOLVED:
            outage_elements |= failed
            outage_leaves += leaves_reached
        resolved = incident.state == IncidentState.RESOLVED
        (placed.resolved if resolved else placed.active).append(incident)
    # Outages in one area add up: its state is the share all of them cut off.
    if outage_elements:
        below, below_total = customers.below(outage_elements)
        placed.network_share = customers.network_share(below_total)
        for leaf in outage_leaves:
            state = outage_state(customers.share(below, leaf.covers), limits)
            placed.touched[leaf.position].append(state)
    return placed


def status_snapshot(*, now: datetime | None = None) -> StatusSnapshot:
    """Everything the page and its JSON need: at most eight queries."""
    now = now or timezone.now()
    tree = area_tree()
    components = components_of(tree)
    leaves = leaves_of(components)
    placed = _place_incidents(_incidents(now), tree=tree, leaves=leaves)
    running, upcoming = public_maintenance(now, tree=tree, leaves=leaves, touched=placed.touched)
    for leaf in leaves:
        leaf.status = worst(placed.touched.get(leaf.position, []))
    for component in components:
        if component.children:
            component.status = worst(c.status for c in component.children)

    impacts = [IMPACT_OF[c.status] for c in leaves] + [i.impact for i in placed.active]
    if placed.network_share is not None and placed.network_share >= thresholds().major:
        impacts.append("critical")
    indicator = max(impacts, key=IMPACT_RANK.__getitem__, default="none")
    description = INDICATOR_DESCRIPTIONS[indicator]
    if indicator == "none" and running:
        description = UNDER_MAINTENANCE_DESCRIPTION
    active, resolved = placed.active, placed.resolved
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
