from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "netdesk.channels"
    label = "channels"
    verbose_name = "Channels"
