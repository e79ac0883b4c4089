"""Paths of the incident notice action (mounted under /channels/)."""

from django.urls import path

from netdesk.channels import views_notices

urlpatterns = [
    path(
        "incidents/<str:ref>/notify/",
        views_notices.incident_notify_view,
        name="channels_incident_notify",
    ),
]
