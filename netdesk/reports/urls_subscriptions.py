from django.urls import path

from netdesk.reports import views_subscriptions as views

urlpatterns = [
    path("", views.subscription_list_page, name="report_subscriptions"),
    path("new/", views.subscription_new, name="report_subscription_new"),
    path("<int:subscription_id>/", views.subscription_edit, name="report_subscription_edit"),
    path(
        "<int:subscription_id>/delete/",
        views.subscription_remove,
        name="report_subscription_delete",
    ),
    path("<int:subscription_id>/send/", views.subscription_send, name="report_subscription_send"),
]
