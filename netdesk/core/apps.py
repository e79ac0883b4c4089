from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "netdesk.core"
    label = "core"
