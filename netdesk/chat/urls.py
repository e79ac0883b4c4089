from django.urls import URLPattern, path
from django.views.generic import TemplateView

# Names are prefixed with the app ("chat_..."), like every app's.
urlpatterns: list[URLPattern] = [
    # Replaced by the agents' chat console.
    path("console/", TemplateView.as_view(template_name="base.html"), name="chat_console"),
]
