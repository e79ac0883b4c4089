from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "netdesk.knowledge"
    label = "knowledge"
    verbose_name = "Knowledge base"
