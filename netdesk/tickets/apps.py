from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "netdesk.tickets"
    label = "tickets"
