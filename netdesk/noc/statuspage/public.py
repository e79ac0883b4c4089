"""What the public status page shows: incidents, maintenance and areas in
customer-facing words only, under ids that reveal nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.crypto import salted_hmac

from netdesk.noc.models import IncidentState
from netdesk.noc.statuspage.states import COMPONENT_LABELS


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
