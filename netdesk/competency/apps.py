from django.apps import AppConfig


class CompetencyConfig(AppConfig):
    name = "netdesk.competency"
    verbose_name = "Competencies"
    default_auto_field = "django.db.models.BigAutoField"
