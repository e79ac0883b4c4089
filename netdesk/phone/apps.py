from django.apps import AppConfig


class PhoneConfig(AppConfig):
    name = "netdesk.phone"
    label = "phone"
    verbose_name = "Phone system"
