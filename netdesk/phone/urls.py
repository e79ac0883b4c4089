from django.urls import URLPattern, path
from django.views.generic import TemplateView

# Names are prefixed with the app ("calls_..."), like every app's.
urlpatterns: list[URLPattern] = [
    # Replaced by the call log page.
    path("", TemplateView.as_view(template_name="base.html"), name="calls_log"),
]
