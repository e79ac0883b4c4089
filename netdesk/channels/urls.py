from django.urls import path

from netdesk.channels import views

urlpatterns = [
    path("tickets/<str:ref>/reply/", views.reply_compose, name="channels_reply"),
    path(
        "tickets/<str:ref>/senders/<int:contact_id>/merge/",
        views.sender_merge_view,
        name="channels_sender_merge",
    ),
]
