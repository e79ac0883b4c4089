from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "netdesk.chat"
    label = "chat"
    verbose_name = "Web chat"
