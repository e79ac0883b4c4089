from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "netdesk.portal"
    label = "portal"
    verbose_name = "Customer portal"
