from django.urls import path

from netdesk.tickets import views, views_bulk, views_export

urlpatterns = [
    path("", views.queue, name="queue"),
    path(
        "customers/<int:customer_id>/tickets/new/",
        views.ticket_create_view,
        name="ticket_create",
    ),
    # Whole lists before single tickets: "bulk" is not a ticket reference.
    path("tickets/bulk/", views_bulk.tickets_bulk_view, name="tickets_bulk"),
    path("tickets/export.csv", views_export.tickets_export_csv, name="tickets_export_csv"),
    path("tickets/export.xlsx", views_export.tickets_export_xlsx, name="tickets_export_xlsx"),
    path("tickets/<str:ref>/", views.ticket_detail_view, name="ticket_detail"),
    path(
        "tickets/<str:ref>/attachments/<int:attachment_id>/",
        views.ticket_attachment,
        name="ticket_attachment",
    ),
    path("tickets/<str:ref>/<slug:action>/", views.ticket_action, name="ticket_action"),
]
