from django.urls import path

from netdesk.tickets import views

urlpatterns = [
    path("", views.queue, name="queue"),
    path(
        "customers/<int:customer_id>/tickets/new/",
        views.ticket_create_view,
        name="ticket_create",
    ),
    path("tickets/<str:ref>/", views.ticket_detail_view, name="ticket_detail"),
    path(
        "tickets/<str:ref>/attachments/<int:attachment_id>/",
        views.ticket_attachment,
        name="ticket_attachment",
    ),
    path("tickets/<str:ref>/<slug:action>/", views.ticket_action, name="ticket_action"),
]
