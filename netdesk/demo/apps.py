from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "netdesk.demo"
    label = "demo"
