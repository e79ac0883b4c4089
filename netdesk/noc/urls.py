from django.urls import path

from netdesk.noc import views

urlpatterns = [
    path("", views.board, name="noc_board"),
    path("alarms/", views.alarm_list, name="noc_alarms"),
    path("incidents/", views.incident_open, name="noc_incident_open"),
    path("incidents/<str:ref>/", views.incident_page, name="noc_incident"),
    path("incidents/<str:ref>/<str:action>/", views.incident_action, name="noc_incident_action"),
    path("outages/<int:outage_id>/decide/", views.outage_decide, name="noc_outage_decide"),
    path("status/customer/<int:customer_id>/", views.customer_status, name="noc_customer_status"),
    path("status/ticket/<str:ref>/", views.ticket_panel, name="noc_ticket_panel"),
    path("tickets/<str:ref>/liaison/<str:kind>/", views.ticket_liaison, name="noc_ticket_liaison"),
]
