"""Paths of the mailbox administration pages (mounted under /channels/)."""

from django.urls import path

from netdesk.channels import views_admin, views_templates

urlpatterns = [
    path("mailboxes/", views_admin.mailbox_list, name="channels_mailboxes"),
    path("mailboxes/new/", views_admin.mailbox_create, name="channels_mailbox_create"),
    path("mailboxes/<slug:name>/", views_admin.mailbox_edit, name="channels_mailbox"),
    path(
        "mailboxes/<slug:name>/test/",
        views_admin.mailbox_test_connection,
        name="channels_mailbox_test",
    ),
    path(
        "mailboxes/<slug:name>/quarantine/",
        views_admin.quarantine,
        name="channels_mailbox_quarantine",
    ),
    path("quarantine/", views_admin.quarantine, name="channels_quarantine"),
    path(
        "quarantine/reprocess/",
        views_admin.quarantine_reprocess,
        name="channels_quarantine_reprocess",
    ),
    path("mail/<int:message_id>/raw/", views_admin.inbound_raw, name="channels_inbound_raw"),
    path(
        "mail/<int:message_id>/reprocess/",
        views_admin.inbound_reprocess,
        name="channels_inbound_reprocess",
    ),
    path("templates/", views_templates.template_list, name="channels_templates"),
    path(
        "templates/restore/",
        views_templates.templates_restore_view,
        name="channels_templates_restore",
    ),
    path(
        "templates/<str:event>/<str:language>/",
        views_templates.template_edit,
        name="channels_template",
    ),
    path(
        "templates/<str:event>/<str:language>/preview/",
        views_templates.template_preview_view,
        name="channels_template_preview",
    ),
]
