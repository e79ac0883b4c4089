from django.urls import path

from netdesk.reports import views, views_dashboards

urlpatterns = [
    path("kpis/", views.kpi_dashboard, name="kpi_dashboard"),
    path("sla/", views.sla_report_page, name="sla_report"),
    path("failures/", views.failure_report_page, name="failure_report"),
    path("csat/", views.csat_report_page, name="csat_report"),
    path("dashboard/", views_dashboards.dashboard, name="dashboard"),
    path("dashboard/<str:role>/", views_dashboards.dashboard, name="dashboard_role"),
    path("plans/", views_dashboards.plan_list_page, name="plan_list"),
    path("plans/new/", views_dashboards.plan_new, name="plan_new"),
    path("plans/<int:plan_id>/", views_dashboards.plan_detail, name="plan_detail"),
    path("plans/<int:plan_id>/edit/", views_dashboards.plan_edit, name="plan_edit"),
    path("plans/<int:plan_id>/report.csv", views_dashboards.plan_report_csv, name="plan_report"),
    path("plans/<int:plan_id>/delete/", views_dashboards.plan_remove, name="plan_delete"),
]
