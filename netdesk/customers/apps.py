from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "netdesk.customers"
    label = "customers"
