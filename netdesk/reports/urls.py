from django.urls import path

from netdesk.reports import views

urlpatterns = [
    path("kpis/", views.kpi_dashboard, name="kpi_dashboard"),
    path("sla/", views.sla_report_page, name="sla_report"),
    path("failures/", views.failure_report_page, name="failure_report"),
]
