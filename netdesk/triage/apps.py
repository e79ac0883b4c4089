from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "netdesk.triage"
    label = "triage"
    verbose_name = "Text triage"
