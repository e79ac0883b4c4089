from django.urls import URLPattern, path
from django.views.generic import RedirectView

from netdesk.competency.views import assessment, framework, routing

urlpatterns: list[URLPattern] = [
    # /competency/ itself: the reader's own skills, the page most people want.
    path("", RedirectView.as_view(pattern_name="competency_me"), name="competency_home"),
    *framework.urlpatterns,
    *assessment.urlpatterns,
    *routing.urlpatterns,
]
