"""Ticket records: the ticket, its call reports, notes, links and timeline."""

from netdesk.tickets.models.config import Category, PriorityRule
from netdesk.tickets.models.conversation import Attachment, Comment, Interaction
from netdesk.tickets.models.ticket import Ticket, TicketLink
from netdesk.tickets.models.timeline import TicketEvent
from netdesk.tickets.models.views import QueueDefault, SavedView

__all__ = [
    "Attachment",
    "Category",
    "Comment",
    "Interaction",
    "PriorityRule",
    "QueueDefault",
    "SavedView",
    "Ticket",
    "TicketEvent",
    "TicketLink",
]
