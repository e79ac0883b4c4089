from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "netdesk.routing"
    verbose_name = "Skills-based routing"
    default_auto_field = "django.db.models.BigAutoField"
