"""The states the status page shows and what decides them: how much of an
area an outage takes, the share of the customers whose access element lies
in the area and below the failed elements. Read from the impact index and
topology the NOC keeps in memory, so the page pays no query per incident;
the counts themselves never leave this module.

The settings NETDESK_STATUS_MAJOR_OUTAGE_PERCENT and
NETDESK_STATUS_PARTIAL_OUTAGE_PERCENT turn a share into a state (see
docs/status-page.md)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from netdesk.network.selectors import topology
from netdesk.noc.impact import impact_index
from netdesk.noc.models import IncidentState

OPERATIONAL = "operational"
UNDER_MAINTENANCE = "under_maintenance"
DEGRADED = "degraded_performance"
PARTIAL_OUTAGE = "partial_outage"
MAJOR_OUTAGE = "major_outage"
# Worst last: a component shows the worst state of what touches it.
COMPONENT_RANK = {
    OPERATIONAL: 0,
    UNDER_MAINTENANCE: 1,
    DEGRADED: 2,
    PARTIAL_OUTAGE: 3,
    MAJOR_OUTAGE: 4,
}
COMPONENT_LABELS = {
    OPERATIONAL: "Operational",
    UNDER_MAINTENANCE: "Under maintenance",
    DEGRADED: "Degraded",
    PARTIAL_OUTAGE: "Partial outage",
    MAJOR_OUTAGE: "Major outage",
}
# Statuspage's page indicator and incident impact, from the component state.
# "critical" (Major System Outage) takes a major share of all customers, not
# of one area: see `incident_effect`.
IMPACT_OF = {
    OPERATIONAL: "none",
    UNDER_MAINTENANCE: "none",
    DEGRADED: "minor",
    PARTIAL_OUTAGE: "major",
    MAJOR_OUTAGE: "major",
}
IMPACT_RANK = {"none": 0, "minor": 1, "major": 2, "critical": 3}
INDICATOR_DESCRIPTIONS = {
    "none": "All Systems Operational",
    "minor": "Partially Degraded Service",
    "major": "Partial System Outage",
    "critical": "Major System Outage",
}
UNDER_MAINTENANCE_DESCRIPTION = "Service Under Maintenance"


@dataclass(frozen=True)
class Thresholds:
    major: float  # share of the customers from which it is a major outage
    partial: float  # from which a partial one; below it, degraded performance


def thresholds() -> Thresholds:
    return Thresholds(
        major=settings.NETDESK_STATUS_MAJOR_OUTAGE_PERCENT / 100,
        partial=settings.NETDESK_STATUS_PARTIAL_OUTAGE_PERCENT / 100,
    )


class AreaCustomers:
    """Customers per area, on the whole network and below failed elements."""

    def __init__(self) -> None:
        self._index = impact_index()
        self.total = sum(self._index.customers.values())
        self.by_area = self._per_area(self._index.customers)

    def _per_area(self, elements: Iterable[int]) -> dict[int, int]:
        counts: dict[int, int] = defaultdict(int)
        for element in elements:
            area = self._index.areas.get(element)
            customers = self._index.customers.get(element, 0)
            if area is not None and customers:
                counts[area] += customers
        return counts

    def below(self, element_ids: Iterable[int]) -> tuple[dict[int, int], int]:
        """Customers below the elements (themselves included): per area, and
        on the whole network."""
        elements = topology().subtree(element_ids) & self._index.customers.keys()
        return self._per_area(elements), sum(self._index.customers[e] for e in elements)

    def share(self, affected: dict[int, int], areas: set[int]) -> float | None:
        """The share of the areas' customers among `affected`; None when the
        areas have no customers on record (nothing to measure against)."""
        total = sum(self.by_area.get(area, 0) for area in areas)
        if not total:
            return None
        return sum(affected.get(area, 0) for area in areas) / total

    def network_share(self, affected_total: int) -> float | None:
        return affected_total / self.total if self.total else None


def outage_state(share: float | None, limits: Thresholds) -> str:
    """The state an outage puts an area in, from the share of its customers
    cut off. An area without customers on record cannot be measured: its
    incident counts as a partial outage."""
    if share is None:
        return PARTIAL_OUTAGE
    if share >= limits.major:
        return MAJOR_OUTAGE
    return PARTIAL_OUTAGE if share >= limits.partial else DEGRADED


def incident_effect(
    state: str, outage_states: list[str], network_share: float | None, limits: Thresholds
) -> tuple[str, str]:
    """What an incident does to its areas now, and its Statuspage impact
    (for a resolved one: what it had while it lasted). Once a fix is in
    place (monitoring) the service is only degraded."""
    worst_outage = max(outage_states, key=COMPONENT_RANK.__getitem__, default=PARTIAL_OUTAGE)
    impact = IMPACT_OF[worst_outage]
    if network_share is not None and network_share >= limits.major:
        impact = "critical"
    if state == IncidentState.RESOLVED:
        return OPERATIONAL, impact
    if state == IncidentState.MONITORING:
        return DEGRADED, "minor"
    return worst_outage, impact


def worst(states: Iterable[str]) -> str:
    return max(states, key=COMPONENT_RANK.__getitem__, default=OPERATIONAL)
