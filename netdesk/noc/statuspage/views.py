"""The public status page and its Statuspage-compatible JSON (API v2).

No login: everything here comes from `status_snapshot`, which reads only
customer-facing fields. Answers may be cached for a short while by browsers
and proxies, which is what keeps the page up when every customer of an
outage reloads it at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from netdesk.noc.statuspage.public import (
    Component,
    PublicIncident,
    PublicMaintenance,
    PublicUpdate,
    StatusSnapshot,
    public_id,
)
from netdesk.noc.statuspage.selectors import status_snapshot

# Seconds a browser or proxy may reuse an answer.
MAX_AGE = 30
DEFAULT_PAGE_NAME = "Network status"


def _cacheable(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response


@require_safe
def status_page(request: HttpRequest) -> HttpResponse:
    snapshot = status_snapshot()
    return _cacheable(
        render(
            request,
            "status/page.html",
            {
                "page_name": _page_name(),
                "snapshot": snapshot,
                "json_url": reverse("status_summary"),
            },
        )
    )


# --- Statuspage API v2 ----------------------------------------------------------------


def _page_name() -> str:
    return str(getattr(settings, "NETDESK_STATUS_PAGE_NAME", DEFAULT_PAGE_NAME))


def _time(moment: datetime | None) -> str | None:
    # Statuspage writes milliseconds and the page's offset.
    return moment.isoformat(timespec="milliseconds") if moment is not None else None


class _Document:
    """Shapes one snapshot the way Statuspage's public API does."""

    def __init__(self, request: HttpRequest, snapshot: StatusSnapshot) -> None:
        self.snapshot = snapshot
        self.page_id = public_id("page", 1)
        self.url = request.build_absolute_uri(reverse("status_page"))
        self.components = {c.id: c for c in snapshot.flat_components}

    def page(self) -> dict[str, Any]:
        return {
            "id": self.page_id,
            "name": _page_name(),
            "url": self.url,
            "time_zone": settings.TIME_ZONE,
            "updated_at": _time(self.snapshot.updated_at),
        }

    def status(self) -> dict[str, str]:
        return {"indicator": self.snapshot.indicator, "description": self.snapshot.description}

    def component(self, component: Component) -> dict[str, Any]:
        # Areas carry no timestamps of their own: the page's stand in.
        shaped: dict[str, Any] = {
            "id": component.id,
            "name": component.name,
            "status": component.status,
            "created_at": _time(self.snapshot.updated_at),
            "updated_at": _time(self.snapshot.updated_at),
            "position": component.position,
            "description": None,
            "showcase": False,
            "start_date": None,
            "group_id": component.group_id,
            "page_id": self.page_id,
            "group": component.is_group,
            "only_show_if_degraded": False,
        }
        if component.is_group:
            shaped["components"] = [child.id for child in component.children]
        return shaped

    def all_components(self) -> list[dict[str, Any]]:
        return [self.component(c) for c in self.snapshot.flat_components]

    def update(self, update: PublicUpdate, owner_id: str) -> dict[str, Any]:
        return {
            "id": update.id,
            "status": update.state,
            "body": update.body,
            "incident_id": owner_id,
            "created_at": _time(update.at),
            "updated_at": _time(update.at),
            "display_at": _time(update.at),
            "affected_components": None,
            "deliver_notifications": False,
            "custom_tweet": None,
            "tweet_id": None,
        }

    def incident(self, incident: PublicIncident) -> dict[str, Any]:
        return {
            "id": incident.id,
            "name": incident.name,
            "status": incident.state,
            "created_at": _time(incident.detected_at),
            "updated_at": _time(incident.updated_at),
            "monitoring_at": _time(incident.monitoring_at),
            "resolved_at": _time(incident.resolved_at),
            "impact": incident.impact,
            "shortlink": f"{self.url}#incident-{incident.id}",
            "started_at": _time(incident.started_at),
            "page_id": self.page_id,
            "incident_updates": [self.update(u, incident.id) for u in incident.updates],
            "components": [self.component(self.components[c]) for c in incident.component_ids],
        }

    def maintenance(self, window: PublicMaintenance) -> dict[str, Any]:
        announcement = PublicUpdate(
            id=window.announcement_id,
            state=window.status,
            body=window.description,
            at=window.created_at,
        )
        return {
            "id": window.id,
            "name": window.name,
            "status": window.status,
            "created_at": _time(window.created_at),
            "updated_at": _time(window.created_at),
            "monitoring_at": None,
            "resolved_at": None,
            "impact": "maintenance",
            "shortlink": f"{self.url}#maintenance-{window.id}",
            "started_at": _time(window.starts_at),
            "page_id": self.page_id,
            "incident_updates": [self.update(announcement, window.id)],
            "components": [self.component(self.components[c]) for c in window.component_ids],
            "scheduled_for": _time(window.starts_at),
            "scheduled_until": _time(window.ends_at),
        }

    def unresolved(self) -> list[dict[str, Any]]:
        return [self.incident(i) for i in self.snapshot.active_incidents]

    def recent(self) -> list[dict[str, Any]]:
        return self.unresolved() + [self.incident(i) for i in self.snapshot.resolved_incidents]

    def running(self) -> list[dict[str, Any]]:
        return [self.maintenance(m) for m in self.snapshot.running_maintenance]

    def upcoming(self) -> list[dict[str, Any]]:
        return [self.maintenance(m) for m in self.snapshot.upcoming_maintenance]


def _json(shape: Callable[[_Document], dict[str, Any]]) -> Callable[[HttpRequest], HttpResponse]:
    @require_safe
    def view(request: HttpRequest) -> HttpResponse:
        document = _Document(request, status_snapshot())
        response = JsonResponse({"page": document.page(), **shape(document)})
        # Public data: status widgets on other sites may read it.
        response["Access-Control-Allow-Origin"] = "*"
        return _cacheable(response)

    return view


summary = _json(
    lambda d: {
        "components": d.all_components(),
        "incidents": d.unresolved(),
        "scheduled_maintenances": d.running() + d.upcoming(),
        "status": d.status(),
    }
)
status = _json(lambda d: {"status": d.status()})
components = _json(lambda d: {"components": d.all_components()})
incidents = _json(lambda d: {"incidents": d.recent()})
unresolved_incidents = _json(lambda d: {"incidents": d.unresolved()})
active_maintenance = _json(lambda d: {"scheduled_maintenances": d.running()})
upcoming_maintenance = _json(lambda d: {"scheduled_maintenances": d.upcoming()})
