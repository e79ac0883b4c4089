"""Routing pages under /competency/routing/, named as they were when competency served them."""

from django.urls import URLPattern, path

from netdesk.routing.views import (
    availability_toggle,
    group_edit,
    routing_page,
    rule_delete,
    rule_edit,
    ticket_panel,
    ticket_route_now,
)

urlpatterns: list[URLPattern] = [
    path("routing/", routing_page, name="competency_routing"),
    path("routing/rules/new/", rule_edit, name="competency_routing_rule_new"),
    path("routing/rules/<int:rule_id>/", rule_edit, name="competency_routing_rule"),
    path("routing/rules/<int:rule_id>/delete/", rule_delete, name="competency_routing_rule_delete"),
    path("routing/groups/<int:group_id>/", group_edit, name="competency_routing_group"),
    path("routing/availability/", availability_toggle, name="competency_routing_availability"),
    path("routing/ticket/<str:ref>/", ticket_panel, name="competency_routing_ticket"),
    path(
        "routing/ticket/<str:ref>/route/", ticket_route_now, name="competency_routing_ticket_route"
    ),
]
