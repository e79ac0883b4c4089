from django.urls import URLPattern, path

from netdesk.phone import views

# Names are prefixed with the app ("calls_..."), like every app's.
urlpatterns: list[URLPattern] = [
    path("", views.call_log, name="calls_log"),
    path("<int:pk>/", views.call_page, name="calls_detail"),
    path("<int:pk>/log/", views.call_log_on_ticket, name="calls_log_on_ticket"),
    path("<int:pk>/called-back/", views.call_called_back, name="calls_called_back"),
    path("<int:pk>/ticket/", views.call_ticket_new, name="calls_ticket_new"),
]
