from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "netdesk.reports"
    label = "reports"
