"""Routes of the public status page, mounted at /status/. The JSON paths
are Statuspage's, so its widgets and clients work unchanged."""

from django.urls import path

from netdesk.noc.statuspage import views

urlpatterns = [
    path("", views.status_page, name="status_page"),
    path("api/v2/summary.json", views.summary, name="status_summary"),
    path("api/v2/status.json", views.status, name="status_status"),
    path("api/v2/components.json", views.components, name="status_components"),
    path("api/v2/incidents.json", views.incidents, name="status_incidents"),
    path(
        "api/v2/incidents/unresolved.json",
        views.unresolved_incidents,
        name="status_unresolved_incidents",
    ),
    path(
        "api/v2/scheduled-maintenances/active.json",
        views.active_maintenance,
        name="status_active_maintenance",
    ),
    path(
        "api/v2/scheduled-maintenances/upcoming.json",
        views.upcoming_maintenance,
        name="status_upcoming_maintenance",
    ),
]
