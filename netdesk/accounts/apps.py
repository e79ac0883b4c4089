from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "netdesk.accounts"
    label = "accounts"
