from django.urls import path

from netdesk.triage import views

urlpatterns = [
    path("", views.policy_page, name="triage_policy"),
    path("train/", views.train_now, name="triage_train"),
    path("tickets/<str:ref>/panel/", views.ticket_panel, name="triage_ticket_panel"),
    path("tickets/<str:ref>/apply/", views.suggestion_apply_view, name="triage_apply"),
]
