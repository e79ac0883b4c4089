from django.apps import AppConfig


class NocConfig(AppConfig):
    name = "netdesk.noc"
    verbose_name = "Network operations"
    default_auto_field = "django.db.models.BigAutoField"
