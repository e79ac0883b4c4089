from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "netdesk.network"
    label = "network"
