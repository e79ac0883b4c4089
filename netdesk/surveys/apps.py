from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "netdesk.surveys"
    label = "surveys"
    verbose_name = "Satisfaction surveys"
