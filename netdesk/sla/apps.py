from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "netdesk.sla"
    label = "sla"
