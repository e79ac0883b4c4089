from django.urls import path

from netdesk.notifications import views

urlpatterns = [
    path("presence/<str:ref>/", views.ticket_presence, name="ticket_presence"),
]
