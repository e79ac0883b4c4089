"""Public maintenance windows on the status page, and the areas they touch."""

from __future__ import annotations

from datetime import datetime

from netdesk.noc.models import MaintenanceWindow
from netdesk.noc.statuspage.areas import AreaTree, areas_by_owner
from netdesk.noc.statuspage.public import Component, PublicMaintenance, public_id
from netdesk.noc.statuspage.states import UNDER_MAINTENANCE

MAINTENANCE_LIMIT = 100
DEFAULT_MAINTENANCE_BODY = (
    "Planned work on the network in this area; service may be interrupted during the window."
)


def public_maintenance(
    now: datetime,
    *,
    tree: AreaTree,
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
    areas = areas_by_owner(
        MaintenanceWindow.areas.through.objects.filter(maintenancewindow_id__in=pks).values_list(
            "maintenancewindow_id", "area_id"
        )
    )
    element_areas = areas_by_owner(
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
