from django.urls import path

from netdesk.tickets import views, views_bulk, views_export, views_queue

urlpatterns = [
    path("", views_queue.queue, name="queue"),
    path(
        "customers/<int:customer_id>/tickets/new/",
        views.ticket_create_view,
        name="ticket_create",
    ),
    # Whole lists before single tickets: "bulk" is not a ticket reference.
    path("tickets/bulk/", views_bulk.tickets_bulk_view, name="tickets_bulk"),
    path("tickets/at-risk/", views_queue.at_risk_view, name="tickets_at_risk"),
    path("tickets/views/", views_queue.saved_view_save, name="saved_view_save"),
    path(
        "tickets/views/<int:view_id>/<slug:action>/",
        views_queue.saved_view_action,
        name="saved_view_action",
    ),
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
