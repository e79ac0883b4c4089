from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "netdesk.notifications"
    label = "notifications"
    verbose_name = "In-app notifications"
