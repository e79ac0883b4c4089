from django.urls import URLPattern

from netdesk.competency.views import assessment, framework, routing

urlpatterns: list[URLPattern] = [
    *framework.urlpatterns,
    *assessment.urlpatterns,
    *routing.urlpatterns,
]
